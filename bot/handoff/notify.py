"""Wake-ups for live handoff streams, within one app instance and, with Redis, across instances.

The database is the record; a notification only says "look again". Without Redis, streams also
look again every `poll_s` seconds, so several instances sharing one database still converge.
"""

from __future__ import annotations

import asyncio
import threading

from bot import pubsub

CHANNEL = "kainuu:handoff"


class Notifier:
    def __init__(self, redis_url: str | None = None, poll_s: float = 1.0) -> None:
        self.redis_url = redis_url
        self.poll_s = poll_s if not redis_url else 5.0
        self._version = 0
        self._condition: asyncio.Condition | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._listener: threading.Thread | None = None

    def _ensure(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop, self._condition = loop, asyncio.Condition()
            if self.redis_url and self._listener is None:
                self._listener = pubsub.listen(self.redis_url, CHANNEL, self._wake_from_other_instance, self.poll_s,
                                               "handoff-notify")

    def publish(self) -> None:
        """Something changed: wake local streams now, and other instances through Redis."""
        self._wake_local()
        pubsub.publish(self.redis_url, CHANNEL)

    def _wake_local(self) -> None:
        self._version += 1
        loop, condition = self._loop, self._condition
        if loop is None or condition is None or loop.is_closed():
            return

        async def notify() -> None:
            async with condition:
                condition.notify_all()

        try:
            running_here = asyncio.get_running_loop() is loop
        except RuntimeError:  # called from a worker thread
            running_here = False
        if running_here:
            loop.create_task(notify())
        else:
            asyncio.run_coroutine_threadsafe(notify(), loop)

    def _wake_from_other_instance(self) -> bool:
        self._wake_local()
        return True  # listen for as long as the process lives

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
