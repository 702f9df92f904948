"""`python -m bot.analytics`: every command on a private database, and clear errors for bad input."""

from __future__ import annotations

import csv
import subprocess
import sys
import time
from datetime import date

import pytest
from sqlalchemy import func, select

from bot.analytics.__main__ import main
from bot.analytics.store import EventLog, TurnEvent
from bot.db import make_engine
from bot.db.tables import events
from bot.settings import PROJECT_ROOT


@pytest.fixture
def url(tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))  # purge and erasure also touch Rasa's store there
    from bot.settings import get_settings

    get_settings.cache_clear()
    yield f"sqlite:///{tmp_path / 'app.sqlite3'}"
    get_settings.cache_clear()


def count(url: str, *where) -> int:
    with make_engine(url).connect() as connection:
        return connection.execute(select(func.count()).select_from(events).where(*where)).scalar()


def test_simulate_then_export_and_report(url, tmp_path, capsys):
    assert main(["--url", url, "simulate", "--events", "2000", "--days", "14", "--seed", "3"]) == 0
    assert "simulated 2000 events" in capsys.readouterr().out
    assert count(url) == 2000 and count(url, events.c.conversation.like("sim-%")) == 2000

    out = tmp_path / "events.csv"
    assert main(["--url", url, "export", "--format", "csv", "--out", str(out)]) == 0
    with out.open(encoding="utf-8-sig") as handle:
        assert sum(1 for _ in csv.DictReader(handle)) == 2000

    today = date.today()
    assert main(["--url", url, "export", "--format", "parquet", "--out", str(tmp_path / "e.parquet"),
                 "--since", today.isoformat(), "--until", today.isoformat()]) == 0
    assert "rows to" in capsys.readouterr().out

    report = tmp_path / "report.html"
    assert main(["--url", url, "report", "--week", today.isoformat(), "--out", str(report)]) == 0
    assert "Vikakysyntäraportti" in report.read_text(encoding="utf-8")


def test_purge_and_delete_conversation(url, capsys):
    log = EventLog(url)
    log.record(TurnEvent(conversation="old", decision="answer", ts=time.time() - 40 * 86400))
    log.record(TurnEvent(conversation="keep", decision="answer"))
    log.record(TurnEvent(conversation="erase", decision="fallback", reason="no_match", text_redacted="x"))
    log.add_message("erase", "user", {"type": "text", "text": "x"})
    assert log.flush()
    assert main(["--url", url, "purge", "--days", "30"]) == 0
    assert "removed 1 event-log" in capsys.readouterr().out
    assert main(["--url", url, "delete-conversation", "erase"]) == 0
    assert "2 event-log and history rows deleted" in capsys.readouterr().out
    assert [e["conversation"] for e in log.events()] == ["keep"]


def test_delete_by_session_id_uses_the_same_pseudonym_as_the_chat(url, capsys):
    from bot.chat import pseudonym
    from bot.settings import get_settings

    conversation = pseudonym("session-12345678", get_settings().salt())
    log = EventLog(url)
    log.record(TurnEvent(conversation=conversation, decision="answer"))
    assert log.flush()
    assert main(["--url", url, "delete-conversation", "--session", "session-12345678"]) == 0
    assert log.events() == []


@pytest.mark.parametrize("argv,message", [
    (["simulate", "--events", "many"], "is not a whole number"),
    (["simulate", "--events", "-5"], "must not be negative"),
    (["purge", "--days", "0"], "must be at least 1"),
    (["report", "--week", "2025-13-01", "--out", "x.html"], "is not a date"),
    (["export", "--format", "xlsx", "--out", "x"], "invalid choice"),
])
def test_bad_arguments_get_a_one_line_error(url, capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["--url", url, *argv])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_failures_at_run_time_are_reported_without_a_traceback(url, tmp_path, capsys):
    assert main(["--url", url, "export", "--format", "csv", "--out", str(tmp_path / "missing" / "x.csv")]) == 2
    assert capsys.readouterr().err.startswith("error: ")
    assert main(["--url", "nosuchdb://x", "purge"]) == 2
    assert "error:" in capsys.readouterr().err


def test_runs_as_a_module(url, tmp_path):
    done = subprocess.run([sys.executable, "-m", "bot.analytics", "--url", url, "simulate", "--events", "10"],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(PROJECT_ROOT), "DATA_DIR": str(tmp_path / "data"), "PATH": ""})
    assert done.returncode == 0, done.stderr
    assert "simulated 10 events" in done.stdout
