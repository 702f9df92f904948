"""Human handoff: queue, live-chat messages, advisor presence and call-back requests.

Revision ID: h001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "h001"
down_revision = "0001"
branch_labels = ("handoff",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("conversation", sa.String(64), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32)),
        sa.Column("requested_ts", sa.Float, nullable=False),
        sa.Column("accepted_ts", sa.Float),
        sa.Column("ended_ts", sa.Float),
        sa.Column("ended_by", sa.String(16)),
        sa.Column("advisor_id", sa.Integer),
        sa.Column("advisor_name", sa.String(128)),
    )
    op.create_index("handoffs_status", "handoffs", ["status", "requested_ts"])
    op.create_index("handoffs_conversation", "handoffs", ["conversation"])
    op.create_table(
        "handoff_messages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("handoff_id", sa.Integer, nullable=False),
        sa.Column("ts", sa.Float, nullable=False),
        sa.Column("sender", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_index("handoff_messages_handoff", "handoff_messages", ["handoff_id", "id"])
    op.create_table(
        "advisor_presence",
        sa.Column("user_id", sa.Integer, primary_key=True),
        sa.Column("display_name", sa.String(128), nullable=False),
        sa.Column("last_seen", sa.Float, nullable=False),
    )
    op.create_table(
        "callback_requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ts", sa.Float, nullable=False),
        sa.Column("conversation", sa.String(64), nullable=False),
        sa.Column("phone", sa.String(32)),
        sa.Column("preferred_time", sa.String(120)),
        sa.Column("topic", sa.Text),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("handled_by", sa.String(128)),
        sa.Column("expires", sa.Float, nullable=False),
    )
    op.create_index("callback_requests_status", "callback_requests", ["status", "ts"])


def downgrade() -> None:
    for table in ("callback_requests", "advisor_presence", "handoff_messages", "handoffs"):
        op.drop_table(table)
