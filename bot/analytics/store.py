"""The per-turn event log and conversation history, on SQLAlchemy Core (SQLite WAL or PostgreSQL).

A reply never waits for the database: record() and add_message() only put the item on a queue;
a writer thread stores it in batches. If the database is unavailable the writer keeps the items
and retries with back-off; on shutdown whatever could not be written is spilled to a spool file
that the next EventLog on the same data directory writes first. Only redacted text reaches here.
"""

from __future__ import annotations

import atexit
import json
import logging
import queue
import threading
import time
import uuid
import weakref
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, delete, exc, select

from bot.analytics.vocabulary import NEGATIVE_FEEDBACK, is_unresolved
from bot.db import make_engine, migrate
from bot.db.tables import annotations, event_embeddings, event_topics, events, messages
from bot.service_hours import DEFAULT_HOURS, HELSINKI, ServiceHours

log = logging.getLogger(__name__)

SPOOL_GLOB = "events-spool-*.jsonl"
STALE_LOADING_S = 600  # a spool being loaded this long ago belongs to a process that died
REMEMBERED_QUESTIONS = 5000  # conversations whose last question is kept in memory for feedback
DATA_KINDS = ("event", "message", "delete")  # queue items that carry data; the others are markers


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
    sources: list = field(default_factory=list)  # document ids, or {"id", "score"} dicts
    feedback: int | None = None  # 1 positive, 0 negative
    text_redacted: str | None = None
    latency_ms: float | None = None
    ts: float = field(default_factory=time.time)


def keeps_text(event: TurnEvent) -> bool:
    """Without STORE_TRANSCRIPTS, text is kept only for turns the bot did not answer."""
    return event.decision == "clarify" or is_unresolved(event.decision, event.reason, event.feedback)


def normalized_sources(event: TurnEvent) -> list[dict]:
    """[{"id", "score"}]; a bare id list gets the turn's retrieval confidence as the first score."""
    out = []
    for rank, source in enumerate(event.sources or []):
        if isinstance(source, dict):
            out.append({"id": str(source["id"]), "score": source.get("score")})
        else:
            out.append({"id": str(source), "score": event.confidence if rank == 0 else None})
    return out


def event_row(event: TurnEvent, hours: ServiceHours = DEFAULT_HOURS) -> dict:
    """The events-table row of a turn, with the columns derived for fast aggregation."""
    moment = datetime.fromtimestamp(event.ts, HELSINKI)
    day = moment.date()
    sources = normalized_sources(event)
    row = asdict(event)
    row.update(
        sources=json.dumps(sources, ensure_ascii=False),
        day=day, week=day - timedelta(days=day.weekday()), hour=moment.hour, weekday=day.weekday(),
        off_hours=int(not hours.is_open(event.ts)),
        unresolved=int(is_unresolved(event.decision, event.reason, event.feedback)),
        top_doc=sources[0]["id"] if sources else None,
    )
    return row


def _url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _default_spool_dir(url: str) -> Path | None:
    if url.startswith("sqlite") and "///" in url:
        path = url.split("///", 1)[1]
        if path and path != ":memory:":
            return Path(path).resolve().parent
    return None


def _is_transient(error: Exception) -> bool:
    """Database errors are worth retrying, except data the database refuses (no retry fixes those)."""
    if isinstance(error, (exc.IntegrityError, exc.DataError)):
        return False
    return isinstance(error, (exc.DBAPIError, exc.DisconnectionError, exc.TimeoutError))


class EventLog:
    """The turn log behind ChatService. `target` is a SQLAlchemy URL or an engine."""

    def __init__(self, target: str | Engine, *, store_transcripts: bool = False,
                 service_hours: ServiceHours = DEFAULT_HOURS, spool_dir: Path | None = None,
                 batch_size: int = 500, retry_s: float = 0.5, max_retry_s: float = 10.0) -> None:
        self.engine = target if isinstance(target, Engine) else make_engine(target)
        url = _url_of(self.engine)
        migrate(url)
        self.store_transcripts = store_transcripts
        self.hours = service_hours
        self.spool_dir = Path(spool_dir) if spool_dir else _default_spool_dir(url)
        self.batch_size = batch_size
        self.retry_s, self.max_retry_s = retry_s, max_retry_s
        self._queue: queue.Queue = queue.Queue()
        self._in_flight: list[tuple] = []  # taken from the queue, not yet written
        self._write_lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._last_question: OrderedDict[str, str] = OrderedDict()
        self._questions_lock = threading.Lock()
        self._load_spool()
        self._writer = threading.Thread(target=self._write_loop, name="event-log-writer", daemon=True)
        self._writer.start()
        atexit.register(_close_at_exit, weakref.ref(self))

    # writing -------------------------------------------------------------------------------
    def record(self, event: TurnEvent) -> None:
        """Queue one turn; returns at once. Applies the transcript policy on the caller's thread."""
        self._remember_question(event)
        if not (self.store_transcripts or keeps_text(event)):
            event.text_redacted = None
        self._put(("event", event))

    def add_message(self, conversation: str, sender: str, payload: dict) -> None:
        self._put(("message", {"ts": time.time(), "conversation": conversation, "sender": sender,
                               "payload": json.dumps(payload, ensure_ascii=False)}))

    def delete_conversation(self, conversation: str) -> None:
        """Erase a conversation's events, history and annotations (after anything queued before)."""
        with self._questions_lock:
            self._last_question.pop(conversation, None)
        self._put(("delete", conversation))

    def _put(self, item: tuple) -> None:
        if self._closed:  # a request finishing during shutdown: straight to the spool
            self._spill([item])
        else:
            self._queue.put(item)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything queued so far is written; False if the database stayed unavailable."""
        if self._closed:
            return not self._queue.qsize()
        done = threading.Event()
        self._queue.put(("flush", done))
        return done.wait(timeout)

    def close(self, timeout: float = 5.0) -> int:
        """Write what can be written, spill the rest to the spool; returns how many items were spilled."""
        if self._closed:
            return 0
        self.flush(timeout)
        self._closed = True
        self._wake.set()
        got_lock = self._write_lock.acquire(timeout=timeout)
        try:
            left, self._in_flight = self._in_flight, []
            while True:
                try:
                    left.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            spilled = self._spill(left)
        finally:
            if got_lock:
                self._write_lock.release()
        # the writer waits on the queue: wake it only now, or the drain above would take its stop too
        self._queue.put(("stop", None))
        self._writer.join(timeout=1.0)
        late = []
        while True:  # a record() racing with close() may have queued after the drain above
            try:
                late.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return spilled + self._spill(late)

    def _remember_question(self, event: TurnEvent) -> None:
        """A negative-feedback turn is stored with the question whose answer was rated, not with "/feedback_negative"."""
        text = event.text_redacted
        with self._questions_lock:
            if event.feedback == NEGATIVE_FEEDBACK:
                question = self._last_question.get(event.conversation)
                event.text_redacted = question or (None if not text or text.startswith("/") else text)
            elif text and not text.startswith("/") and event.feedback is None:
                self._last_question[event.conversation] = text
                self._last_question.move_to_end(event.conversation)
                if len(self._last_question) > REMEMBERED_QUESTIONS:
                    self._last_question.popitem(last=False)

    def _write_loop(self) -> None:
        while not self._closed:
            item = self._queue.get()
            items = [item]
            while len(items) < self.batch_size:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            with self._write_lock:
                if self._closed:  # close() has already spilled what it found; these were in our hands
                    self._spill(items)
                    return
                self._in_flight.extend(items)
            self._drain()

    def _drain(self) -> None:
        """Write the in-flight items in order; retry while the database is unavailable."""
        delay, chunk_size = self.retry_s, self.batch_size
        while True:
            with self._write_lock:
                if self._closed or not self._in_flight:
                    return
                chunk = self._in_flight[:chunk_size]
                try:
                    self._write(chunk)
                    del self._in_flight[:len(chunk)]
                    delay = self.retry_s
                    continue
                except Exception as error:  # noqa: BLE001 — classified below, never lost silently
                    if not _is_transient(error):
                        if len(chunk) == 1:
                            log.error("event log: dropping an item that cannot be stored: %s", error)
                            del self._in_flight[:1]
                        chunk_size = 1  # find the bad item; the good ones are written one by one
                        continue
                    log.warning("event log: database unavailable (%d items waiting), retrying in %.1f s: %s",
                                len(self._in_flight) + self._queue.qsize(), delay, error)
            self._wake.wait(delay)
            delay = min(delay * 2, self.max_retry_s)

    def _write(self, items: list[tuple]) -> None:
        """One transaction; consecutive inserts go in one executemany, deletes keep their order."""
        done: list[threading.Event] = []
        if not any(kind in DATA_KINDS for kind, _ in items):  # only markers: no need for the database
            for kind, payload in items:
                if kind == "flush":
                    payload.set()
                elif kind == "unspool":
                    payload.unlink(missing_ok=True)
            return
        with self.engine.begin() as connection:
            pending_events: list[dict] = []
            pending_messages: list[dict] = []

            def insert_pending() -> None:
                if pending_events:
                    connection.execute(events.insert(), pending_events)
                    pending_events.clear()
                if pending_messages:
                    connection.execute(messages.insert(), pending_messages)
                    pending_messages.clear()

            for kind, payload in items:
                if kind == "event":
                    pending_events.append(event_row(payload, self.hours))
                elif kind == "message":
                    pending_messages.append(payload)
                elif kind == "delete":
                    insert_pending()
                    delete_conversation_rows(connection, payload)
                elif kind in ("flush", "unspool"):
                    done.append(payload)
            insert_pending()
        for marker in done:
            if isinstance(marker, Path):
                marker.unlink(missing_ok=True)
            else:
                marker.set()

    # spool: what survives a restart while the database is down -------------------------------
    def _spill(self, items: list[tuple]) -> int:
        """Write the data items to a new spool file; spools they were loaded from are then superseded."""
        data = [(kind, payload) for kind, payload in items if kind in DATA_KINDS]
        superseded = [payload for kind, payload in items if kind == "unspool"]
        if data and self.spool_dir is None:
            log.error("event log: database unavailable at shutdown and no spool directory: %d items lost", len(data))
            return 0
        if data:
            self.spool_dir.mkdir(parents=True, exist_ok=True)
            path = self.spool_dir / f"events-spool-{time.time():.0f}-{uuid.uuid4().hex[:8]}.jsonl"
            with path.open("w", encoding="utf-8") as spool:
                for kind, payload in data:
                    record = asdict(payload) if kind == "event" else payload
                    spool.write(json.dumps({"kind": kind, "data": record}, ensure_ascii=False) + "\n")
            log.warning("event log: database unavailable at shutdown; %d items kept in %s", len(data), path)
        for path in superseded:
            path.unlink(missing_ok=True)
        return len(data)

    def _load_spool(self) -> None:
        if self.spool_dir is None or not self.spool_dir.exists():
            return
        candidates = sorted(self.spool_dir.glob(SPOOL_GLOB))
        candidates += [p for p in sorted(self.spool_dir.glob(SPOOL_GLOB + ".loading"))
                       if time.time() - p.stat().st_mtime > STALE_LOADING_S]
        for path in candidates:
            loading = path if path.suffix == ".loading" else path.with_name(path.name + ".loading")
            try:
                if loading != path:
                    path.rename(loading)  # atomic: another process starting now skips it
                lines = loading.read_text(encoding="utf-8").splitlines()
            except OSError:
                continue
            for line in lines:
                try:
                    record = json.loads(line)
                    kind, data = record["kind"], record["data"]
                    self._queue.put((kind, TurnEvent(**data) if kind == "event" else data))
                except (ValueError, KeyError, TypeError):
                    log.error("event log: unreadable line in %s skipped", loading)
            self._queue.put(("unspool", loading))
            log.info("event log: %d spooled items from %s queued", len(lines), loading.name)

    # reading -------------------------------------------------------------------------------
    def history(self, conversation: str, limit: int = 200) -> list[dict]:
        query = (select(messages.c.ts, messages.c.sender, messages.c.payload)
                 .where(messages.c.conversation == conversation).order_by(messages.c.id.desc()).limit(limit))
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return [{"ts": ts, "sender": sender, **json.loads(payload)} for ts, sender, payload in reversed(rows)]

    def events(self, conversation: str | None = None) -> list[dict]:
        query = select(events).order_by(events.c.id)
        if conversation:
            query = query.where(events.c.conversation == conversation)
        with self.engine.connect() as connection:
            rows = [dict(row._mapping) for row in connection.execute(query)]
        for row in rows:
            row["sources"] = json.loads(row["sources"] or "[]")
        return rows

    def purge_older_than(self, days: int) -> int:
        """Delete events, history and their annotations older than `days`; returns rows removed."""
        return purge_before(self.engine, time.time() - days * 86400)


def delete_conversation_rows(connection, conversation: str) -> int:
    """Everything stored about one conversation, including staff annotations and topic links."""
    ids = select(events.c.id).where(events.c.conversation == conversation).scalar_subquery()
    for table in (annotations, event_topics, event_embeddings):
        connection.execute(delete(table).where(table.c.event_id.in_(ids)))
    removed = connection.execute(delete(messages).where(messages.c.conversation == conversation)).rowcount
    return removed + connection.execute(delete(events).where(events.c.conversation == conversation)).rowcount


def purge_before(engine: Engine, cutoff: float) -> int:
    with engine.begin() as connection:
        old = select(events.c.id).where(events.c.ts < cutoff).scalar_subquery()
        for table in (annotations, event_topics, event_embeddings):
            connection.execute(delete(table).where(table.c.event_id.in_(old)))
        removed = connection.execute(delete(events).where(events.c.ts < cutoff)).rowcount
        removed += connection.execute(delete(messages).where(messages.c.ts < cutoff)).rowcount
    if engine.dialect.name == "sqlite":  # keeps the query planner's statistics current, cheaply
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA optimize")
    return removed


def _close_at_exit(ref: weakref.ref) -> None:
    log_instance = ref()
    if log_instance is not None:
        log_instance.close(timeout=2.0)
