"""Whole conversations through the app's /api/chat on the real stack, safety first.

Emergencies and crises are answered by the app's deterministic safety layer before Rasa, so they
cannot be Rasa stories: here an emergency arrives in the middle of a service conversation, and
the conversation must go on normally afterwards. Also: personal data is never echoed or passed
on, and starting over really resets the dialogue (a Rasa story cannot follow action_restart).
"""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from bot.chat import pseudonym
from bot.settings import Settings
from tests.conftest import running_stack

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CRISIS_LINE = "09 2525 0111"
SWITCHBOARD = "08 61561"


@pytest.fixture(scope="module")
def stack(tmp_path_factory, redis_server):
    yield from running_stack(tmp_path_factory, redis_server)


class Resident:
    """One browser session talking to the app."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = uuid.uuid4().hex

    def says(self, text: str, label: str | None = None, lang: str | None = None) -> dict:
        body = {"session_id": self.session, "text": text}
        if label:
            body["label"] = label
        if lang:
            body["lang"] = lang
        response = httpx.post(f"{self.base}/api/chat", json=body, timeout=60)
        assert response.status_code == 200, response.text
        return response.json()

    def history(self) -> list[dict]:
        return httpx.get(f"{self.base}/api/chat/{self.session}/history", timeout=10).json()["messages"]


def texts_of(payload: dict) -> str:
    return " ".join(m.get("text") or m.get("summary") or "" for m in payload["messages"])


def card_ids(payload: dict) -> list[str]:
    return [m["id"] for m in payload["messages"] if m.get("type") == "card"]


def rasa_user_texts(stack, session: str) -> list[str]:
    """What Rasa itself received in this conversation (the app talks to Rasa under a pseudonym)."""
    running, _ = stack
    conversation = pseudonym(session, Settings().salt())
    tracker = httpx.get(f"{running.settings.rasa_url}/conversations/{conversation}/tracker", timeout=10).json()
    return [e.get("text") or "" for e in tracker.get("events") or [] if e.get("event") == "user"]


@pytest.fixture
def resident(stack) -> Resident:
    return Resident(stack[1])


def test_emergency_in_the_middle_of_a_service_conversation(stack, resident):
    assert resident.says("moi vaan")["decision"] == "smalltalk"
    memory = resident.says("mistä saa apua kun äidin muisti pätkii")
    assert memory["decision"] == "answer" and card_ids(memory) == ["muistipoliklinikka"]

    emergency = resident.says("mummo lyyhistyi lattialle eikä reagoi ollenkaan")
    assert emergency["decision"] == "emergency"
    first = emergency["messages"][0]
    assert first.get("urgent") is True and "112" in first["text"]
    assert not emergency["sources"] and not card_ids(emergency)  # no retrieval, no "did you find it?"
    assert not any(m.get("buttons") for m in emergency["messages"])

    after = resident.says("missä hyrynsalmen terveysasema on")
    assert after["decision"] == "answer" and after["sources"][0]["id"] == "terveysasema-hyrynsalmi"
    seen_by_rasa = rasa_user_texts(stack, resident.session)
    assert "mistä saa apua kun äidin muisti pätkii" in seen_by_rasa
    assert not any("lyyhistyi" in text for text in seen_by_rasa)


def test_swedish_emergency_is_answered_in_swedish(resident):
    resident.says("var kan jag boka tid till tandläkaren")
    emergency = resident.says("min man andas inte")
    assert emergency["decision"] == "emergency" and emergency["lang"] == "sv"
    assert "112" in emergency["messages"][0]["text"] and "Ring" in emergency["messages"][0]["text"]


@pytest.mark.parametrize("text,lang", [
    ("en mä jaksa tätä enää, tekis mieli vaan kuolla pois", "fi"),
    ("honestly i just want to die", "en"),
])
def test_crisis_gets_the_crisis_lines_and_the_conversation_goes_on(stack, resident, text, lang):
    crisis = resident.says(text)
    assert crisis["decision"] == "crisis" and crisis["lang"] == lang
    assert len(crisis["messages"]) == 1 and crisis["messages"][0].get("urgent") is True
    reply = crisis["messages"][0]["text"]
    assert CRISIS_LINE in reply and "112" in reply and "116 117" in reply
    assert not crisis["sources"]
    assert rasa_user_texts(stack, resident.session) == []  # the crisis never reached NLU or retrieval

    follow_up = resident.says("kiitti paljon tästä")
    assert follow_up["decision"] == "smalltalk" and follow_up["messages"]


HETU_AND_PHONE = "mun hetu on 131052-308T ja puh 040 765 4321, miten haen kotihoitoa isälle"


@pytest.mark.parametrize("text,secrets", [
    (HETU_AND_PHONE, ["131052-308T", "040 765 4321", "0407654321"]),
    ("laita vastaus sähköpostiin maija.meikalainen@example.com, missä on kuhmon neuvola",
     ["maija.meikalainen@example.com", "maija.meikalainen"]),
])
def test_personal_data_is_neither_echoed_nor_passed_on(stack, resident, text, secrets):
    reply = resident.says(text)
    raw = json.dumps(reply, ensure_ascii=False)
    assert not [s for s in secrets if s in raw], raw
    assert "henkilötunnusta" in reply["messages"][0]["text"]  # the privacy notice comes first
    assert reply["decision"] in ("answer", "clarify"), reply  # the question itself is still served
    stored = json.dumps(resident.history(), ensure_ascii=False) + json.dumps(rasa_user_texts(stack, resident.session),
                                                                               ensure_ascii=False)
    assert not [s for s in secrets if s in stored]
    thanks = resident.says("kiitti paljon tästä")  # and the conversation goes on
    assert thanks["messages"] and thanks["decision"] in ("answer", "smalltalk")  # feedback on the card, or thanks


def test_personal_data_does_not_spoil_the_answer(resident):
    reply = resident.says(HETU_AND_PHONE)
    assert reply["decision"] == "answer" and reply["sources"][0]["id"] == "kotihoito"


def test_two_misses_fall_back_with_the_advisor_button(resident):
    first = resident.says("se yks lomake")
    assert first["decision"] == "clarify"
    second = resident.says("tota noin")
    assert second["decision"] == "fallback" and SWITCHBOARD in texts_of(second)
    buttons = [b["payload"] for m in second["messages"] for b in m.get("buttons") or []]
    assert "/ask_human" in buttons


def test_clarification_button_answers_and_history_shows_the_label(resident):
    question = resident.says("mihin terveysasemalle kuuluu mennä")
    assert question["decision"] == "clarify" and question["reason"] == "municipality_unknown"
    buttons = {b["payload"]: b["title"] for m in question["messages"] for b in m.get("buttons") or []}
    payload = '/service_question{"doc_id": "terveysasema-kuhmo"}'
    assert payload in buttons
    chosen = resident.says(payload, label=buttons[payload])
    assert chosen["decision"] == "answer" and card_ids(chosen) == ["terveysasema-kuhmo"]
    thanks = resident.says("/feedback_positive", label="Kyllä")
    assert thanks["messages"][0]["text"].startswith("Hienoa")
    shown = [m["text"] for m in resident.history() if m["sender"] == "user"]
    assert shown == ["mihin terveysasemalle kuuluu mennä", buttons[payload], "Kyllä"]


def test_starting_over_resets_the_failure_counter(resident):
    assert resident.says("se yks lomake")["decision"] == "clarify"
    restart = resident.says("aloitetaan kokonaan alusta")
    assert restart["messages"] and restart["messages"][0]["text"].startswith("Aloitetaan alusta")
    again = resident.says("se yks lomake")
    assert again["decision"] == "clarify", "after a restart the first miss must clarify, not fall back"


@pytest.mark.parametrize("text", [
    "isä kaatu keittiössä eikä nyt herää ollenkaan",
    "mies ei enää oikein hengitä ja huulet on sinisenä",
])
def test_emergency_with_words_between_negation_and_verb(resident, text):
    resident.says("mistä saa apua kun äidin muisti pätkii")
    assert resident.says(text)["decision"] == "emergency"


def test_crisis_said_indirectly(resident):
    assert resident.says("en jaksa enää mitään, mietin et ois helpompi vaan kuolla")["decision"] == "crisis"
