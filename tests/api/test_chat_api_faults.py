"""Bad input gets a clear 4xx; Rasa down or slow gets a polite answer; the app keeps serving.

These run the real app with a real (closed or stalling) Rasa address, no fakes.
"""

from __future__ import annotations

import http.server
import threading
import time

import pytest
from fastapi.testclient import TestClient

from bot.api.app import create_app
from tests.conftest import free_port

SESSION = "session-12345678"


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings, warm_up=False)) as test_client:
        yield test_client


@pytest.mark.parametrize("body,fragment", [
    ({"session_id": SESSION, "text": ""}, "text is empty"),
    ({"session_id": SESSION, "text": "   \n\t "}, "text is empty"),
    ({"session_id": SESSION, "text": "a" * 1001}, "longer than 1000"),
    ({"session_id": SESSION, "text": 42}, "text"),
    ({"session_id": SESSION, "text": "moi", "lang": "de"}, "lang"),
    ({"session_id": "x", "text": "moi"}, "session_id"),
    ({"text": "moi"}, "session_id"),
])
def test_invalid_requests_get_a_clear_4xx(client, body, fragment):
    response = client.post("/api/chat", json=body)
    assert response.status_code == 422
    payload = response.json()
    assert payload["error"] == "invalid_request" and fragment in payload["message"]


def test_invalid_json_and_binary_bodies(client):
    for raw in (b"{not json", b"\xff\xfe\x00binary", "{\"text\": \"moi\"".encode()):
        response = client.post("/api/chat", content=raw, headers={"content-type": "application/json"})
        assert response.status_code in (400, 422)
        assert response.json()["error"] == "invalid_request" and "JSON" in response.json()["message"]


def test_huge_body_is_refused_before_reading(client):
    response = client.post("/api/chat", content=b"x" * 200_000, headers={"content-type": "application/json"})
    assert response.status_code == 413 and response.json()["error"] == "too_large"


def test_html_is_accepted_as_plain_text_and_never_reflected_as_markup(client):
    response = client.post("/api/chat", json={"session_id": SESSION, "text": "<img src=x onerror=alert(1)>"})
    assert response.status_code == 200
    assert "<img" not in response.text


def test_rasa_down_gives_polite_finnish_message_and_is_logged(client):
    response = client.post("/api/chat", json={"session_id": SESSION, "text": "missä on terveysasema"})
    assert response.status_code == 200
    payload = response.json()
    assert payload["degraded"] is True and payload["error"] == "rasa_unavailable"
    assert payload["decision"] == "fallback" and payload["reason"] == "technical_error"
    text = payload["messages"][-1]["text"]
    assert "112" in text and "116 117" in text and "Omasote" in text
    events = client.app.state.chat.events
    events.flush()
    assert events.events()[-1]["reason"] == "technical_error"
    # the app keeps serving
    assert client.get("/api/privacy").status_code == 200
    assert client.get("/health").json()["components"]["rasa"]["ok"] is False


def test_emergency_is_answered_even_when_rasa_is_down(client):
    payload = client.post("/api/chat", json={"session_id": SESSION, "text": "isä ei herää eikä hengitä"}).json()
    assert payload["decision"] == "emergency"
    assert payload["messages"][0]["text"].startswith("Soita heti hätänumeroon 112")


def test_slow_rasa_times_out_into_the_same_polite_message(settings):
    class Stall(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            time.sleep(5)

        def log_message(self, *args):
            pass

    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Stall)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        slow = settings.model_copy(update={"rasa_url": f"http://127.0.0.1:{port}", "rasa_timeout_s": 0.5})
        with TestClient(create_app(slow, warm_up=False)) as client:
            payload = client.post("/api/chat", json={"session_id": SESSION, "text": "hammaslääkäri"}).json()
        assert payload["degraded"] is True and payload["reason"] == "technical_error"
    finally:
        server.shutdown()


def test_personal_data_is_warned_about_and_never_stored(client):
    payload = client.post("/api/chat", json={"session_id": SESSION, "text": "hetuni on 131052-308T, soita 040 123 4567"}).json()
    assert "henkilötunnusta" in payload["messages"][0]["text"]
    assert "131052" not in str(payload) and "123 4567" not in str(payload)
    history = client.get(f"/api/chat/{SESSION}/history").json()["messages"]
    assert history[0]["text"] == "hetuni on [HETU], soita [PUHELIN]"
    events = client.app.state.chat.events
    assert all("131052" not in str(e) for e in events.events())


def test_history_and_delete(client):
    client.post("/api/chat", json={"session_id": SESSION, "text": "moi"})
    assert client.get(f"/api/chat/{SESSION}/history").json()["messages"]
    assert client.delete(f"/api/chat/{SESSION}").json()["deleted"] is True
    assert client.get(f"/api/chat/{SESSION}/history").json()["messages"] == []
    assert client.get("/api/chat/x/history").status_code == 422


def test_action_endpoint_accepts_the_large_trackers_of_long_conversations(client):
    # Rasa posts the whole tracker with each action call; a long conversation exceeds the chat API's limit.
    events = [{"event": "user", "text": "kysymys " * 50, "timestamp": i} for i in range(400)]
    body = {"next_action": "action_decline_out_of_scope", "sender_id": "x", "version": "3.6.21",
            "tracker": {"sender_id": "x", "slots": {"lang": "fi"}, "latest_message": {"intent": {"name": "off_topic"}},
                        "events": events, "latest_event_time": 0, "paused": False, "latest_input_channel": "rest",
                        "followup_action": None, "active_loop": {}, "latest_action_name": "action_listen"},
            "domain": {}}
    response = client.post("/webhook", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["responses"]


def test_button_payloads_are_kept_in_history_as_the_label_the_resident_saw(client):
    client.post("/api/chat", json={"session_id": SESSION, "text": "/feedback_positive", "label": "Kyllä"})
    history = client.get(f"/api/chat/{SESSION}/history").json()["messages"]
    assert history[0]["sender"] == "user" and history[0]["text"] == "Kyllä"


def test_semantic_safety_notice_comes_first_and_the_turn_goes_on(settings):
    """A message the rules miss but the net recognises: 112 first, then the bot's own reply (here Rasa is down)."""
    import asyncio

    from bot.analytics.store import EventLog
    from bot.chat import ChatService
    from bot.content import ApprovedTexts
    from bot.db import database_url
    from bot.rasa_client import RasaClient
    from bot.safety_semantic import SafetyNotice

    texts = ApprovedTexts.load(settings.knowledge_dir)
    chat = ChatService(RasaClient(settings.rasa_url, 1.0), texts, EventLog(database_url(settings)), "salt",
                       semantic_safety=lambda text: SafetyNotice("bleeding", "emergency", "safety-emergency", 0.9))
    result = asyncio.run(chat.handle(SESSION, "haava ei lakkaa tihkumasta"))
    assert result.messages[0]["urgent"] and "112" in result.messages[0]["text"]
    assert result.messages[0]["text"] == texts.get("safety-emergency", "fi")
    assert len(result.messages) == 2 and result.decision == "fallback"  # the turn still went on
    chat.events.flush()
    assert chat.events.events()[-1]["reason"] == "technical_error"
