"""The per-turn event log and conversation history, in SQLite (WAL) under DATA_DIR.

Writes go through a queue and a writer thread so a reply never waits for the disk; if the
database is briefly unavailable the writer retries, and events stay queued meanwhile.
Only redacted text is ever passed in here.
"""

from __future__ import annotations

import json
import logging
import queue
import sqlite3
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    conversation TEXT NOT NULL,
    channel TEXT NOT NULL,
    lang TEXT,
    municipality TEXT,
    intent TEXT,
    intent_confidence REAL,
    decision TEXT NOT NULL,
    reason TEXT,
    confidence REAL,
    sources TEXT,
    feedback INTEGER,
    text_redacted TEXT,
    latency_ms REAL
);
CREATE INDEX IF NOT EXISTS events_ts ON events(ts);
CREATE INDEX IF NOT EXISTS events_conversation ON events(conversation);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    conversation TEXT NOT NULL,
    sender TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_conversation ON messages(conversation, id);
"""


@dataclass
class TurnEvent:
    conversation: str
    decision: str
    channel: str = "widget"
    lang: str | None = None
    municipality: str | None = None
    intent: str | None = None
    intent_confidence: float | None = None
    reason: str | None = None
    confidence: float | None = None
    sources: list[str] = field(default_factory=list)
    feedback: int | None = None
    text_redacted: str | None = None
    latency_ms: float | None = None
    ts: float = field(default_factory=time.time)


class EventLog:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._queue: queue.Queue = queue.Queue()
        self._local = threading.local()
        with self._connect() as db:
            db.executescript(SCHEMA)
        self._writer = threading.Thread(target=self._write_loop, name="event-log-writer", daemon=True)
        self._writer.start()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=5, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    def _reader(self) -> sqlite3.Connection:
        if getattr(self._local, "db", None) is None:
            self._local.db = self._connect()
        return self._local.db

    # writing -------------------------------------------------------------------------------
    def record(self, event: TurnEvent) -> None:
        self._queue.put(("event", event))

    def add_message(self, conversation: str, sender: str, payload: dict) -> None:
        self._queue.put(("message", (time.time(), conversation, sender, json.dumps(payload, ensure_ascii=False))))

    def delete_conversation(self, conversation: str) -> None:
        self._queue.put(("delete", conversation))

    def flush(self, timeout: float = 5.0) -> bool:
        done = threading.Event()
        self._queue.put(("flush", done))
        return done.wait(timeout)

    def _write_loop(self) -> None:
        db = None
        while True:
            item = self._queue.get()
            while True:
                try:
                    if db is None:
                        db = self._connect()
                    self._apply(db, item)
                    break
                except sqlite3.Error as error:  # locked or unavailable: keep the item, retry
                    log.warning("event log write failed, retrying: %s", error)
                    db = None
                    time.sleep(0.5)

    @staticmethod
    def _apply(db: sqlite3.Connection, item) -> None:
        kind, payload = item
        if kind == "flush":
            payload.set()
            return
        with db:
            if kind == "event":
                row = asdict(payload)
                row["sources"] = json.dumps(row["sources"])
                columns = ", ".join(row)
                db.execute(f"INSERT INTO events ({columns}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
            elif kind == "message":
                db.execute("INSERT INTO messages (ts, conversation, sender, payload) VALUES (?, ?, ?, ?)", payload)
            elif kind == "delete":
                db.execute("DELETE FROM messages WHERE conversation = ?", (payload,))
                db.execute("DELETE FROM events WHERE conversation = ?", (payload,))

    # reading -------------------------------------------------------------------------------
    def history(self, conversation: str, limit: int = 200) -> list[dict]:
        rows = self._reader().execute(
            "SELECT ts, sender, payload FROM messages WHERE conversation = ? ORDER BY id DESC LIMIT ?",
            (conversation, limit),
        ).fetchall()
        return [{"ts": ts, "sender": sender, **json.loads(payload)} for ts, sender, payload in reversed(rows)]

    def events(self, conversation: str | None = None) -> list[dict]:
        db = self._reader()
        db.row_factory = sqlite3.Row
        query = "SELECT * FROM events" + (" WHERE conversation = ?" if conversation else "") + " ORDER BY id"
        rows = db.execute(query, (conversation,) if conversation else ()).fetchall()
        db.row_factory = None
        return [dict(r) for r in rows]

    def purge_older_than(self, days: int) -> int:
        cutoff = time.time() - days * 86400
        with self._connect() as db:
            removed = db.execute("DELETE FROM events WHERE ts < ?", (cutoff,)).rowcount
            removed += db.execute("DELETE FROM messages WHERE ts < ?", (cutoff,)).rowcount
        return removed
