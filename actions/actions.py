"""Rasa custom actions. Thin on purpose: each reads the tracker and calls into `bot`."""

from __future__ import annotations

import math
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.analytics.redact import without_placeholders
from bot.dialogue import Reply, answer_with, decline, reply_to_service_question, self_care_instead_of_refusal
from bot.lang import SUPPORTED, detect_language
from bot.municipalities import find_municipality
from bot.retrieval.retriever import RetrievalResult
from bot.services import get_services


def _lang(tracker: Tracker) -> str:
    return tracker.get_slot("lang") or "fi"


def _previous_bot_action(tracker: Tracker) -> str | None:
    """The last action the bot ran before the resident's latest message."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_user:
                return None
            seen_user = True
        elif seen_user and event.get("event") == "action" and event.get("name") not in (
                "action_listen", "action_extract_slots", "action_detect_language", "action_session_start"):
            return event.get("name")
    return None


def _send(dispatcher: CollectingDispatcher, reply: Reply) -> None:
    for message in reply.messages:
        if message.get("custom"):  # a card carries its own text; Rasa would otherwise send it twice
            dispatcher.utter_message(json_message=message["custom"])
        else:
            dispatcher.utter_message(text=message.get("text"), buttons=message.get("buttons", []))
    dispatcher.utter_message(**reply.meta())


class ActionDetectLanguage(Action):
    """Runs on every user turn (custom slot mapping of `lang`); also reports the NLU result."""

    def name(self) -> str:
        return "action_detect_language"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        message = tracker.latest_message or {}
        requested = (message.get("metadata") or {}).get("lang")
        lang = requested if requested in SUPPORTED else detect_language(message.get("text") or "", _lang(tracker))
        intent = message.get("intent") or {}
        ranking = message.get("intent_ranking") or []
        dispatcher.utter_message(json_message={
            "kind": "nlu", "lang": lang, "intent": intent.get("name"), "confidence": intent.get("confidence"),
            "ranked_intent": ranking[1]["name"] if intent.get("name") == "nlu_fallback" and len(ranking) > 1 else None,
        })
        return [SlotSet("lang", lang)]


def _search(tracker: Tracker) -> RetrievalResult:
    text = without_placeholders(tracker.latest_message.get("text") or "")
    municipality = find_municipality(text) or tracker.get_slot("kunta")
    return get_services().retriever.search(text, municipality=municipality, k=10)


class ActionAnswerService(Action):
    def name(self) -> str:
        return "action_answer_service"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any],
                  result: RetrievalResult | None = None) -> list:
        """`result`: a search another action already made for this message, so it is not repeated."""
        services = get_services()
        lang = _lang(tracker)
        chosen = next(tracker.get_latest_entity_values("doc_id"), None)
        documents = services.retriever.retriever().artifact.documents
        if chosen and chosen in documents:
            municipality = find_municipality(tracker.latest_message.get("text") or "") or tracker.get_slot("kunta")
            reply = answer_with(documents[chosen], services.texts, lang, municipality, None)
        else:
            result = result or _search(tracker)
            settings = services.settings
            # A turn the NLU reads as content-free ("that one thing") is never answered outright: the
            # search can only guess its topic, so the resident chooses among the candidates instead.
            vague = (tracker.latest_message.get("intent") or {}).get("name") == "vague"
            answer_threshold = math.inf if vague else settings.answer_threshold
            reply = reply_to_service_question(result, services.texts, lang, int(tracker.get_slot("failed_attempts") or 0),
                                              answer_threshold, settings.clarify_threshold)
        _send(dispatcher, reply)
        events = [SlotSet("failed_attempts", float(reply.failed_attempts))]
        if reply.sources and reply.decision == "answer":
            events.append(SlotSet("last_answer", reply.sources[0]["id"]))
        return events


class ActionDeclineOutOfScope(Action):
    def name(self) -> str:
        return "action_decline_out_of_scope"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        intent = tracker.latest_message.get("intent") or {}
        kind = intent.get("name") or "off_topic"
        services = get_services()
        threshold = services.settings.answer_threshold
        result = None
        if (intent.get("confidence") or 0.0) < services.settings.decline_min_confidence:
            # The classifier is unsure the question is out of scope: if retrieval is sure of a
            # service, answer it; a wrong refusal sends the resident to the phone queue.
            result = _search(tracker)
            if result.top is not None and result.confidence >= threshold:
                return await ActionAnswerService().run(dispatcher, tracker, domain, result=result)
        if kind == "medical_advice":
            result = result or _search(tracker)
            if self_care_instead_of_refusal(result, tracker.latest_message.get("text") or "", threshold):
                return await ActionAnswerService().run(dispatcher, tracker, domain, result=result)
        _send(dispatcher, decline(kind, services.texts, _lang(tracker)))
        return []


class ActionOfferHuman(Action):
    """Hand the conversation to a service advisor: queue when one is online in service hours,
    otherwise say so honestly and offer a call-back request, Omasote and the phone line."""

    def name(self) -> str:
        return "action_offer_human"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        services, lang = get_services(), _lang(tracker)
        handoff = services.handoff
        availability = handoff.availability()
        if availability.status == "open":
            queued = handoff.request(tracker.sender_id, lang)
            position = handoff.position(queued) or 1
            text = services.texts.get("handoff-queued", lang).format(position=position)
            payload = {"kind": "handoff", "status": queued["status"], "position": position}
            slot = "queued"
        else:
            text_id = "handoff-closed" if availability.status == "closed" else "handoff-no-advisor"
            text = services.texts.get(text_id, lang).format(hours=handoff.hours.describe(lang))
            payload = {"kind": "callback_offer", "availability": availability.status}
            slot = availability.status
        _send(dispatcher, Reply(decision="handoff", reason="human_requested", messages=[{"text": text}]))
        dispatcher.utter_message(json_message=payload)
        return [SlotSet("failed_attempts", 0.0), SlotSet("handoff", slot)]


class ActionRecordFeedback(Action):
    def name(self) -> str:
        return "action_record_feedback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent in ("affirm", "deny") or not tracker.get_slot("last_answer"):
            # "yes"/"no" and feedback mean something only right after an answer; otherwise the
            # message is most likely a short service question the classifier mistook
            if _previous_bot_action(tracker) != "action_answer_service":
                return await ActionAnswerService().run(dispatcher, tracker, domain)
        positive = intent in ("feedback_positive", "affirm")
        text_id = "feedback-thanks-positive" if positive else "feedback-thanks-negative"
        reply = Reply(decision="answer" if positive else "fallback", reason=None if positive else "negative_feedback",
                      messages=[{"text": get_services().texts.get(text_id, _lang(tracker))}])
        _send(dispatcher, reply)
        dispatcher.utter_message(json_message={"kind": "feedback", "positive": positive,
                                               "document": tracker.get_slot("last_answer")})
        return []


class ActionChangeLanguage(Action):
    def name(self) -> str:
        return "action_change_language"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        text = (tracker.latest_message.get("text") or "").lower()
        asked = ("sv" if any(w in text for w in ("svensk", "ruotsi", "swedish")) else
                 "en" if any(w in text for w in ("engl", "engelsk")) else
                 "fi" if any(w in text for w in ("suomi", "suome", "finsk", "finnish")) else _lang(tracker))
        _send(dispatcher, Reply(decision="smalltalk", messages=[{"text": get_services().texts.get("language-switched", asked)}]))
        return [SlotSet("lang", asked)]


class ActionDefaultFallback(Action):
    """Dialogue policies are unsure what to do: treat the message as a service question."""

    def name(self) -> str:
        return "action_default_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        return await ActionAnswerService().run(dispatcher, tracker, domain)
