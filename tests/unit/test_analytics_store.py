"""The event log: derived columns, the transcript policy, and nothing lost when the database is
locked for a while, when a record is bad, or when the app restarts while the database is down."""

from __future__ import annotations

import sqlite3
import time
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import event, select

from bot.analytics.store import EventLog, TurnEvent
from bot.db import make_engine, migrate
from bot.db.tables import annotations, event_topics, events, messages
from bot.service_hours import HELSINKI


def local_ts(*args) -> float:
    return datetime(*args, tzinfo=HELSINKI).timestamp()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "app.sqlite3"


def quick_engine(path: Path):
    """The app's engine, but giving up on a locked database after 50 ms instead of 5 s."""
    engine = make_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def short_busy_timeout(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA busy_timeout=50")

    return engine


def open_log(path: Path, **kwargs) -> EventLog:
    return EventLog(quick_engine(path), spool_dir=path.parent, retry_s=0.05, max_retry_s=0.2, **kwargs)


class Lock:
    """Another process holding the SQLite write lock: the database is unavailable for writing."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("BEGIN EXCLUSIVE")

    def release(self) -> None:
        self.db.execute("COMMIT")
        self.db.close()


def count_rows(path: Path, table: str = "events") -> int:
    with sqlite3.connect(path) as db:
        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_derived_columns_use_the_helsinki_clock_and_service_hours(db_path):
    log = open_log(db_path)
    log.record(TurnEvent(conversation="c1", decision="answer", ts=local_ts(2025, 3, 3, 9, 30)))  # Monday, open
    log.record(TurnEvent(conversation="c1", decision="answer", ts=local_ts(2025, 3, 8, 23, 59)))  # Saturday night
    log.record(TurnEvent(conversation="c1", decision="answer", ts=local_ts(2025, 12, 24, 10, 0)))  # Christmas Eve
    assert log.flush()
    first, saturday, christmas = log.events()
    assert (first["day"], first["week"], first["hour"], first["weekday"], first["off_hours"]) == \
        (date(2025, 3, 3), date(2025, 3, 3), 9, 0, 0)
    assert (saturday["day"], saturday["week"], saturday["hour"], saturday["weekday"], saturday["off_hours"]) == \
        (date(2025, 3, 8), date(2025, 3, 3), 23, 5, 1)
    assert christmas["weekday"] == 2 and christmas["off_hours"] == 1  # a Wednesday, but a public holiday


@pytest.mark.parametrize("decision,reason,feedback,unresolved", [
    ("answer", None, None, 0),
    ("answer", None, 1, 0),
    ("clarify", "low_confidence", None, 0),
    ("fallback", "no_match", None, 1),
    ("decline", "out_of_scope:medical_advice", None, 1),
    ("handoff", "human_requested", None, 1),
    ("fallback", "negative_feedback", 0, 1),
    ("answer", "personal_data", None, 1),
    ("emergency", "chest_pain", None, 0),
])
def test_unresolved_flag(db_path, decision, reason, feedback, unresolved):
    log = open_log(db_path)
    log.record(TurnEvent(conversation="c", decision=decision, reason=reason, feedback=feedback))
    assert log.flush()
    assert log.events()[0]["unresolved"] == unresolved


def test_text_is_kept_only_for_unanswered_turns_unless_transcripts_are_on(db_path, tmp_path):
    log = open_log(db_path)
    log.record(TurnEvent(conversation="c", decision="answer", text_redacted="hammaslääkäri Kajaani"))
    log.record(TurnEvent(conversation="c", decision="clarify", reason="low_confidence", text_redacted="hammas"))
    log.record(TurnEvent(conversation="c", decision="fallback", reason="no_match", text_redacted="parkkipaikka"))
    assert log.flush()
    assert [e["text_redacted"] for e in log.events()] == [None, "hammas", "parkkipaikka"]

    transcripts = open_log(tmp_path / "other" / "app.sqlite3", store_transcripts=True)
    transcripts.record(TurnEvent(conversation="c", decision="answer", text_redacted="hammaslääkäri Kajaani"))
    assert transcripts.flush()
    assert transcripts.events()[0]["text_redacted"] == "hammaslääkäri Kajaani"


def test_negative_feedback_is_stored_with_the_question_that_was_answered(db_path):
    log = open_log(db_path)
    log.record(TurnEvent(conversation="c", decision="answer", text_redacted="milloin neuvola on auki",
                         sources=["neuvola"], confidence=0.8))
    log.record(TurnEvent(conversation="c", decision="fallback", reason="negative_feedback", feedback=0,
                         text_redacted="/feedback_negative", sources=["neuvola"]))
    log.record(TurnEvent(conversation="other", decision="fallback", reason="negative_feedback", feedback=0,
                         text_redacted="/feedback_negative"))
    assert log.flush()
    answered, rated, unknown = log.events()
    assert answered["text_redacted"] is None
    assert rated["text_redacted"] == "milloin neuvola on auki" and rated["top_doc"] == "neuvola"
    assert unknown["text_redacted"] is None  # the button payload itself is never stored as the question


def test_sources_keep_scores_and_bare_ids_get_the_turn_confidence(db_path):
    log = open_log(db_path)
    log.record(TurnEvent(conversation="c", decision="answer", sources=["a", "b"], confidence=0.71))
    log.record(TurnEvent(conversation="c", decision="clarify", sources=[{"id": "x", "score": 0.4}, {"id": "y"}]))
    assert log.flush()
    first, second = log.events()
    assert first["sources"] == [{"id": "a", "score": 0.71}, {"id": "b", "score": None}]
    assert first["top_doc"] == "a"
    assert second["sources"] == [{"id": "x", "score": 0.4}, {"id": "y", "score": None}]


def test_locked_database_keeps_events_until_it_is_back(db_path):
    log = open_log(db_path)
    assert log.flush()  # schema exists
    lock = Lock(db_path)
    try:
        for i in range(25):
            log.record(TurnEvent(conversation=f"c{i % 3}", decision="fallback", reason="no_match",
                                 text_redacted=f"kysymys {i}"))
        log.add_message("c0", "user", {"type": "text", "text": "hei"})
        assert log.flush(timeout=0.5) is False  # still waiting for the database
        assert count_rows(db_path) == 0
    finally:
        lock.release()
    assert log.flush(timeout=10)
    assert [e["text_redacted"] for e in log.events()] == [f"kysymys {i}" for i in range(25)]
    assert log.history("c0")[0]["text"] == "hei"


def test_a_record_the_database_refuses_is_dropped_without_blocking_the_rest(db_path):
    log = open_log(db_path)
    log.record(TurnEvent(conversation="c", decision="answer"))
    log.record(TurnEvent(conversation=None, decision="answer"))  # NOT NULL violation: no retry can fix it
    log.record(TurnEvent(conversation="c", decision="fallback", reason="no_match"))
    assert log.flush(timeout=10)
    assert [e["decision"] for e in log.events()] == ["answer", "fallback"]


def test_restart_while_the_database_is_down_loses_nothing(db_path):
    first = open_log(db_path)
    first.record(TurnEvent(conversation="gone", decision="answer"))
    assert first.flush()
    lock = Lock(db_path)
    try:
        first.record(TurnEvent(conversation="kept", decision="fallback", reason="no_match", text_redacted="parkki"))
        first.add_message("kept", "user", {"type": "text", "text": "parkki"})
        first.delete_conversation("gone")  # an erasure request must survive the restart too
        spilled = first.close(timeout=0.3)
    finally:
        lock.release()
    assert spilled == 3
    assert list(db_path.parent.glob("events-spool-*.jsonl"))

    second = open_log(db_path)  # the app starts again; the database is back
    assert second.flush(timeout=10)
    assert [(e["conversation"], e["text_redacted"]) for e in second.events()] == [("kept", "parkki")]
    assert second.history("kept")[0]["text"] == "parkki"
    assert not list(db_path.parent.glob("events-spool-*"))


def test_restart_keeps_what_was_written(db_path):
    first = open_log(db_path)
    first.record(TurnEvent(conversation="c", decision="answer"))
    assert first.close() == 0
    second = open_log(db_path)
    assert [e["conversation"] for e in second.events()] == ["c"]


def test_delete_conversation_removes_events_history_and_staff_notes(db_path):
    log = open_log(db_path)
    for conversation in ("mine", "theirs"):
        log.record(TurnEvent(conversation=conversation, decision="fallback", reason="no_match", text_redacted="x"))
        log.add_message(conversation, "user", {"type": "text", "text": "x"})
    assert log.flush()
    mine = log.events("mine")[0]["id"]
    with log.engine.begin() as connection:
        connection.execute(annotations.insert().values(event_id=mine, reason="no_match", annotated_by="t", ts=0))
        connection.execute(event_topics.insert().values(event_id=mine, topic_id=1))
    log.delete_conversation("mine")
    assert log.flush()
    assert [e["conversation"] for e in log.events()] == ["theirs"]
    assert log.history("mine") == [] and log.history("theirs")
    with log.engine.connect() as connection:
        assert connection.execute(select(annotations)).all() == []
        assert connection.execute(select(event_topics)).all() == []


def test_purge_removes_only_what_is_older_than_the_retention(db_path):
    log = open_log(db_path)
    log.record(TurnEvent(conversation="old", decision="answer", ts=time.time() - 100 * 86400))
    log.record(TurnEvent(conversation="new", decision="answer"))
    log.add_message("new", "user", {"type": "text", "text": "moi"})
    assert log.flush()
    assert log.purge_older_than(90) == 1
    assert [e["conversation"] for e in log.events()] == ["new"]
    assert count_rows(db_path, "messages") == 1


def test_migration_fills_the_new_columns_of_events_logged_before_it(db_path):
    from alembic import command
    from alembic.config import Config

    from bot.db.engine import MIGRATIONS_DIR

    url = f"sqlite:///{db_path}"
    db_path.parent.mkdir(parents=True)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "0001")
    with sqlite3.connect(db_path) as db:
        db.execute("INSERT INTO events (ts, conversation, channel, decision, reason, sources) VALUES (?, ?, ?, ?, ?, ?)",
                   (local_ts(2025, 6, 7, 12, 0), "c", "widget", "fallback", "no_match", '["neuvola"]'))
    migrate(url)
    with make_engine(url).connect() as connection:
        row = connection.execute(select(events)).one()
        assert connection.execute(select(messages)).all() == []
    assert (row.day, row.hour, row.weekday, row.off_hours, row.unresolved, row.top_doc) == \
        (date(2025, 6, 7), 12, 5, 1, 1, "neuvola")


def test_close_stops_the_writer_thread(db_path):
    log = EventLog(f"sqlite:///{db_path}")
    log.record(TurnEvent(conversation="c-close", decision="answer"))
    assert log.close() == 0  # nothing left to spool
    assert not log._writer.is_alive()
    assert EventLog(f"sqlite:///{db_path}").events("c-close")
