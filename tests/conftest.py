"""Shared fixtures. Slow fixtures use the real model, index and servers that the set-up builds."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT, Settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
DATA = Path(__file__).parent / "data"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a private data directory and a Rasa URL where nothing listens."""
    return Settings(data_dir=tmp_path / "data", rasa_url=f"http://127.0.0.1:{free_port()}", rasa_timeout_s=2.0)


@pytest.fixture(scope="session")
def real_index_dir() -> Path:
    index = PROJECT_ROOT / "build" / "index"
    if not (index / "current").exists():
        pytest.fail("retrieval index missing: run `make setup`")
    return index


@pytest.fixture(scope="session")
def retriever(real_index_dir):
    from bot.retrieval.embedder import Embedder
    from bot.retrieval.retriever import RetrieverService
    from bot.settings import get_settings

    settings = get_settings()
    return RetrieverService(real_index_dir, Embedder.from_settings(settings))


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A real redis-server on a free loopback port, or None where Redis is not installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen([binary, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(workdir),
                                "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(10)


def running_stack(tmp_path_factory, redis_url: str | None, extra_env: dict[str, str] | None = None,
                  only: str | None = None):
    """Start the real stack (Rasa + app, or `only` one) on free ports; yields (Stack, base URL); stops it after."""
    from bot.launcher import Stack

    app_port, rasa_port = free_port(), free_port()
    data_dir = tmp_path_factory.mktemp("stack-data")
    env = {"APP_PORT": str(app_port), "RASA_URL": f"http://127.0.0.1:{rasa_port}", "DATA_DIR": str(data_dir)}
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update(extra_env or {})
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    running = Stack(Settings(), only=only, log_dir=data_dir / "logs")
    try:
        if not running.start(wait=True, timeout_s=300):
            logs = "\n".join(p.read_text(errors="replace")[-3000:] for p in (data_dir / "logs").glob("*.log"))
            pytest.fail(f"stack did not start:\n{logs}")
        yield running, f"http://127.0.0.1:{app_port}"
    finally:
        running.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
