"""What the bot says for a service question: an answer card, a clarifying question or a fallback.

Rasa actions call these functions; they know nothing of Rasa. A reply is a list of messages in
the shape Rasa's dispatcher takes (text, buttons, or a custom JSON payload) plus the decision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.content import ApprovedTexts
from bot.municipalities import places_of
from bot.retrieval.retriever import Hit, RetrievalResult
from bot.text import fold

CARD_LABELS = {
    "fi": {"audience": "Kenelle", "access": "Näin pääset palveluun", "more": "Lisätietoja", "yes": "Kyllä", "no": "Ei",
           "human": "Palveluneuvoja", "area": "Koskee kuntaa"},
    "sv": {"audience": "För vem", "access": "Så här får du tjänsten", "more": "Mer information", "yes": "Ja", "no": "Nej",
           "human": "Servicerådgivare", "area": "Gäller kommunen"},
    "en": {"audience": "For whom", "access": "How to access", "more": "More information", "yes": "Yes", "no": "No",
           "human": "Service advisor", "area": "Applies to"},
}


@dataclass
class Reply:
    decision: str
    messages: list[dict] = field(default_factory=list)
    reason: str | None = None
    sources: list[dict] = field(default_factory=list)
    confidence: float | None = None
    failed_attempts: int = 0

    def meta(self) -> dict:
        return {"custom": {"kind": "meta", "decision": self.decision, "reason": self.reason,
                           "sources": self.sources, "confidence": self.confidence}}


def source_of(card: dict) -> dict:
    return {"id": card["id"], "title": card.get("title", ""), "url": card.get("url", ""),
            "catalogue": card.get("catalogue") or []}


def card_message(card: dict, lang: str, municipality: str | None) -> dict:
    labels = CARD_LABELS.get(lang, CARD_LABELS["fi"])

    def localized(key: str) -> str:
        return str(card.get(f"{key}_{lang}") or card.get(key) or "").strip()

    audience = card.get("audience") or []
    payload = {
        "kind": "card",
        "id": card["id"],
        "title": localized("title"),
        "summary": localized("summary"),
        "audience": ", ".join(audience) if isinstance(audience, list) else str(audience),
        "how_to_access": str(card.get("how_to_access") or ""),
        "url": card.get("url", ""),
        "municipalities": places_of(card),
        "labels": labels,
        "lang": lang,
    }
    if municipality and municipality in payload["municipalities"]:
        payload["municipality_note"] = f"{labels['area']}: {municipality}"
    text = f"{payload['title']}: {payload['summary']} {labels['more']}: {payload['url']}"
    return {"text": text, "custom": payload}


def found_it_buttons(texts: ApprovedTexts, lang: str) -> dict:
    labels = CARD_LABELS.get(lang, CARD_LABELS["fi"])
    return {"text": texts.get("found-it-question", lang),
            "buttons": [{"title": labels["yes"], "payload": "/feedback_positive"},
                        {"title": labels["no"], "payload": "/feedback_negative"}]}


def answer_with(hit_card: dict, texts: ApprovedTexts, lang: str, municipality: str | None,
                confidence: float | None) -> Reply:
    return Reply(decision="answer",
                 messages=[card_message(hit_card, lang, municipality), found_it_buttons(texts, lang)],
                 sources=[source_of(hit_card)], confidence=confidence, failed_attempts=0)


def fallback(texts: ApprovedTexts, lang: str, reason: str, confidence: float | None = None) -> Reply:
    labels = CARD_LABELS.get(lang, CARD_LABELS["fi"])
    return Reply(decision="fallback", reason=reason, confidence=confidence, failed_attempts=0,
                 messages=[{"text": texts.get("fallback-not-found", lang),
                            "buttons": [{"title": labels["human"], "payload": "/ask_human"}]}])


def reply_to_service_question(result: RetrievalResult, texts: ApprovedTexts, lang: str, failed_attempts: int,
                              answer_threshold: float, clarify_threshold: float) -> Reply:
    """answer ≥ answer_threshold > clarify (candidates as buttons) ≥ clarify_threshold > retry; twice unsure → fallback."""
    top: Hit | None = result.top
    local = [h for h in result.hits if places_of(h.card)]
    leading_local = [h for h in result.hits[:3] if places_of(h.card)]
    unanimous = result.signals is not None and result.signals.agreement == 1.0
    if not result.municipality and len(local) >= 2 and result.confidence >= clarify_threshold and (
            (top is not None and places_of(top.card)) or (len(leading_local) >= 2 and not unanimous)):
        # The match is one municipality's page (the best one, or two of the first three: "terveysaseman
        # puhelinnumero" also finds the web-site page) but the resident named no municipality: ask which.
        # Not when every ranker puts a county-wide page first: "paljonko maksaa terveyskeskuslääkärillä
        # käynti" asks about client fees, whatever health stations follow them.
        # Not a failure of understanding, so it does not bring the fallback closer.
        return clarify_with(local[:8], texts, lang, result.confidence, failed_attempts, "municipality_unknown",
                            counts_as_failure=False)
    if top is not None and result.confidence >= answer_threshold:
        return answer_with(top.card, texts, lang, result.municipality, result.confidence)
    if failed_attempts >= 1:
        reason = "no_match" if top is None else "low_confidence"
        return fallback(texts, lang, reason, result.confidence)
    candidates = result.hits[:3] if result.confidence >= clarify_threshold else []
    if len(candidates) >= 2:
        return clarify_with(candidates, texts, lang, result.confidence, failed_attempts, "low_confidence")
    return Reply(decision="clarify", reason="no_match" if top is None else "low_confidence",
                 messages=[{"text": texts.get("clarify-retry", lang)}], confidence=result.confidence,
                 failed_attempts=failed_attempts + 1)


def clarify_with(candidates: list[Hit], texts: ApprovedTexts, lang: str, confidence: float, failed_attempts: int,
                 reason: str, counts_as_failure: bool = True) -> Reply:
    """A clarifying question with the candidate documents as buttons."""
    buttons = [{"title": str(h.card.get(f"title_{lang}") or h.card.get("title")),
                "payload": f'/service_question{{"doc_id": "{h.doc_id}"}}'} for h in candidates]
    message = {"text": texts.get("clarify-prompt", lang), "buttons": buttons}
    return Reply(decision="clarify", reason=reason, messages=[message], confidence=confidence,
                 sources=[source_of(h.card) for h in candidates],
                 failed_attempts=failed_attempts + 1 if counts_as_failure else failed_attempts)


# Medicines, doses and prescriptions, ä/ö folded ("lääkkeen" → laakkeen; not "lääkäri"): a question about them
# is medical advice even when a self-care page shares its topic.
_MEDICINE = re.compile(r"laak(?:e|k|it)|annos|tabl?et|pilleri|kapseli|antibio|burana|panadol|parasetamol|ibuprofe"
                       r"|kortison|resept|insuliini|\bdos(?:e|es|age|er|en)?\b|medic|\bpills?\b|lakemedel",
                       re.IGNORECASE)


def self_care_instead_of_refusal(result: RetrievalResult, text: str, answer_threshold: float) -> bool:
    """A question the NLU reads as medical advice that a self-care page answers ("poltin käden, miten
    hoidan", "punkki lapsella, miten se otetaan pois"): the page is what the county itself tells
    residents, so it is shown instead of the refusal. Doses, medicines and prescriptions are still refused.
    """
    top = result.top
    return (top is not None and top.card.get("type") == "self_care" and result.confidence >= answer_threshold
            and not _MEDICINE.search(fold(text)))


OUT_OF_SCOPE_TEXTS = {
    "personal_records": "decline-personal-records",
    "medical_advice": "decline-medical-advice",
    "clinical_action": "decline-clinical-action",
    "opinion_politics": "decline-opinion-politics",
    "off_topic": "decline-off-topic",
}


def decline(kind: str, texts: ApprovedTexts, lang: str) -> Reply:
    text_id = OUT_OF_SCOPE_TEXTS.get(kind, "decline-off-topic")
    return Reply(decision="decline", reason=f"out_of_scope:{kind}", messages=[{"text": texts.get(text_id, lang)}])
