"""Per-turn latency and throughput of /api/chat at 1, 5 and 20 concurrent sessions, plus memory.

Starts its own stack (Rasa + app) on free ports, sends resident questions from the dev set,
prints a table and writes bench/results/latency.json. Usage: python bench/latency.py [--turns N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.launcher import Stack  # noqa: E402
from bot.settings import Settings  # noqa: E402
from tests.conftest import free_port  # noqa: E402


TURNS_PER_CONVERSATION = 5


def rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants."""
    total, stack = 0, [pid]
    children_of: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().split(")")[1].split()[1])
                children_of.setdefault(ppid, []).append(int(entry.name))
            except (OSError, IndexError, ValueError):
                pass
    while stack:
        current = stack.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
        stack.extend(children_of.get(current, []))
    return round(total / 1024, 1)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


async def run_level(base: str, questions: list[str], concurrency: int, turns: int, think_s: float = 0.0) -> dict:
    latencies: list[float] = []
    errors = 0
    rng = random.Random(concurrency)

    async def session_worker(worker: int, client: httpx.AsyncClient) -> None:
        nonlocal errors
        session = uuid.uuid4().hex
        if think_s:
            await asyncio.sleep(rng.uniform(0, think_s))
        for n, i in enumerate(range(worker, turns, concurrency)):
            if n % TURNS_PER_CONVERSATION == 0:  # residents' conversations are a few turns long
                session = uuid.uuid4().hex
            started = time.perf_counter()
            response = await client.post(f"{base}/api/chat", json={"session_id": session, "text": questions[i % len(questions)]})
            latencies.append((time.perf_counter() - started) * 1000)
            errors += response.status_code != 200 or response.json().get("degraded", False)
            if think_s:  # exponential think times: sessions do not march in step
                await asyncio.sleep(rng.expovariate(1 / think_s))

    async with httpx.AsyncClient(timeout=60) as client:
        started = time.perf_counter()
        await asyncio.gather(*(session_worker(w, client) for w in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {"concurrency": concurrency, "think_s": think_s, "turns": len(latencies), "errors": errors,
            "p50_ms": percentile(latencies, 0.50), "p95_ms": percentile(latencies, 0.95),
            "p99_ms": percentile(latencies, 0.99), "mean_ms": round(statistics.mean(latencies), 1),
            "throughput_per_s": round(len(latencies) / elapsed, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200, help="turns per concurrency level")
    parser.add_argument("--think-s", type=float, default=3.0, help="think time of the last, realistic level")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "latency.json")
    args = parser.parse_args()
    rows = [json.loads(line) for line in (ROOT / "tests" / "data" / "routing_dev.jsonl").read_text(encoding="utf-8").splitlines()]
    questions = [r["text"] for r in rows if r["kind"] == "service"]
    data_dir = Path(tempfile.mkdtemp(prefix="bench-"))
    app_port, rasa_port = free_port(), free_port()
    os.environ.update(APP_PORT=str(app_port), RASA_URL=f"http://127.0.0.1:{rasa_port}", DATA_DIR=str(data_dir))
    stack = Stack(Settings(), log_dir=data_dir / "logs")
    started = time.perf_counter()
    if not stack.start(wait=True, timeout_s=300):
        print("stack did not start; see", data_dir / "logs", file=sys.stderr)
        stack.stop()
        return 1
    startup_s = round(time.perf_counter() - started, 1)
    base = f"http://127.0.0.1:{app_port}"
    try:
        asyncio.run(run_level(base, questions, 1, 10))  # warm-up
        # closed loop (each session sends its next message as soon as it has the reply): saturation
        levels = [asyncio.run(run_level(base, questions, c, args.turns)) for c in (1, 5, 20)]
        # residents read and type between messages: 20 sessions with a few seconds' think time
        levels.append(asyncio.run(run_level(base, questions, 20, args.turns, think_s=args.think_s)))
        memory = {name: rss_mb(p.pid) for name, p in stack.processes.items()}
    finally:
        stack.stop()
    build = ROOT / "build"
    index_manifest = build / "index" / (build / "index" / "current").read_text().strip() / "manifest.json"
    result = {
        "turns_per_conversation": TURNS_PER_CONVERSATION,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "levels": levels,
        "rss_mb": memory | {"total": round(sum(memory.values()), 1)},
        "stack_start_s": startup_s,
        "rasa_train_s": (build / "rasa-train.time").read_text().split()[-2] if (build / "rasa-train.time").exists() else None,
        "rasa_train_note": "incremental when Rasa's cache under .rasa/ holds unchanged components; a fresh train is ~65-95 s",
        "index_build": json.loads(index_manifest.read_text())["stats"],
        "fresh_setup_s": (build / "setup.time").read_text().strip() if (build / "setup.time").exists() else None,
    }
    print(f"{'sessions':>8} {'think s':>7} {'turns':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'turns/s':>8} {'errors':>6}")
    for level in levels:
        print(f"{level['concurrency']:>8} {level['think_s']:>7} {level['turns']:>6} {level['p50_ms']:>8} {level['p95_ms']:>8} "
              f"{level['p99_ms']:>8} {level['throughput_per_s']:>8} {level['errors']:>6}")
    print(f"RSS MB: {result['rss_mb']}  stack start {startup_s} s  rasa train {result['rasa_train_s']} s  "
          f"index {result['index_build']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
