"""Exports of the event log that Power BI reads directly: CSV and Parquet, one row per turn.

The columns are EXPORT_COLUMNS (documented in docs/analytics.md). Rows stream from the database
in batches, so a million events need little memory. CSV is UTF-8 with a byte-order mark (Power BI
and Excel then detect the encoding), comma-separated, '.' as decimal separator and ISO 8601
times; Parquet carries the same columns with real types (timestamps, dates, booleans).
"""

from __future__ import annotations

import csv
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Engine, select

from bot.analytics.queries import Filters, conditions, effective_reason, latest_run_id_subquery
from bot.analytics.report import weekly_report  # noqa: F401 — the HTML report is an export too
from bot.analytics.vocabulary import decision_label, reason_label
from bot.db.tables import annotations, event_topics, events, topics
from bot.service_hours import HELSINKI

BATCH = 20_000
# (column, Arrow type, meaning) — the documented contract; docs/analytics.md repeats it.
EXPORT_COLUMNS: list[tuple[str, pa.DataType, str]] = [
    ("event_id", pa.int64(), "Row id of the turn (unique)."),
    ("ts_utc", pa.timestamp("ms", tz="UTC"), "When the turn happened, UTC."),
    ("local_time", pa.timestamp("ms"), "The same moment on the Europe/Helsinki wall clock."),
    ("day", pa.date32(), "Europe/Helsinki calendar day."),
    ("week", pa.date32(), "Monday of that day's week."),
    ("hour", pa.int8(), "Hour 0–23, Europe/Helsinki."),
    ("weekday_iso", pa.int8(), "1 = Monday … 7 = Sunday."),
    ("conversation", pa.string(), "Pseudonymous conversation id (not reversible to the resident's session)."),
    ("channel", pa.string(), "Where the turn came from (widget)."),
    ("lang", pa.string(), "fi, sv or en."),
    ("municipality", pa.string(), "Municipality named in the message, empty if none."),
    ("intent", pa.string(), "NLU intent."),
    ("intent_confidence", pa.float64(), "NLU confidence 0–1."),
    ("decision", pa.string(), "answer, clarify, fallback, decline, handoff, emergency, crisis or smalltalk."),
    ("decision_label", pa.string(), "The decision in Finnish."),
    ("unresolved", pa.bool_(), "True when the bot did not settle the matter (see the definition)."),
    ("reason", pa.string(), "Why unresolved: a staff member's correction if any, else the logged reason."),
    ("reason_logged", pa.string(), "The reason the bot logged."),
    ("reason_label", pa.string(), "The reason in Finnish."),
    ("confidence", pa.float64(), "Retrieval confidence 0–1 of the best document."),
    ("top_doc", pa.string(), "Id of the best (or rated) knowledge-base document."),
    ("sources", pa.string(), "Ids of the documents shown, separated by ';'."),
    ("feedback", pa.string(), "positive, negative, or empty when none was given."),
    ("off_hours", pa.bool_(), "True outside service hours (SERVICE_HOURS, Finnish public holidays closed)."),
    ("latency_ms", pa.float64(), "Time the app took to reply, milliseconds."),
    ("text_redacted", pa.string(), "Resident's text with personal data removed; only for unanswered turns "
                                   "unless STORE_TRANSCRIPTS is on."),
    ("topic_id", pa.int64(), "Topic of the latest clustering run, if the turn was clustered."),
    ("topic", pa.string(), "Label of that topic."),
    ("linked_doc", pa.string(), "Document a staff member linked the turn to."),
    ("linked_intent", pa.string(), "Intent a staff member linked the turn to."),
]
SCHEMA = pa.schema([pa.field(name, kind) for name, kind, _ in EXPORT_COLUMNS])
COLUMN_NAMES = [name for name, _, _ in EXPORT_COLUMNS]
FEEDBACK = {1: "positive", 0: "negative"}


def _query(filters: Filters | None):
    topic = (select(event_topics.c.event_id, topics.c.id.label("topic_id"), topics.c.label.label("topic"))
             .join(topics, topics.c.id == event_topics.c.topic_id)
             .where(topics.c.run_id == latest_run_id_subquery())).subquery()
    return (select(events, effective_reason().label("effective_reason"), annotations.c.doc_id.label("linked_doc"),
                   annotations.c.intent.label("linked_intent"), topic.c.topic_id, topic.c.topic)
            .select_from(events.outerjoin(annotations, annotations.c.event_id == events.c.id)
                         .outerjoin(topic, topic.c.event_id == events.c.id))
            .where(*conditions(filters)).order_by(events.c.id))


def _sources(raw: str | None) -> str:
    items = json.loads(raw or "[]")
    return ";".join(str(item["id"] if isinstance(item, dict) else item) for item in items)


def export_rows(engine: Engine, filters: Filters | None = None) -> Iterator[list[dict]]:
    """Batches of export rows (dicts keyed by COLUMN_NAMES, Python values), oldest first."""
    with engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=BATCH).execute(_query(filters))
        for partition in result.partitions(BATCH):
            batch = []
            for row in partition:
                moment = datetime.fromtimestamp(row.ts, timezone.utc)
                batch.append({
                    "event_id": row.id, "ts_utc": moment,
                    "local_time": moment.astimezone(HELSINKI).replace(tzinfo=None),
                    "day": row.day, "week": row.week, "hour": row.hour,
                    "weekday_iso": None if row.weekday is None else row.weekday + 1,
                    "conversation": row.conversation, "channel": row.channel, "lang": row.lang,
                    "municipality": row.municipality, "intent": row.intent,
                    "intent_confidence": row.intent_confidence, "decision": row.decision,
                    "decision_label": decision_label(row.decision), "unresolved": bool(row.unresolved),
                    "reason": row.effective_reason, "reason_logged": row.reason,
                    "reason_label": reason_label(row.effective_reason) or None, "confidence": row.confidence,
                    "top_doc": row.top_doc, "sources": _sources(row.sources) or None,
                    "feedback": FEEDBACK.get(row.feedback), "off_hours": bool(row.off_hours),
                    "latency_ms": row.latency_ms, "text_redacted": row.text_redacted,
                    "topic_id": row.topic_id, "topic": row.topic,
                    "linked_doc": row.linked_doc, "linked_intent": row.linked_intent,
                })
            yield batch


def _csv_value(value) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def export_csv(engine: Engine, path: Path, filters: Filters | None = None) -> int:
    """Write the CSV; returns the number of rows."""
    count = 0
    with Path(path).open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMN_NAMES)
        for batch in export_rows(engine, filters):
            writer.writerows([_csv_value(row[name]) for name in COLUMN_NAMES] for row in batch)
            count += len(batch)
    return count


def export_parquet(engine: Engine, path: Path, filters: Filters | None = None) -> int:
    """Write the Parquet file (one row group per batch); returns the number of rows."""
    count = 0
    with pq.ParquetWriter(str(path), SCHEMA, compression="snappy") as writer:  # every Parquet reader has snappy
        for batch in export_rows(engine, filters):
            writer.write_table(pa.Table.from_pylist(batch, schema=SCHEMA))
            count += len(batch)
        if count == 0:
            writer.write_table(SCHEMA.empty_table())
    return count


def export(engine: Engine, path: Path, fmt: str, filters: Filters | None = None) -> int:
    if fmt == "csv":
        return export_csv(engine, path, filters)
    if fmt == "parquet":
        return export_parquet(engine, path, filters)
    raise ValueError(f"unknown export format {fmt!r}; use csv or parquet")
