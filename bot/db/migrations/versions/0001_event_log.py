"""Event log and conversation history (the tables the app had before migrations existed).

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    existing = set(sa.inspect(bind).get_table_names())
    if "events" not in existing:  # databases made by the pre-migration app already have them
        op.create_table(
            "events",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("ts", sa.Float, nullable=False),
            sa.Column("conversation", sa.String(64), nullable=False),
            sa.Column("channel", sa.String(32), nullable=False),
            sa.Column("lang", sa.String(8)),
            sa.Column("municipality", sa.String(32)),
            sa.Column("intent", sa.String(64)),
            sa.Column("intent_confidence", sa.Float),
            sa.Column("decision", sa.String(32), nullable=False),
            sa.Column("reason", sa.String(64)),
            sa.Column("confidence", sa.Float),
            sa.Column("sources", sa.Text),
            sa.Column("feedback", sa.Integer),
            sa.Column("text_redacted", sa.Text),
            sa.Column("latency_ms", sa.Float),
        )
        op.create_index("events_ts", "events", ["ts"])
        op.create_index("events_conversation", "events", ["conversation"])
    if "messages" not in existing:
        op.create_table(
            "messages",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("ts", sa.Float, nullable=False),
            sa.Column("conversation", sa.String(64), nullable=False),
            sa.Column("sender", sa.String(16), nullable=False),
            sa.Column("payload", sa.Text, nullable=False),
        )
        op.create_index("messages_conversation", "messages", ["conversation", "id"])


def downgrade() -> None:
    op.drop_table("messages")
    op.drop_table("events")
