"""Knowledge-base editor: revision history of document files and handled knowledge gaps.

Revision ID: k001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "k001"
down_revision = "0001"
branch_labels = ("kb",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_revisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("doc_id", sa.String(128), nullable=False),
        sa.Column("path", sa.String(255), nullable=False),
        sa.Column("ts", sa.Float, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("old_text", sa.Text),
        sa.Column("new_text", sa.Text, nullable=False),
        sa.Column("reverts", sa.Integer),
    )
    op.create_index("kb_revisions_doc", "kb_revisions", ["doc_id", "id"])
    op.create_table(
        "kb_gap_done",
        sa.Column("event_id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("ts", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("kb_gap_done")
    op.drop_index("kb_revisions_doc", table_name="kb_revisions")
    op.drop_table("kb_revisions")
