"""What the staff console asks of the event log: overview, the inbox of unresolved turns, staff
annotations, NLU training examples and the editors' list of knowledge gaps.

Pure functions over a SQLAlchemy engine (or connection). Aggregation happens in SQL on columns
derived at write time (local day, week, hour, the unresolved flag) so a million events answer in
well under a second on SQLite; only small grouped results come back to Python.
"""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date, timedelta

from sqlalchemy import Connection, Engine, and_, case, distinct, func, insert, or_, select, update
from sqlalchemy.sql import ColumnElement

from bot.analytics.vocabulary import NEGATIVE_FEEDBACK, validate_reason
from bot.db.tables import annotations, event_topics, events, topic_runs, topics

NO_MUNICIPALITY = "none"  # Filters.municipality value for turns that named no municipality
MAX_EVENT_IDS = 200       # knowledge_gaps lists at most this many event ids per group (newest first)
INTENT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
DOC_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,127}$")


@dataclass
class Filters:
    """What the console filters by; None means "any". Dates are Europe/Helsinki days, `end` included."""

    start: date | None = None
    end: date | None = None
    reason: str | None = None        # effective reason; "out_of_scope" matches every out_of_scope:<kind>
    municipality: str | None = None  # NO_MUNICIPALITY for turns that named none
    lang: str | None = None
    topic: int | None = None         # a topic id from topics()
    decision: str | None = None

    def to_json(self) -> str:
        return json.dumps({k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items()})


def _connect(target: Engine | Connection):
    """A context manager giving a connection, whether an engine or a connection was passed."""
    if isinstance(target, Connection):
        class _Borrowed:
            def __enter__(self):
                return target

            def __exit__(self, *exc_info):
                return False
        return _Borrowed()
    return target.connect()


def effective_reason() -> ColumnElement:
    """A staff member's reason wins over the logged one (needs annotations outer-joined)."""
    return func.coalesce(annotations.c.reason, events.c.reason)


def _reason_matches(column, reason: str) -> ColumnElement:
    return column.like("out_of_scope:%") if reason == "out_of_scope" else column == reason


def conditions(filters: Filters | None) -> list[ColumnElement]:
    """WHERE clauses on the events table for `filters` (no join needed)."""
    f = filters or Filters()
    where: list[ColumnElement] = []
    if f.start and f.end and f.start > f.end:
        raise ValueError(f"start {f.start} is after end {f.end}")
    if f.start:  # the local day is stored, so the covering indexes (all begin with day) serve the range
        where.append(events.c.day >= f.start)
    if f.end:
        where.append(events.c.day <= f.end)
    if f.municipality:
        where.append(events.c.municipality.is_(None) if f.municipality == NO_MUNICIPALITY
                     else events.c.municipality == f.municipality)
    if f.lang:
        where.append(events.c.lang == f.lang)
    if f.decision:
        where.append(events.c.decision == f.decision)
    if f.topic is not None:
        where.append(events.c.id.in_(select(event_topics.c.event_id).where(event_topics.c.topic_id == f.topic)))
    if f.reason:
        overridden = select(annotations.c.event_id).where(annotations.c.reason.is_not(None))
        relabelled = select(annotations.c.event_id).where(_reason_matches(annotations.c.reason, f.reason))
        where.append(or_(and_(_reason_matches(events.c.reason, f.reason), events.c.id.not_in(overridden)),
                         events.c.id.in_(relabelled)))
    return where


def _count_if(condition: ColumnElement):
    return func.sum(case((condition, 1), else_=0))


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def overview(engine: Engine | Connection, filters: Filters | None = None) -> dict:
    """Totals, daily and weekly series, weekday × hour heat map, and breakdowns for the overview page.

    Unresolved is bot.analytics.vocabulary.is_unresolved, stored per event. Conversations are
    conversation-days: a conversation continued on another day counts on that day too.
    Five small grouped queries, each answered from one covering index (see bot/db/tables.py).
    """
    where = conditions(filters)
    c = events.c
    negative = _count_if(c.feedback == NEGATIVE_FEEDBACK)
    stats = (select(c.day, c.hour, c.decision, func.count(), func.sum(c.unresolved), negative, func.sum(c.off_hours))
             .where(*where).group_by(c.day, c.hour, c.decision))
    places = (select(c.municipality, c.lang, func.count(), func.sum(c.unresolved))
              .where(*where).group_by(c.municipality, c.lang))
    conversations_by_day = select(c.day, func.count(distinct(c.conversation))).where(*where).group_by(c.day)
    logged_reasons = select(c.reason, func.count()).where(c.unresolved == 1, *where).group_by(c.reason)
    relabelled = (select(c.reason, annotations.c.reason, func.count())
                  .join(annotations, annotations.c.event_id == c.id)
                  .where(c.unresolved == 1, annotations.c.reason.is_not(None), *where)
                  .group_by(c.reason, annotations.c.reason))
    with _connect(engine) as connection:
        stat_rows = connection.execute(stats).all()
        place_rows = connection.execute(places).all()
        day_conversations = dict(connection.execute(conversations_by_day).all())
        reasons: dict[str | None, int] = defaultdict(int, connection.execute(logged_reasons).all())
        overrides = connection.execute(relabelled).all()

    totals: dict[str, int] = defaultdict(int)
    days: dict[date, dict] = {}
    heatmap = [[0] * 24 for _ in range(7)]
    for day, hour, decision, turns, unresolved_turns, negative_turns, off_hours in stat_rows:
        unresolved_turns = unresolved_turns or 0
        totals["turns"] += turns
        totals["unresolved"] += unresolved_turns
        totals[decision] += turns
        if decision == "answer":
            totals["resolved"] += turns - unresolved_turns
        totals["negative_feedback"] += negative_turns or 0
        totals["off_hours"] += off_hours or 0
        entry = days.setdefault(day, {"day": day, "turns": 0, "unresolved": 0})
        entry["turns"] += turns
        entry["unresolved"] += unresolved_turns
        heatmap[day.weekday()][hour] += turns
    municipalities: dict[str | None, dict] = {}
    languages: dict[str | None, dict] = {}
    for municipality, lang, turns, unresolved_turns in place_rows:
        for table, key, name in ((municipalities, municipality, "municipality"), (languages, lang, "lang")):
            entry = table.setdefault(key, {name: key, "turns": 0, "unresolved": 0})
            entry["turns"] += turns
            entry["unresolved"] += unresolved_turns or 0
    for logged, annotated, count in overrides:  # a staff member's reason replaces the logged one
        reasons[logged] -= count
        reasons[annotated] += count

    by_day = [dict(days[d], conversations=day_conversations.get(d, 0)) for d in sorted(days)]
    weeks: dict[date, dict] = {}
    for day in by_day:
        week = day["day"] - timedelta(days=day["day"].weekday())
        entry = weeks.setdefault(week, {"week": week, "turns": 0, "conversations": 0, "unresolved": 0})
        for key in ("turns", "conversations", "unresolved"):
            entry[key] += day[key]
    turns = totals["turns"]
    return {
        "totals": {
            "conversations": sum(day["conversations"] for day in by_day),
            "turns": turns,
            "unresolved": totals["unresolved"],
            "unresolved_rate": _rate(totals["unresolved"], turns),
            "resolved_rate": _rate(totals["resolved"], turns),
            "fallback_rate": _rate(totals["fallback"], turns),
            "handoff_rate": _rate(totals["handoff"], turns),
            "clarify_rate": _rate(totals["clarify"], turns),
            "negative_feedback": totals["negative_feedback"],
            "off_hours_share": _rate(totals["off_hours"], turns),
            "emergency": totals["emergency"],
            "crisis": totals["crisis"],
            "decline": totals["decline"],
        },
        "by_day": by_day,
        "by_week": [weeks[w] for w in sorted(weeks)],
        "heatmap": heatmap,
        "by_municipality": sorted(municipalities.values(), key=lambda e: -e["turns"]),
        "by_language": sorted(languages.values(), key=lambda e: -e["turns"]),
        "by_reason": [{"reason": reason, "count": count}
                      for reason, count in sorted(reasons.items(), key=lambda r: (-r[1], r[0] or "")) if count > 0],
    }


def unresolved(engine: Engine | Connection, filters: Filters | None = None, limit: int = 50,
               offset: int = 0) -> tuple[list[dict], int]:
    """The inbox: unresolved turns newest first, with staff annotations and topic; and how many there are."""
    if limit < 1 or limit > 1000 or offset < 0:
        raise ValueError("limit must be 1..1000 and offset >= 0")
    where = [events.c.unresolved == 1, *conditions(filters)]
    with _connect(engine) as connection:
        total = connection.execute(select(func.count()).select_from(events).where(*where)).scalar() or 0
        # day before ts: the same order (day follows ts), but the one events_unresolved_day is sorted in
        newest_first = (events.c.day.desc(), events.c.ts.desc(), events.c.id.desc())
        page = select(events.c.id).where(*where).order_by(*newest_first).limit(limit).offset(offset).subquery()
        topic = (select(event_topics.c.event_id, topics.c.id.label("topic_id"), topics.c.label.label("topic"))
                 .join(topics, topics.c.id == event_topics.c.topic_id).where(topics.c.run_id == latest_run_id_subquery())).subquery()
        query = (select(events.c.id, events.c.ts, events.c.conversation, events.c.text_redacted,
                        effective_reason().label("reason"), events.c.reason.label("logged_reason"),
                        events.c.decision, events.c.municipality, events.c.lang, events.c.intent,
                        events.c.intent_confidence, events.c.confidence, events.c.sources, events.c.feedback,
                        annotations.c.doc_id.label("linked_doc"), annotations.c.intent.label("linked_intent"),
                        annotations.c.annotated_by, topic.c.topic_id, topic.c.topic)
                 .select_from(page.join(events, events.c.id == page.c.id)
                              .outerjoin(annotations, annotations.c.event_id == events.c.id)
                              .outerjoin(topic, topic.c.event_id == events.c.id))
                 .order_by(*newest_first))
        rows = [dict(row._mapping) for row in connection.execute(query)]
    for row in rows:
        row["sources"] = _sources(row["sources"])
    return rows, total


def _sources(raw: str | None) -> list[dict]:
    """Stored sources as [{"id", "score"}]; events from before a001 stored bare ids."""
    items = json.loads(raw or "[]")
    return [item if isinstance(item, dict) else {"id": item, "score": None} for item in items]


def annotate(engine: Engine, event_id: int, *, reason: str | None = None, doc_id: str | None = None,
             intent: str | None = None, user: str) -> dict:
    """Set a staff member's reason, document and/or intent for an event. None keeps a field, "" clears it."""
    if not user or not user.strip():
        raise ValueError("user is required")
    changes: dict[str, str | None] = {}
    if reason is not None:
        changes["reason"] = validate_reason(reason) if reason else None
    if doc_id is not None:
        if doc_id and not DOC_ID.match(doc_id):
            raise ValueError(f"doc_id {doc_id!r} is not a knowledge-base document id (lowercase letters, digits, -)")
        changes["doc_id"] = doc_id or None
    if intent is not None:
        if intent and not INTENT_NAME.match(intent):
            raise ValueError(f"intent {intent!r} is not an NLU intent name (lowercase letters, digits, _)")
        changes["intent"] = intent or None
    with engine.begin() as connection:
        if connection.execute(select(events.c.id).where(events.c.id == event_id)).first() is None:
            raise LookupError(f"no event with id {event_id}")
        stamp = {"annotated_by": user.strip()[:64], "ts": time.time()}
        if connection.execute(select(annotations.c.event_id).where(annotations.c.event_id == event_id)).first():
            connection.execute(update(annotations).where(annotations.c.event_id == event_id).values(**changes, **stamp))
        else:
            connection.execute(insert(annotations).values(event_id=event_id, **changes, **stamp))
        row = connection.execute(select(annotations).where(annotations.c.event_id == event_id)).one()
    return dict(row._mapping)


def export_nlu_examples(engine: Engine | Connection, filters: Filters | None = None) -> str:
    """Rasa 3.x NLU YAML of the texts staff linked to an intent, to paste into nlu_data/."""
    query = (select(annotations.c.intent, events.c.text_redacted)
             .join(events, events.c.id == annotations.c.event_id)
             .where(annotations.c.intent.is_not(None), events.c.text_redacted.is_not(None), *conditions(filters))
             .order_by(annotations.c.intent, events.c.id))
    examples: dict[str, list[str]] = defaultdict(list)
    with _connect(engine) as connection:
        for intent, text in connection.execute(query):
            text = " ".join(text.split())
            if text and not text.startswith("/") and text not in examples[intent]:
                examples[intent].append(text)
    lines = ['version: "3.1"', "nlu:"]
    for intent in sorted(examples):
        lines += [f"- intent: {intent}", "  examples: |"] + [f"    - {text}" for text in examples[intent]]
    return "\n".join(lines) + "\n"


def knowledge_gaps(engine: Engine | Connection, filters: Filters | None = None) -> list[dict]:
    """The editors' to-do list: what residents asked that the knowledge base did not answer.

    Turns a staff member linked to a document, turns with no match, and answers that got negative
    feedback (grouped under the document that did not help), grouped by document and topic,
    biggest first.
    """
    run_topic = (select(event_topics.c.event_id, topics.c.id.label("topic_id"), topics.c.label.label("topic"))
                 .join(topics, topics.c.id == event_topics.c.topic_id)
                 .where(topics.c.run_id == latest_run_id_subquery())).subquery()
    reason = effective_reason()
    negative = events.c.feedback == NEGATIVE_FEEDBACK
    doc = case((annotations.c.doc_id.is_not(None), annotations.c.doc_id),
               (negative, events.c.top_doc), else_=None)
    query = (select(events.c.id, events.c.text_redacted, doc.label("doc_id"), run_topic.c.topic_id, run_topic.c.topic)
             .select_from(events.outerjoin(annotations, annotations.c.event_id == events.c.id)
                          .outerjoin(run_topic, run_topic.c.event_id == events.c.id))
             .where(or_(annotations.c.doc_id.is_not(None), and_(events.c.unresolved == 1, reason == "no_match"),
                        and_(negative, events.c.top_doc.is_not(None))), *conditions(filters))
             .order_by(events.c.ts.desc()))
    groups: dict[tuple, dict] = {}
    with _connect(engine) as connection:
        for event_id, text, doc_id, topic_id, topic in connection.execute(query):
            group = groups.setdefault((doc_id, topic_id), {"doc_id": doc_id, "topic_id": topic_id, "topic": topic,
                                                           "count": 0, "examples": [], "event_ids": []})
            group["count"] += 1
            if len(group["event_ids"]) < MAX_EVENT_IDS:
                group["event_ids"].append(event_id)
            if text and not text.startswith("/") and len(group["examples"]) < 5 and text not in group["examples"]:
                group["examples"].append(text)
    return sorted(groups.values(), key=lambda g: (-g["count"], g["doc_id"] or "", g["topic"] or ""))


def latest_run_id_subquery():
    return select(func.max(topic_runs.c.id)).scalar_subquery()
