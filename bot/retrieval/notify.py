"""Telling every app instance that a new index is current, so none keeps answering from an old one.

The `current` pointer under INDEX_DIR is the record (instances share that folder); a message only
says "look again". With Redis, the instance that built the index publishes its build id on
CHANNEL and the others switch within a moment. Without Redis (or while it is down) each
instance looks at the pointer every POLL_S seconds, and also before every search.
"""

from __future__ import annotations

import logging
import threading
import weakref
from typing import Protocol

from bot import pubsub

log = logging.getLogger(__name__)
CHANNEL = "kainuu:kb-reindexed"
POLL_S = 5.0


class Refreshable(Protocol):
    def refresh(self) -> None: ...


def publish(redis_url: str | None, build_id: str) -> bool:
    """Announce a new build to the other instances; False when there is no Redis or it failed."""
    return pubsub.publish(redis_url, CHANNEL, build_id)


def watch(service: Refreshable, redis_url: str | None, poll_s: float = POLL_S) -> threading.Thread:
    """Start a daemon thread calling service.refresh() on each notification and every poll_s seconds.

    The thread holds the service only weakly and ends when the service is gone.
    """
    ref = weakref.ref(service)
    return pubsub.listen(redis_url, CHANNEL, lambda: _refresh(ref), poll_s, "index-watch")


def _refresh(ref: weakref.ref) -> bool:
    service = ref()
    if service is None:
        return False
    try:
        service.refresh()
    except Exception:  # a broken build must not end the watcher; the old index keeps serving
        log.exception("loading the new retrieval index failed")
    return True
