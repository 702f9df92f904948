"""Wake-ups for live handoff streams, within one app instance and, with Redis, across instances.

The database is the record; a notification only says "look again". Without Redis, streams also
look again every `poll_s` seconds, so several instances sharing one database still converge.
"""

from __future__ import annotations

import asyncio
import logging
import threading

log = logging.getLogger(__name__)
CHANNEL = "kainuu:handoff"


class Notifier:
    def __init__(self, redis_url: str | None = None, poll_s: float = 1.0) -> None:
        self.redis_url = redis_url
        self.poll_s = poll_s if not redis_url else 5.0
        self._version = 0
        self._condition: asyncio.Condition | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._listener: threading.Thread | None = None
        self._redis = None

    def _ensure(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop, self._condition = loop, asyncio.Condition()
            if self.redis_url and self._listener is None:
                self._listener = threading.Thread(target=self._listen, name="handoff-notify", daemon=True)
                self._listener.start()

    def publish(self) -> None:
        """Something changed: wake local streams now, and other instances through Redis."""
        self._wake_local()
        if self.redis_url:
            try:
                if self._redis is None:
                    import redis

                    self._redis = redis.Redis.from_url(self.redis_url, socket_timeout=2)
                self._redis.publish(CHANNEL, "1")
            except Exception as error:  # streams still poll; a lost wake-up costs seconds, not messages
                log.warning("handoff notification via Redis failed: %s", error)
                self._redis = None

    def _wake_local(self) -> None:
        self._version += 1
        loop, condition = self._loop, self._condition
        if loop is None or condition is None or loop.is_closed():
            return

        async def notify() -> None:
            async with condition:
                condition.notify_all()

        try:
            asyncio.get_running_loop()
            running_here = asyncio.get_running_loop() is loop
        except RuntimeError:
            running_here = False
        if running_here:
            loop.create_task(notify())
        else:
            asyncio.run_coroutine_threadsafe(notify(), loop)

    def _listen(self) -> None:
        import time

        import redis

        failures = 0
        while True:
            try:
                pubsub = redis.Redis.from_url(self.redis_url).pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(CHANNEL)
                failures = 0
                for _message in pubsub.listen():
                    self._wake_local()
            except Exception as error:  # streams fall back to polling meanwhile
                failures += 1
                if failures == 1:
                    log.warning("handoff notifications lost Redis, retrying: %s", error)
                time.sleep(min(30, 2 * failures))

    @property
    def version(self) -> int:
        """Take this before reading the database; pass it to wait() so no wake-up falls in between."""
        return self._version

    async def wait(self, seen: int, timeout: float | None = None) -> None:
        """Return when something may have changed since `seen`, or after `timeout` (default: poll interval)."""
        self._ensure()
        assert self._condition is not None
        async with self._condition:
            if self._version != seen:
                return
            try:
                await asyncio.wait_for(self._condition.wait(), timeout or self.poll_s)
            except asyncio.TimeoutError:
                pass
