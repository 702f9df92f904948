"""`python -m bot.launcher`: run the whole bot locally (Rasa server + app) and stop it cleanly.

Ctrl-C (or SIGTERM) stops every process this started. The Docker images use the same module,
with `--only rasa` or `--only app`.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

from bot.settings import PROJECT_ROOT, Settings, get_settings

RASA_MODEL = PROJECT_ROOT / "models" / "kainuu.tar.gz"


def rasa_environment(settings: Settings) -> dict[str, str]:
    """Environment for `rasa run`: where the actions are, and where conversations are kept."""
    env = dict(os.environ)
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    # One message is one short sentence: the e5 featurizer's OpenMP threads only contend with the
    # app's embedding model for the same cores (measured: ~3 s a message on a busy 2-core machine).
    env.setdefault("OMP_NUM_THREADS", "1")
    env["ACTION_ENDPOINT_URL"] = os.environ.get("ACTION_ENDPOINT_URL", f"http://127.0.0.1:{settings.app_port}/webhook")
    env["RASA_TRACKER_DB"] = str(settings.data_dir / "rasa_tracker.sqlite3")
    if settings.redis_url:
        url = urlparse(settings.redis_url)
        db = int((url.path or "/0").lstrip("/") or 0)
        env.update(RASA_REDIS_HOST=url.hostname or "127.0.0.1", RASA_REDIS_PORT=str(url.port or 6379),
                   RASA_REDIS_DB=str(db), RASA_REDIS_LOCK_DB=str(db + 1), RASA_REDIS_PASSWORD=url.password or "")
    return env


def rasa_command(settings: Settings) -> list[str]:
    url = urlparse(settings.rasa_url)
    endpoints = "endpoints.redis.yml" if settings.redis_url else "endpoints.yml"
    return [str(PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa"), "run", "--enable-api",
            "-i", url.hostname or "127.0.0.1", "-p", str(url.port or 5005),
            "--endpoints", endpoints, "--credentials", "credentials.yml", "--model", str(RASA_MODEL)]


def app_command(settings: Settings) -> list[str]:
    return [sys.executable, "-m", "uvicorn", "bot.api.app:create_app", "--factory",
            "--host", settings.app_host, "--port", str(settings.app_port), "--no-access-log"]


def wait_until_up(url: str, timeout_s: float, process: subprocess.Popen | None = None) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


class Stack:
    """The processes of one local bot, started in their own sessions so we stop them in order."""

    def __init__(self, settings: Settings, only: str | None = None, log_dir: Path | None = None) -> None:
        self.settings = settings
        self.only = only
        self.log_dir = log_dir
        self.processes: dict[str, subprocess.Popen] = {}

    def _start(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen:
        out = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            out = open(self.log_dir / f"{name}.log", "ab")
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT if out else None,
                                   start_new_session=True)
        self.processes[name] = process
        return process

    def start(self, wait: bool = True, timeout_s: float = 240) -> bool:
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        if not RASA_MODEL.exists() and self.only != "app":
            raise SystemExit(f"no trained Rasa model at {RASA_MODEL}; run `make setup` first")
        env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONPATH=str(PROJECT_ROOT))
        if self.only in (None, "app"):
            self._start("app", app_command(self.settings), env)
        if self.only in (None, "rasa"):
            self._start("rasa", rasa_command(self.settings), rasa_environment(self.settings))
        if not wait:
            return True
        ok = True
        if "app" in self.processes:
            ok &= wait_until_up(f"http://127.0.0.1:{self.settings.app_port}/api/privacy", timeout_s, self.processes["app"])
        if "rasa" in self.processes:
            ok &= wait_until_up(self.settings.rasa_url.rstrip("/") + "/", timeout_s, self.processes["rasa"])
        return ok

    def stop(self, timeout_s: float = 20) -> None:
        for name in ("rasa", "app"):
            process = self.processes.get(name)
            if process and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for process in self.processes.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _first_account_hint(settings: Settings) -> str:
    """Tell a newcomer how to create the first staff account, when there is none yet."""
    try:
        from bot.db import database_url, make_engine, migrate
        from bot.staff.accounts import Accounts

        url = database_url(settings)
        migrate(url)
        if Accounts(make_engine(url)).count_users():
            return ""
    except Exception as error:  # the hint is a convenience; never stop the bot for it
        return f"  (could not read staff accounts: {error})"
    return ("  (no accounts yet: .venv-app/bin/python -m bot.staff create-user NAME --role admin)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("rasa", "app"), help="start one process (used by the Docker images)")
    args = parser.parse_args(argv)
    settings = get_settings()
    stack = Stack(settings, only=args.only)
    stopping = False

    def on_signal(signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print("starting the bot (Rasa loads its model in about a minute)…", flush=True)
    ready = stack.start(wait=True)
    if ready and not stopping:
        print(f"\nThe bot is running: http://127.0.0.1:{settings.app_port}/  (Ctrl-C stops it)", flush=True)
        print(f"Staff console: http://127.0.0.1:{settings.app_port}/staff/{_first_account_hint(settings)}\n", flush=True)
    elif not stopping:
        print("a process failed to start; stopping", file=sys.stderr)
        stopping = True
    while not stopping:
        if any(p.poll() is not None for p in stack.processes.values()):
            print("a process exited; stopping the rest", file=sys.stderr)
            break
        time.sleep(0.5)
    stack.stop()
    print("stopped.", flush=True)
    return 0 if ready else 1


if __name__ == "__main__":
    raise SystemExit(main())
