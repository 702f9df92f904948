"""The app's relational store: one SQLAlchemy engine, one MetaData, Alembic migrations.

SQLite (WAL) under DATA_DIR by default; PostgreSQL (or any SQLAlchemy URL) through DATABASE_URL.
"""

from bot.db.engine import database_url, make_engine, migrate  # noqa: F401
from bot.db.tables import metadata  # noqa: F401
