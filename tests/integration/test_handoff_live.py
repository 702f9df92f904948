"""Live handoff over server-sent events, across two app instances that share a database and Redis.

Two real uvicorn servers run the app on loopback ports; the resident streams from one, the
advisor works on the other, exactly as behind a load balancer.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime

import httpx
import pytest
import uvicorn

from bot.api.app import create_app
from bot.service_hours import HELSINKI
from bot.settings import Settings
from tests.api.staff_helpers import PASSWORD, csrf_from
from tests.api.test_handoff_api import offer_human
from tests.conftest import free_port

pytestmark = pytest.mark.integration
WEDNESDAY_10 = datetime(2026, 11, 25, 10, 0, tzinfo=HELSINKI).timestamp()
RESIDENT = "live-resident-0001"


class Instance:
    def __init__(self, settings: Settings) -> None:
        self.app = create_app(settings, warm_up=False)
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "Instance":
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        self.app.state.services.handoff.clock = lambda: WEDNESDAY_10
        return self

    def __exit__(self, *_exc) -> None:
        self.server.should_exit = True
        self.thread.join(15)


def read_events(response: httpx.Response, found: threading.Event, wanted: str, seen: list) -> None:
    for line in response.iter_lines():
        if line.startswith("data: "):
            seen.append(json.loads(line[6:]))
            if wanted in line:
                found.set()
                return


@pytest.fixture
def two_instances(tmp_path, redis_server):
    if redis_server is None:
        pytest.skip("redis-server is not installed")
    settings = Settings(data_dir=tmp_path / "shared-data", redis_url=redis_server, pseudonym_salt="same-salt-for-all",
                        rasa_url=f"http://127.0.0.1:{free_port()}")
    with Instance(settings) as first, Instance(settings) as second:
        first.app.state.services.accounts.create_user("anna", PASSWORD, "advisor")
        yield settings, first, second


def test_advisor_on_one_instance_reaches_resident_streaming_from_another(two_instances):
    settings, resident_side, advisor_side = two_instances
    with httpx.Client(base_url=advisor_side.url, follow_redirects=False) as advisor, \
            httpx.Client(base_url=resident_side.url, timeout=30) as resident:
        form = advisor.get("/staff/login")
        advisor.post("/staff/login", data={"username": "anna", "password": PASSWORD,
                                           "csrf_token": csrf_from(form.text), "next": "/staff/handoff"})
        page = advisor.get("/staff/handoff")
        assert page.status_code == 200
        advisor.headers["X-CSRF-Token"] = page.text.split('name="csrf-token" content="')[1].split('"')[0]

        offer_human(resident, settings, RESIDENT)  # the resident's instance sees the advisor online
        handoff_id = advisor.get("/staff/api/handoff/queue").json()["queue"][0]["id"]

        seen: list[dict] = []
        found = threading.Event()
        with resident.stream("GET", f"/api/handoff/{RESIDENT}/stream") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            reader = threading.Thread(target=read_events, args=(stream, found, "Tervetuloa, autan mielelläni", seen),
                                      daemon=True)
            reader.start()
            assert advisor.post(f"/staff/api/handoff/{handoff_id}/accept").status_code == 200
            assert advisor.post(f"/staff/api/handoff/{handoff_id}/message",
                                json={"text": "Tervetuloa, autan mielelläni"}).status_code == 200
            assert found.wait(20), f"resident never saw the advisor's message; got {seen}"
        assert seen[0]["status"] == "waiting" and seen[0]["position"] == 1
        assert seen[-1]["status"] == "active"

        # and the other way: the resident writes through /api/chat on their instance
        seen.clear()
        found.clear()
        with advisor.stream("GET", f"/staff/api/handoff/{handoff_id}/stream", timeout=30) as stream:
            reader = threading.Thread(target=read_events, args=(stream, found, "Kiitos, minulla on kysymys", seen),
                                      daemon=True)
            reader.start()
            reply = resident.post("/api/chat", json={"session_id": RESIDENT, "text": "Kiitos, minulla on kysymys"})
            assert reply.json()["decision"] == "handoff"
            assert found.wait(20), f"advisor never saw the resident's message; got {seen}"
