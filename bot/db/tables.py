"""Every table of the app in one MetaData. Change a table here AND add an Alembic revision.

Sections belong to their feature: the event log (analytics), the staff console (users, sessions),
and human handoff. Migrations live in bot/db/migrations/versions, one branch per feature
(`analytics`, `staff`, `handoff`), all upgraded to their heads at start-up.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

# --- analytics: one row per resident turn, and the conversation history shown in the widget -----
events = Table(
    "events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ts", Float, nullable=False),
    Column("conversation", String(64), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("lang", String(8)),
    Column("municipality", String(32)),
    Column("intent", String(64)),
    Column("intent_confidence", Float),
    Column("decision", String(32), nullable=False),
    Column("reason", String(64)),
    Column("confidence", Float),
    Column("sources", Text),
    Column("feedback", Integer),
    Column("text_redacted", Text),
    Column("latency_ms", Float),
    Index("events_ts", "ts"),
    Index("events_conversation", "conversation"),
)

messages = Table(
    "messages", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ts", Float, nullable=False),
    Column("conversation", String(64), nullable=False),
    Column("sender", String(16), nullable=False),
    Column("payload", Text, nullable=False),
    Index("messages_conversation", "conversation", "id"),
)
