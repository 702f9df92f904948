"""Staff console: users, sessions and failed-login log.

Revision ID: s001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "s001"
down_revision = "0001"
branch_labels = ("staff",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(128), nullable=False),
        sa.Column("password_hash", sa.String(256), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("active", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created", sa.Float, nullable=False),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("expires", sa.Float, nullable=False),
    )
    op.create_index("staff_sessions_expires", "staff_sessions", ["expires"])
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(160), nullable=False),
        sa.Column("ts", sa.Float, nullable=False),
    )
    op.create_index("login_attempts_key_ts", "login_attempts", ["key", "ts"])


def downgrade() -> None:
    op.drop_table("login_attempts")
    op.drop_table("staff_sessions")
    op.drop_table("staff_users")
