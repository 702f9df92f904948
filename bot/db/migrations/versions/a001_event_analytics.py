"""Analytics: derived event columns (local day/week/hour, off-hours, unresolved, top document) with
indexes for a million events; staff annotations; topic runs, topics and their events; e5 vectors.

Revision ID: a001
Revises: 0001
"""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "a001"
down_revision = "0001"
branch_labels = ("analytics",)
depends_on = None

HELSINKI = ZoneInfo("Europe/Helsinki")
NEW_EVENT_INDEXES = {
    "events_stats": ["day", "hour", "decision", "unresolved", "feedback", "off_hours", "municipality", "lang",
                     "reason", "conversation"],
    "events_places": ["municipality", "lang", "day", "unresolved", "decision", "reason"],
    "events_unresolved_day": ["unresolved", "day", "ts", "reason", "municipality", "lang", "decision"],
    "events_day_conversation": ["day", "conversation"],
}


def _backfill(bind) -> None:
    """Derive the new columns for events written before this revision (the rule as of a001)."""
    from bot.service_hours import ServiceHours
    from bot.settings import get_settings

    hours = ServiceHours.parse(get_settings().service_hours)

    events = sa.table("events", sa.column("id"), sa.column("ts"), sa.column("decision"), sa.column("reason"),
                      sa.column("feedback"), sa.column("sources"), sa.column("day"), sa.column("week"),
                      sa.column("hour"), sa.column("weekday"), sa.column("off_hours"), sa.column("unresolved"),
                      sa.column("top_doc"))
    last_id = 0
    while True:
        rows = bind.execute(sa.select(events.c.id, events.c.ts, events.c.decision, events.c.reason, events.c.feedback,
                                      events.c.sources).where(events.c.id > last_id).order_by(events.c.id)
                            .limit(5000)).all()
        if not rows:
            return
        updates = []
        for row in rows:
            moment = datetime.fromtimestamp(row.ts, HELSINKI)
            try:
                sources = json.loads(row.sources or "[]")
            except ValueError:
                sources = []
            first = sources[0] if sources else None
            top_doc = first.get("id") if isinstance(first, dict) else first
            updates.append({
                "row_id": row.id, "day": moment.date(), "week": moment.date() - timedelta(days=moment.weekday()),
                "hour": moment.hour, "weekday": moment.weekday(), "off_hours": int(not hours.is_open(row.ts)),
                "unresolved": int(row.decision in ("fallback", "decline", "handoff") or row.feedback == 0
                                  or row.reason == "personal_data"),
                "top_doc": top_doc,
            })
        statement = (events.update().where(events.c.id == sa.bindparam("row_id"))
                     .values(day=sa.bindparam("day", type_=sa.Date), week=sa.bindparam("week", type_=sa.Date),
                             hour=sa.bindparam("hour"), weekday=sa.bindparam("weekday"),
                             off_hours=sa.bindparam("off_hours"), unresolved=sa.bindparam("unresolved"),
                             top_doc=sa.bindparam("top_doc")))
        bind.execute(statement, updates)
        last_id = rows[-1].id


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("day", sa.Date))
        batch.add_column(sa.Column("week", sa.Date))
        batch.add_column(sa.Column("hour", sa.SmallInteger))
        batch.add_column(sa.Column("weekday", sa.SmallInteger))
        batch.add_column(sa.Column("off_hours", sa.SmallInteger, nullable=False, server_default="0"))
        batch.add_column(sa.Column("unresolved", sa.SmallInteger, nullable=False, server_default="0"))
        batch.add_column(sa.Column("top_doc", sa.String(128)))
    _backfill(op.get_bind())
    for name, columns in NEW_EVENT_INDEXES.items():
        op.create_index(name, "events", columns)
    op.create_index("messages_ts", "messages", ["ts"])

    op.create_table(
        "annotations",
        sa.Column("event_id", sa.Integer, primary_key=True),
        sa.Column("reason", sa.String(64)),
        sa.Column("doc_id", sa.String(128)),
        sa.Column("intent", sa.String(64)),
        sa.Column("annotated_by", sa.String(64), nullable=False),
        sa.Column("ts", sa.Float, nullable=False),
    )
    op.create_index("annotations_reason", "annotations", ["reason"])
    op.create_index("annotations_doc_id", "annotations", ["doc_id"])
    op.create_index("annotations_intent", "annotations", ["intent"])
    op.create_table(
        "topic_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ts", sa.Float, nullable=False),
        sa.Column("texts", sa.Integer, nullable=False),
        sa.Column("filters", sa.Text),
        sa.Column("model", sa.String(200)),
    )
    op.create_table(
        "topics",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("lemmas", sa.Text, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
    )
    op.create_index("topics_run", "topics", ["run_id"])
    op.create_table(
        "event_topics",
        sa.Column("event_id", sa.Integer, primary_key=True),
        sa.Column("topic_id", sa.Integer, primary_key=True),
    )
    op.create_index("event_topics_topic", "event_topics", ["topic_id", "event_id"])
    op.create_table(
        "event_embeddings",
        sa.Column("event_id", sa.Integer, primary_key=True),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("vector", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    for table in ("event_embeddings", "event_topics", "topics", "topic_runs", "annotations"):
        op.drop_table(table)
    op.drop_index("messages_ts", table_name="messages")
    for name in NEW_EVENT_INDEXES:
        op.drop_index(name, table_name="events")
    with op.batch_alter_table("events") as batch:
        for column in ("top_doc", "unresolved", "off_hours", "weekday", "hour", "week", "day"):
            batch.drop_column(column)
