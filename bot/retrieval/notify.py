"""Telling every app instance that a new index is current, so none keeps answering from an old one.

The `current` pointer under INDEX_DIR is the record (instances share that folder); a message only
says "look again". With Redis, the instance that built the index publishes its build id on
CHANNEL and the others switch within a moment. Without Redis (or while it is down) each
instance looks at the pointer every POLL_S seconds, and also before every search.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from typing import Protocol

log = logging.getLogger(__name__)
CHANNEL = "kainuu:kb-reindexed"
POLL_S = 5.0


class Refreshable(Protocol):
    def refresh(self) -> None: ...


def publish(redis_url: str | None, build_id: str) -> bool:
    """Announce a new build to the other instances; False when there is no Redis or it failed."""
    if not redis_url:
        return False
    try:
        import redis

        client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        try:
            client.publish(CHANNEL, build_id)
        finally:
            client.close()
        return True
    except Exception as error:  # the others still notice the pointer within POLL_S seconds
        log.warning("new-index notification via Redis failed: %s", error)
        return False


def watch(service: Refreshable, redis_url: str | None, poll_s: float = POLL_S) -> threading.Thread:
    """Start a daemon thread calling service.refresh() on each notification and every poll_s seconds.

    The thread holds the service only weakly and ends when the service is gone.
    """
    ref = weakref.ref(service)
    thread = threading.Thread(target=_run, args=(ref, redis_url, poll_s), name="index-watch", daemon=True)
    thread.start()
    return thread


def _refresh(ref: weakref.ref) -> bool:
    service = ref()
    if service is None:
        return False
    try:
        service.refresh()
    except Exception:  # a broken build must not end the watcher; the old index keeps serving
        log.exception("loading the new retrieval index failed")
    return True


def _run(ref: weakref.ref, redis_url: str | None, poll_s: float) -> None:
    failures = 0
    while True:
        if not redis_url or failures:
            time.sleep(poll_s if not failures else min(30.0, poll_s * failures))
            if not _refresh(ref):
                return
            if not redis_url:
                continue
        try:
            import redis

            pubsub = redis.Redis.from_url(redis_url, socket_connect_timeout=2).pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(CHANNEL)
            failures = 0
            while True:
                pubsub.get_message(timeout=poll_s)  # a message or the poll interval: look either way
                if not _refresh(ref):
                    pubsub.close()
                    return
        except Exception as error:  # Redis went away: poll the pointer and try again
            failures += 1
            if failures == 1:
                log.warning("new-index notifications lost Redis, polling meanwhile: %s", error)
