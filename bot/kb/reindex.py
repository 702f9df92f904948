"""Rebuilding the retrieval index in the background after an editor saves.

One worker thread per app instance. Saves that arrive while a build runs are coalesced into one
more build, so ten quick saves cost at most two builds. The build is the same as
`python -m bot.kb index` (validate, then re-embed only changed documents and switch the `current`
pointer atomically); afterwards this instance's retriever is reloaded at once and the other
instances are told through Redis (bot.retrieval.notify).
"""

from __future__ import annotations

import fcntl
import json
import logging
import threading
import time
from pathlib import Path
from typing import Callable

from bot.kb.validate import validate_knowledge_base

log = logging.getLogger(__name__)


class IndexNotRebuilt(RuntimeError):
    """The knowledge base has problems; the previous index keeps serving."""


def rebuild_index(knowledge_dir: Path, index_dir: Path, embedder) -> tuple[str, dict]:
    """Validate and build like the CLI; an exclusive lock keeps two instances from building at once."""
    from bot.retrieval.index import _read_current, build_index

    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        docs, problems = validate_knowledge_base(knowledge_dir)
        if problems:
            raise IndexNotRebuilt(f"{len(problems)} ongelmaa tietopohjassa, esim. {problems[0]}")
        previous = _read_current(index_dir)
        kind = "flat"
        if previous is not None:
            kind = json.loads((previous / "manifest.json").read_text(encoding="utf-8")).get("faiss", "flat")
        path, stats = build_index(docs, embedder, index_dir, kind)
    return path.name, stats


class Reindexer:
    def __init__(self, build: Callable[[], tuple[str, dict]],
                 on_built: Callable[[str], None] | None = None) -> None:
        self._build = build
        self._on_built = on_built
        self._condition = threading.Condition()
        self._requested = 0
        self._handled = 0
        self._thread: threading.Thread | None = None
        self._status: dict = {"state": "idle", "build_id": None, "stats": None, "message": "", "finished": None}

    @classmethod
    def for_services(cls, settings, embedder: Callable, retriever: Callable) -> "Reindexer":
        """Wired to the app: build with the shared embedder, then swap this instance and notify the others."""
        from bot.retrieval import notify

        def on_built(build_id: str) -> None:
            retriever().reload()
            notify.publish(settings.redis_url, build_id)

        return cls(lambda: rebuild_index(settings.knowledge_dir, settings.index_dir, embedder()), on_built)

    def request(self) -> None:
        """Ask for a rebuild; returns at once."""
        with self._condition:
            self._requested += 1
            if self._status["state"] != "running":
                self._status["state"] = "queued"
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="kb-reindex", daemon=True)
                self._thread.start()
            self._condition.notify_all()

    def status(self) -> dict:
        with self._condition:
            return dict(self._status, pending=self._requested > self._handled)

    def wait(self, timeout: float = 120.0) -> dict:
        """Until every requested build has finished (tests and the CLI-like callers)."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._requested > self._handled or self._status["state"] in ("queued", "running"):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._condition.wait(left)
            return dict(self._status, pending=self._requested > self._handled)

    def _work(self) -> None:
        while True:
            with self._condition:
                while self._requested == self._handled:
                    if not self._condition.wait(timeout=300) and self._requested == self._handled:
                        self._thread = None  # idle for long: let the thread end; request() starts another
                        return
                generation = self._requested
                self._status.update(state="running", message="")
            try:
                build_id, stats = self._build()
                if self._on_built is not None:
                    self._on_built(build_id)
                outcome = {"state": "done", "build_id": build_id, "stats": stats, "message": ""}
            except IndexNotRebuilt as error:
                outcome = {"state": "failed", "message": str(error)}
            except Exception as error:  # shown in the editor; the previous index keeps serving
                log.exception("re-indexing failed")
                outcome = {"state": "failed", "message": f"{type(error).__name__}: {error}"}
            with self._condition:
                self._handled = generation
                self._status.update(outcome, finished=time.time())
                if self._requested > self._handled:
                    self._status["state"] = "queued"
                self._condition.notify_all()
