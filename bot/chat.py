"""One resident turn end to end: redact → safety → Rasa (NLU, dialogue, actions) → reply and log."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Callable

from bot.analytics.redact import redact
from bot.analytics.store import EventLog, TurnEvent
from bot.analytics.vocabulary import IN_HANDOFF
from bot.handoff.service import HandoffService
from bot.content import ApprovedTexts
from bot.lang import detect_language
from bot.municipalities import find_municipality
from bot.rasa_client import RasaClient, RasaUnavailable
from bot.safety import check_safety
from bot.safety_semantic import SafetyNotice

log = logging.getLogger(__name__)

PAYLOAD = re.compile(r'^/[a-z_]+(\{[^{}]*\})?$')  # button payloads such as /feedback_positive
PERSONAL_IDENTIFIERS = {"hetu", "phone", "email", "iban"}


@dataclass
class ChatResult:
    session_id: str
    messages: list[dict] = field(default_factory=list)
    decision: str = "answer"
    reason: str | None = None
    sources: list[dict] = field(default_factory=list)
    lang: str = "fi"
    confidence: float | None = None
    degraded: bool = False
    error: str | None = None


def pseudonym(session_id: str, salt: str) -> str:
    """The conversation id stored anywhere: not reversible to the browser's session id."""
    return hashlib.sha256(f"{salt}:{session_id}".encode()).hexdigest()[:24]


WIDGET_KINDS = {"card": "card", "handoff": "handoff", "callback_offer": "callback_offer"}


def _to_widget(message: dict) -> dict | None:
    custom = message.get("custom")
    if custom:
        kind = WIDGET_KINDS.get(custom.get("kind"))
        return dict(custom, type=kind) if kind else None
    if message.get("text"):
        out = {"type": "text", "text": message["text"]}
        if message.get("buttons"):
            out["buttons"] = [{"title": b.get("title", ""), "payload": b.get("payload", "")} for b in message["buttons"]]
        return out
    return None


class ChatService:
    def __init__(self, rasa: RasaClient, texts: ApprovedTexts, events: EventLog, salt: str,
                 handoff: HandoffService | None = None,
                 semantic_safety: Callable[[str], SafetyNotice | None] | None = None) -> None:
        self.rasa = rasa
        self.handoff = handoff
        self.semantic_safety = semantic_safety
        self.texts = texts
        self.events = events
        self.salt = salt

    def conversation_id(self, session_id: str) -> str:
        return pseudonym(session_id, self.salt)

    async def handle(self, session_id: str, text: str, lang: str | None = None, label: str | None = None) -> ChatResult:
        started = time.perf_counter()
        conversation = self.conversation_id(session_id)
        is_payload = bool(PAYLOAD.match(text))
        redaction = redact(text)
        guessed_lang = lang or detect_language(text)
        result = ChatResult(session_id=session_id, lang=guessed_lang)
        event = TurnEvent(conversation=conversation, decision="answer", lang=guessed_lang,
                          municipality=find_municipality(redaction.text))

        safety = None if is_payload else check_safety(text)
        if safety is None and not is_payload:
            notice = await self._semantic_notice(redaction.text)
            if notice is not None:  # 112 (or the crisis lines) first; the question is still answered
                result.messages.append({"type": "text", "text": self.texts.get(notice.text_id, guessed_lang),
                                        "urgent": True})
                event.reason = f"safety_notice:{notice.category}"
        shown = redact(label).text if is_payload and label else redaction.text  # the button, not "/intent{...}"
        live = self.handoff.open_handoff(conversation) if self.handoff else None
        if live is not None:  # an advisor has (or will have) the conversation: they see every message
            self.handoff.resident_message(conversation, shown)
        if safety is None and PERSONAL_IDENTIFIERS & set(redaction.found):
            result.messages.append({"type": "text", "text": self.texts.get("privacy-personal-data", guessed_lang)})
        if safety is not None:  # even with an advisor on the line, 112 comes first
            result.decision, result.reason = safety.decision, safety.category
            result.messages = [{"type": "text", "text": self.texts.get(safety.text_id, guessed_lang), "urgent": True}]
        elif live is not None:
            result.decision, result.reason = "handoff", IN_HANDOFF
        else:
            metadata = {"lang": lang} if lang else {}
            try:
                outputs = await self.rasa.send(conversation, redaction.text, metadata)
            except RasaUnavailable as error:
                log.warning("Rasa unavailable: %s", error)
                outputs = None
                result.error = "rasa_unavailable"
            self._apply_rasa_outputs(result, event, outputs)

        if redaction.found and result.reason is None and result.decision == "answer":
            event.reason = "personal_data"
        event.decision, event.reason = result.decision, result.reason or event.reason
        event.lang, event.confidence = result.lang, result.confidence
        if result.sources:
            event.sources = [s["id"] for s in result.sources]
        event.text_redacted = redaction.text  # EventLog keeps it only for unanswered turns (STORE_TRANSCRIPTS)
        event.latency_ms = round((time.perf_counter() - started) * 1000, 1)
        self.events.record(event)
        self.events.add_message(conversation, "user", {"type": "text", "text": shown})
        for message in result.messages:
            self.events.add_message(conversation, "bot", message)
        return result

    async def _semantic_notice(self, text: str) -> SafetyNotice | None:
        if self.semantic_safety is None:
            return None
        try:
            return await asyncio.to_thread(self.semantic_safety, text)
        except Exception:  # the rules already ran; a failing net must not cost the resident the answer
            log.exception("semantic safety check failed")
            return None

    def _apply_rasa_outputs(self, result: ChatResult, event: TurnEvent, outputs: list[dict] | None) -> None:
        if not outputs:  # Rasa down, or up but its action endpoint failed
            result.error = result.error or "no_reply"
            result.degraded = True
            result.decision, result.reason = "fallback", "technical_error"
            result.messages.append({"type": "text", "text": self.texts.get("service-unavailable", result.lang)})
            return
        decided = False
        for output in outputs:
            custom = output.get("custom") or {}
            kind = custom.get("kind")
            if kind == "meta":
                decided = True
                result.decision = custom.get("decision") or result.decision
                result.reason = custom.get("reason")
                result.sources = custom.get("sources") or []
                result.confidence = custom.get("confidence")
            elif kind == "nlu":
                result.lang = custom.get("lang") or result.lang
                event.intent = custom.get("ranked_intent") or custom.get("intent")
                event.intent_confidence = custom.get("confidence")
            elif kind == "feedback":
                event.feedback = 1 if custom.get("positive") else 0
                event.sources = [custom["document"]] if custom.get("document") else []
            else:
                widget_message = _to_widget(output)
                if widget_message:
                    result.messages.append(widget_message)
        if not decided:
            # Only Rasa's own responses (greeting, thanks, goodbye, "I am a bot", restart) come without a
            # decision: every turn about a service goes through an action that sends one. Logging these as
            # answers would count a "hi" as a settled service matter in the staff console.
            result.decision = "smalltalk"
