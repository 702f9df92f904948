"""Human handoff through the real app with two parties: a resident and service advisors.

The resident's side enters the queue the way Rasa does it (a call of action_offer_human on the
app's action endpoint), then talks through /api/chat; advisors use the staff console API.
Rasa itself is not running here, which also shows that a live handoff does not need it.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from bot.api.app import create_app
from bot.chat import pseudonym
from bot.service_hours import HELSINKI
from tests.api.staff_helpers import make_user, session_csrf, sign_in

RESIDENT = "resident-session-0001"
WEDNESDAY_10 = datetime(2026, 11, 25, 10, 0, tzinfo=HELSINKI).timestamp()
SATURDAY_10 = datetime(2026, 11, 28, 10, 0, tzinfo=HELSINKI).timestamp()
CHRISTMAS_EVE_10 = datetime(2026, 12, 24, 10, 0, tzinfo=HELSINKI).timestamp()


def offer_human(client, settings, session_id: str = RESIDENT, lang: str = "fi") -> dict:
    """What Rasa sends to the action endpoint when the resident asks for a person."""
    conversation = pseudonym(session_id, settings.salt())
    body = {"next_action": "action_offer_human", "sender_id": conversation, "version": "3.6.21", "domain": {},
            "tracker": {"sender_id": conversation, "slots": {"lang": lang}, "events": [], "paused": False,
                        "latest_message": {"intent": {"name": "ask_human", "confidence": 0.99}, "text": "ihminen"},
                        "latest_action_name": "action_listen", "active_loop": {}, "followup_action": None}}
    response = client.post("/webhook", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def payload_of(action_result: dict, kind: str) -> dict | None:
    for message in action_result["responses"]:
        custom = message.get("custom") or {}
        if custom.get("kind") == kind:
            return custom
    return None


@pytest.fixture
def resident(app):
    with TestClient(app) as client:
        app.state.services.handoff.clock = lambda: WEDNESDAY_10
        make_user(app, "anna", "advisor")
        make_user(app, "ville", "advisor")
        make_user(app, "eero", "editor")
        yield client


@pytest.fixture
def advisor(app, resident):
    client = TestClient(app)
    sign_in(client, "anna")
    client.headers["X-CSRF-Token"] = session_csrf(client, "/staff/handoff")
    return client


def test_full_handoff_between_resident_and_advisor(app, settings, resident, advisor):
    queue = advisor.get("/staff/api/handoff/queue").json()
    assert queue["availability"] == "open" and queue["advisors_online"] == 1

    offered = offer_human(resident, settings)
    assert payload_of(offered, "handoff") == {"kind": "handoff", "status": "waiting", "position": 1}
    assert any("sijalla 1" in (m.get("text") or "") for m in offered["responses"])
    assert {"event": "slot", "name": "handoff", "value": "queued"} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in offered["events"]]

    # While waiting, the resident's messages go to the advisor, redacted, and never to Rasa.
    reply = resident.post("/api/chat", json={"session_id": RESIDENT, "text": "Lasku on väärin, hetuni 131052-308T"})
    assert reply.status_code == 200
    body = reply.json()
    assert body["decision"] == "handoff" and not body["degraded"]
    assert any("henkilötun" in m["text"].lower() for m in body["messages"])  # told not to share it
    events = app.state.services.events
    events.flush()
    logged = events.events(pseudonym(RESIDENT, settings.salt()))[-1]
    assert logged["reason"] == "in_handoff" and not logged["unresolved"]  # not failure demand twice

    handoff_id = advisor.get("/staff/api/handoff/queue").json()["queue"][0]["id"]
    seen = advisor.get(f"/staff/api/handoff/{handoff_id}").json()
    assert seen["status"] == "waiting" and seen["position"] == 1
    assert "131052-308T" not in str(seen) and "Lasku on väärin" in str(seen)

    accepted = advisor.post(f"/staff/api/handoff/{handoff_id}/accept").json()
    assert accepted["status"] == "active" and accepted["advisor"] == "anna"
    assert advisor.post(f"/staff/api/handoff/{handoff_id}/message",
                        json={"text": "Hei, katsotaan laskua yhdessä."}).json() == {"sent": True}

    state = resident.get(f"/api/handoff/{RESIDENT}").json()
    assert state["status"] == "active" and state["position"] is None
    texts = [m["text"] for m in state["messages"]]
    assert "Palveluneuvoja liittyi keskusteluun. Nyt vastaa ihminen, ei botti." in texts
    assert "Hei, katsotaan laskua yhdessä." in texts

    ended = advisor.post(f"/staff/api/handoff/{handoff_id}/end").json()
    assert ended["status"] == "ended"
    state = resident.get(f"/api/handoff/{RESIDENT}").json()
    assert state["status"] == "ended" and "Voit jatkaa kysymistä minulta." in state["messages"][-1]["text"]

    # The bot resumes: the next message goes to Rasa again (down here, so the polite degraded answer).
    after = resident.post("/api/chat", json={"session_id": RESIDENT, "text": "missä on neuvola"}).json()
    assert after["decision"] == "fallback" and after["reason"] == "technical_error"


def test_queue_positions_and_resident_cancel(settings, resident, advisor):
    offer_human(resident, settings, "first-resident-01")
    second = offer_human(resident, settings, "second-resident-02")
    assert payload_of(second, "handoff")["position"] == 2
    assert payload_of(offer_human(resident, settings, "second-resident-02"), "handoff")["position"] == 2  # no 2nd place

    cancelled = resident.post("/api/handoff/first-resident-01/cancel").json()
    assert cancelled["status"] == "cancelled"
    assert resident.get("/api/handoff/second-resident-02").json()["position"] == 1
    assert [row["status"] for row in advisor.get("/staff/api/handoff/queue").json()["queue"]] == ["waiting"]


def test_only_one_advisor_can_take_a_resident(app, settings, resident, advisor):
    offer_human(resident, settings)
    handoff_id = advisor.get("/staff/api/handoff/queue").json()["queue"][0]["id"]
    other = TestClient(app)
    sign_in(other, "ville")
    other.headers["X-CSRF-Token"] = session_csrf(other, "/staff/handoff")
    assert advisor.post(f"/staff/api/handoff/{handoff_id}/accept").status_code == 200
    refused = other.post(f"/staff/api/handoff/{handoff_id}/accept")
    assert refused.status_code == 409 and "another advisor" in refused.json()["message"]
    assert other.post(f"/staff/api/handoff/{handoff_id}/message", json={"text": "hei"}).status_code == 409


@pytest.mark.parametrize("moment,expected", [(SATURDAY_10, "closed"), (CHRISTMAS_EVE_10, "closed")])
def test_outside_service_hours_the_resident_is_told_honestly(app, settings, resident, advisor, moment, expected):
    app.state.services.handoff.clock = lambda: moment
    offered = offer_human(resident, settings)
    assert payload_of(offered, "callback_offer") == {"kind": "callback_offer", "availability": expected}
    text = " ".join(m.get("text") or "" for m in offered["responses"])
    assert "ma–pe klo 8–16" in text and "08 61561" in text and "112" in text
    assert advisor.get("/staff/api/handoff/queue").json()["queue"] == []


def test_in_hours_with_nobody_online_says_so(settings, resident):
    offered = offer_human(resident, settings, lang="en")
    assert payload_of(offered, "callback_offer")["availability"] == "no_advisor"
    assert "No service advisor" in " ".join(m.get("text") or "" for m in offered["responses"])


def test_call_back_request_keeps_the_number_only_until_handled(app, settings, resident, advisor):
    bad = resident.post(f"/api/handoff/{RESIDENT}/callback", json={"phone": "soita minulle", "lang": "fi"})
    assert bad.status_code == 422 and "phone number" in bad.json()["message"]
    saved = resident.post(f"/api/handoff/{RESIDENT}/callback",
                          json={"phone": "040 123 4567", "preferred_time": "aamupäivä",
                                "topic": "kotihoito äidille, hänen hetunsa 131052-308T", "lang": "fi"}).json()
    assert saved["saved"] and "14 päivän" in saved["text"]
    callbacks = advisor.get("/staff/api/handoff/queue").json()["callbacks"]
    assert callbacks[0]["phone"] == "040 123 4567" and "131052-308T" not in callbacks[0]["topic"]
    assert advisor.post(f"/staff/api/callbacks/{callbacks[0]['id']}/done").json() == {"done": True}
    assert advisor.get("/staff/api/handoff/queue").json()["callbacks"] == []
    from sqlalchemy import select

    from bot.db.tables import callback_requests
    with app.state.services.engine.connect() as db:
        assert db.execute(select(callback_requests.c.phone)).scalars().all() == [None]


def test_queue_and_messages_survive_an_app_restart(settings, resident, advisor):
    offer_human(resident, settings)
    resident.post("/api/chat", json={"session_id": RESIDENT, "text": "Odotan neuvojaa"})
    restarted = create_app(settings, warm_up=False)
    with TestClient(restarted) as client:
        sign_in(client, "anna")
        queue = client.get("/staff/api/handoff/queue").json()["queue"]
        assert len(queue) == 1
        assert "Odotan neuvojaa" in str(client.get(f"/staff/api/handoff/{queue[0]['id']}").json())


def test_advisor_pages_need_the_advisor_role(app, resident):
    assert resident.get("/staff/api/handoff/queue").status_code == 401
    editor = TestClient(app)
    sign_in(editor, "eero")
    assert editor.get("/staff/api/handoff/queue").status_code == 403
    assert editor.get("/staff/handoff").status_code == 403


def test_actions_need_the_csrf_token(app, settings, resident):
    client = TestClient(app)
    sign_in(client, "anna")
    client.get("/staff/api/handoff/queue")  # online
    offer_human(resident, settings)
    handoff_id = client.get("/staff/api/handoff/queue").json()["queue"][0]["id"]
    assert client.post(f"/staff/api/handoff/{handoff_id}/accept").status_code == 403


def test_deleting_the_conversation_removes_the_handoff(settings, resident, advisor):
    offer_human(resident, settings)
    resident.post("/api/chat", json={"session_id": RESIDENT, "text": "Hei"})
    assert resident.delete(f"/api/chat/{RESIDENT}").status_code == 200
    assert resident.get(f"/api/handoff/{RESIDENT}").json()["status"] == "none"
    assert advisor.get("/staff/api/handoff/queue").json()["queue"] == []


def test_pages_render_for_the_advisor(settings, resident, advisor):
    offer_human(resident, settings)
    page = advisor.get("/staff/handoff")
    assert page.status_code == 200 and "Avaa keskustelu" in page.text
    handoff_id = advisor.get("/staff/api/handoff/queue").json()["queue"][0]["id"]
    conversation = advisor.get(f"/staff/handoff/{handoff_id}")
    assert conversation.status_code == 200 and 'role="log"' in conversation.text
    assert advisor.get("/staff/handoff/9999").status_code == 404
