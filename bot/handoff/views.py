"""How a handoff looks to each party: the resident sees approved texts in their language, the advisor codes."""

from __future__ import annotations

from bot.content import ApprovedTexts

SYSTEM_TEXTS = {
    "advisor_joined": "handoff-joined",
    "ended_by_advisor": "handoff-ended",
    "ended_by_resident": "handoff-ended",
    "cancelled_by_resident": "handoff-ended",
}
ADVISOR_LABELS = {
    "advisor_joined": "Otit keskustelun.",
    "ended_by_advisor": "Lopetit keskustelun.",
    "ended_by_resident": "Asukas lopetti keskustelun.",
    "cancelled_by_resident": "Asukas perui jonottamisen.",
}


def resident_state(handoff: dict | None, position: int | None, messages: list[dict], texts: ApprovedTexts,
                   lang: str) -> dict:
    shown = []
    for message in messages:
        text = message["text"]
        if message["sender"] == "system":
            text_id = SYSTEM_TEXTS.get(text)
            if text_id is None:
                continue
            text = texts.get(text_id, lang)
        shown.append({"id": message["id"], "ts": message["ts"], "sender": message["sender"], "text": text})
    return {"status": handoff["status"] if handoff else "none", "position": position,
            "handoff_id": handoff["id"] if handoff else None, "messages": shown}


def advisor_message(message: dict) -> dict:
    text = ADVISOR_LABELS.get(message["text"], message["text"]) if message["sender"] == "system" else message["text"]
    return {"id": message["id"], "ts": message["ts"], "sender": message["sender"], "text": text}
