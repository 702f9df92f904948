"""Engine creation and schema migration, shared by the event log, the staff console and handoff."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, event

from bot.settings import Settings

log = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_migrated: set[str] = set()
_migrate_lock = threading.Lock()


def database_url(settings: Settings) -> str:
    return settings.database_url or f"sqlite:///{settings.analytics_db}"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL so readers never block the writer thread."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 5})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def migrate(url: str) -> None:
    """Bring the schema to the newest revision (every branch head); cheap when already there."""
    with _migrate_lock:
        if url in _migrated:
            return
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
        for attempt in range(5):
            try:
                command.upgrade(config, "heads")
                break
            except Exception as error:  # another instance migrating the same database at the same moment
                if attempt == 4:
                    raise
                log.warning("schema migration collided, retrying: %s", error)
                time.sleep(0.5 + attempt)
        _migrated.add(url)
