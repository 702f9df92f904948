"""Redis pub/sub wake-ups between app instances: used by live handoff and by index swaps.

The database (or the index `current` pointer) is always the record; a message only says "look
again". Listeners therefore also look every `poll_s` seconds, and keep doing so while Redis is
unreachable, so a lost message costs seconds, never data.
"""

from __future__ import annotations

import logging
import threading
import time
from functools import lru_cache
from typing import Callable

log = logging.getLogger(__name__)


@lru_cache(maxsize=8)
def _client(redis_url: str):
    import redis

    return redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)


def publish(redis_url: str | None, channel: str, message: str = "1") -> bool:
    """Tell the other instances to look again; False when there is no Redis or it failed."""
    if not redis_url:
        return False
    try:
        _client(redis_url).publish(channel, message)
        return True
    except Exception as error:  # listeners still look every poll_s seconds
        log.warning("notification on %s via Redis failed: %s", channel, error)
        return False


def listen(redis_url: str | None, channel: str, on_wake: Callable[[], bool], poll_s: float, name: str) -> threading.Thread:
    """A daemon thread calling on_wake() on every message and at least every poll_s seconds.

    Without Redis it only polls. The thread ends when on_wake() returns False.
    """
    thread = threading.Thread(target=_run, args=(redis_url, channel, on_wake, poll_s), name=name, daemon=True)
    thread.start()
    return thread


def _run(redis_url: str | None, channel: str, on_wake: Callable[[], bool], poll_s: float) -> None:
    failures = 0
    while True:
        if not redis_url or failures:
            time.sleep(poll_s if not failures else min(30.0, poll_s * failures))
            if not on_wake():
                return
            if not redis_url:
                continue
        try:
            import redis

            pubsub = redis.Redis.from_url(redis_url, socket_connect_timeout=2).pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(channel)
            failures = 0
            while True:
                pubsub.get_message(timeout=poll_s)  # a message or the poll interval: look either way
                if not on_wake():
                    pubsub.close()
                    return
        except Exception as error:  # Redis went away: poll and try again
            failures += 1
            if failures == 1:
                log.warning("notifications on %s lost Redis, polling meanwhile: %s", channel, error)
