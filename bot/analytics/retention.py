"""Retention and erasure across every store that holds conversation text.

The app's own event log and history (bot.analytics.store: SQLite or DATABASE_URL) and Rasa's
tracker store (SQLite by default, Redis when configured) both keep only redacted text, but
residents may still ask to delete a conversation, and nothing is kept longer than RETENTION_DAYS.
"""

from __future__ import annotations

import logging
import sqlite3
import time

from bot.settings import Settings

log = logging.getLogger(__name__)
REDIS_KEY_PREFIX = "kainuu"  # endpoints.redis.yml: key_prefix


def _rasa_sqlite(settings: Settings) -> sqlite3.Connection | None:
    path = settings.data_dir / "rasa_tracker.sqlite3"
    if not path.exists():
        return None
    db = sqlite3.connect(path, timeout=5)
    has_events = db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name='events'").fetchone()
    if not has_events:
        db.close()
        return None
    return db


def delete_rasa_conversation(settings: Settings, sender_id: str) -> None:
    if settings.redis_url:
        import redis

        client = redis.Redis.from_url(settings.redis_url, socket_timeout=2)
        client.delete(f"{REDIS_KEY_PREFIX}:tracker:{sender_id}")
        return
    db = _rasa_sqlite(settings)
    if db is not None:
        with db:
            db.execute("DELETE FROM events WHERE sender_id = ?", (sender_id,))
        db.close()


def purge_rasa_trackers(settings: Settings) -> int:
    """Redis trackers expire by themselves (record_exp); the SQLite tracker store is purged here."""
    db = _rasa_sqlite(settings)
    if db is None:
        return 0
    cutoff = time.time() - settings.retention_days * 86400
    with db:
        removed = db.execute("DELETE FROM events WHERE timestamp < ?", (cutoff,)).rowcount
    db.close()
    return removed
