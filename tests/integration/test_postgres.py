"""The app database on a real PostgreSQL server (DATABASE_URL): migrations, event log, accounts, handoff.

A throw-away cluster is created in a temp folder and started on a free loopback port.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from bot.analytics.store import EventLog, TurnEvent
from bot.db import make_engine, migrate
from tests.conftest import free_port

pytestmark = pytest.mark.integration


def _as_postgres(command: list[str]) -> list[str]:
    return command if os.geteuid() != 0 else ["runuser", "-u", "postgres", "--", *command]


@pytest.fixture(scope="module")
def postgres_url(tmp_path_factory):
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if not binaries:
        pytest.skip("PostgreSQL is not installed (scripts/setup.sh installs it)")
    bin_dir = binaries[-1]
    # pytest's temp folders are private to root; the server runs as the postgres user
    root = Path(tempfile.mkdtemp(prefix="kainuu-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    subprocess.run(_as_postgres([f"{bin_dir}/initdb", "-D", str(data), "-U", "postgres", "--auth=trust"]),
                   check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(_as_postgres([f"{bin_dir}/postgres", "-D", str(data), "-p", str(port), "-h", "127.0.0.1",
                                            "-k", str(root)]), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres"
    deadline = time.monotonic() + 30
    while True:
        try:
            with make_engine(url).connect():
                break
        except Exception:
            if time.monotonic() > deadline or server.poll() is not None:
                server.terminate()
                pytest.fail("PostgreSQL did not start")
            time.sleep(0.3)
    yield url
    server.terminate()
    server.wait(15)
    shutil.rmtree(root, ignore_errors=True)


def test_migrations_and_event_log_on_postgres(postgres_url):
    migrate(postgres_url)
    log = EventLog(postgres_url)
    log.record(TurnEvent(conversation="c1", decision="fallback", reason="no_match", text_redacted="missä on [NIMI]"))
    log.add_message("c1", "user", {"type": "text", "text": "missä on [NIMI]"})
    assert log.flush(10)
    assert log.events("c1")[0]["reason"] == "no_match"
    assert log.history("c1")[0]["text"] == "missä on [NIMI]"
    log.delete_conversation("c1")
    assert log.flush(10) and log.events("c1") == []


def test_accounts_and_handoff_on_postgres(postgres_url):
    from bot.handoff.notify import Notifier
    from bot.handoff.service import HandoffService
    from bot.service_hours import ServiceHours
    from bot.staff.accounts import Accounts

    migrate(postgres_url)
    engine = make_engine(postgres_url)
    accounts = Accounts(engine)
    user = accounts.create_user("pg-neuvoja", "pitkä-salasana-123", "advisor")
    assert accounts.authenticate("pg-neuvoja", "pitkä-salasana-123", "test") == user
    handoffs = HandoffService(engine, ServiceHours.parse("always"), Notifier())
    handoffs.heartbeat(user)
    queued = handoffs.request("conv-pg", "fi")
    assert handoffs.position(queued) == 1 and handoffs.availability().status == "open"
    assert handoffs.accept(queued["id"], user)["status"] == "active"
