"""The whole stack for real: Rasa server, the app with its action endpoint, Redis when installed."""

from __future__ import annotations

import os
import uuid

import httpx
import pytest

from tests.conftest import running_stack

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def stack(tmp_path_factory, redis_server):
    yield from running_stack(tmp_path_factory, redis_server)


def chat(base: str, session: str, text: str) -> dict:
    response = httpx.post(f"{base}/api/chat", json={"session_id": session, "text": text}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def new_session() -> str:
    return uuid.uuid4().hex


def test_health_reports_every_component(stack):
    _, base = stack
    payload = httpx.get(f"{base}/health", timeout=10).json()
    assert payload["status"] == "ok", payload
    expected = {"rasa", "action_endpoint", "index"} | ({"redis"} if os.environ.get("REDIS_URL") else set())
    assert expected <= set(payload["components"])


def test_greeting_and_goodbye_are_handled_by_nlu(stack):
    _, base = stack
    session = new_session()
    hello = chat(base, session, "moikka")
    # small talk is not logged as an answered service question
    assert hello["decision"] == "smalltalk" and hello["messages"][0]["text"].startswith("Hei!")
    bye = chat(base, session, "kiitti ja heippa, mun pitää mennä")
    assert bye["messages"] and bye["decision"] == "smalltalk"


@pytest.mark.parametrize("question,acceptable", [
    ("Miten saan uusittua reseptini?", {"reseptin-uusiminen"}),
    ("Missä on Kuhmon terveysasema?", {"terveysasema-kuhmo"}),
    ("tarviin omaishoidon tukea äidille", {"omaishoidon-tuki", "omaishoidon-palvelukokonaisuus"}),
])
def test_finnish_questions_get_a_retrieval_answer_with_a_source(stack, question, acceptable):
    _, base = stack
    payload = chat(base, new_session(), question)
    assert payload["decision"] == "answer", payload
    assert payload["sources"][0]["id"] in acceptable
    card = next(m for m in payload["messages"] if m["type"] == "card")
    assert card["url"].startswith("https://") and card["summary"]
    assert any(m.get("buttons") for m in payload["messages"])  # "Löysitkö etsimäsi?"


def test_out_of_scope_is_declined_kindly(stack):
    _, base = stack
    payload = chat(base, new_session(), "mitkä on mun labratulokset")
    assert payload["decision"] == "decline" and "Omasote" in payload["messages"][0]["text"]


def test_clarification_button_payload_answers_with_that_document(stack):
    _, base = stack
    payload = chat(base, new_session(), '/service_question{"doc_id": "hammashoito"}')
    assert payload["decision"] == "answer" and payload["sources"][0]["id"] == "hammashoito"


def test_emergency_never_waits_for_rasa(stack):
    _, base = stack
    payload = chat(base, new_session(), "mies ei herää eikä hengitä")
    assert payload["decision"] == "emergency" and "112" in payload["messages"][0]["text"]


@pytest.mark.skipif(not __import__("shutil").which("redis-server"), reason="redis-server not installed")
def test_conversations_live_in_redis(stack):
    import redis

    _, base = stack
    chat(base, new_session(), "moi")
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    assert client.keys("kainuu:tracker:*")


def test_deleting_a_conversation_removes_rasa_tracker_too(stack):
    _, base = stack
    session = new_session()
    chat(base, session, "moi")
    response = httpx.delete(f"{base}/api/chat/{session}", timeout=10).json()
    assert response["deleted"] is True and response["rasa_tracker_deleted"] is True
    if os.environ.get("REDIS_URL"):
        import redis

        from bot.chat import pseudonym
        from bot.settings import Settings as S

        salt = S().salt()
        assert not redis.Redis.from_url(os.environ["REDIS_URL"]).exists(f"kainuu:tracker:{pseudonym(session, salt)}")
    assert httpx.get(f"{base}/api/chat/{session}/history", timeout=10).json()["messages"] == []


def test_yes_and_no_count_as_feedback_only_right_after_an_answer(stack):
    _, base = stack
    session = new_session()
    first = chat(base, session, "kyllä")
    assert "kiitos palautteesta" not in str(first["messages"]).lower()
    answer = chat(base, session, "Miten saan uusittua reseptini?")
    assert answer["decision"] == "answer"
    thanks = chat(base, session, "/feedback_positive")
    assert thanks["messages"][0]["text"].startswith("Hienoa")


def test_history_survives_an_app_restart_and_rasa_outage_is_survived(stack):
    """Destructive: runs last in this module (pytest keeps definition order)."""
    running, base = stack
    session = new_session()
    chat(base, session, "moi")
    running.processes["app"].terminate()
    running.processes["app"].wait(30)
    running.only = "app"
    assert running.start(wait=True, timeout_s=120)
    history = httpx.get(f"{base}/api/chat/{session}/history", timeout=10).json()["messages"]
    assert [m["text"] for m in history if m["sender"] == "user"] == ["moi"]
    # Rasa goes away: the resident gets the polite message and the app keeps serving
    rasa = running.processes["rasa"]
    os.killpg(rasa.pid, 15)
    rasa.wait(60)
    payload = chat(base, session, "missä on terveysasema")
    assert payload["degraded"] is True and "116 117" in payload["messages"][-1]["text"]
    assert httpx.get(f"{base}/health", timeout=10).status_code == 503
