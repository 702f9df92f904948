"""Failure-demand analytics cost: logging overhead per turn, console queries on 1,000,000 events in
SQLite, and clustering 10,000 unresolved questions.

Targets from the issue: logging p95 <= 2 ms per turn; overview and inbox <= 1 s on 1M events;
clustering 10k unresolved queries <= 60 s on 2 cores. Usage:
    python bench/analytics.py [--events 1000000] [--cluster-texts 10000] [--db PATH]
With --db an existing simulated database is reused (it is created there if missing).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from sqlalchemy import delete, func, select  # noqa: E402

from bot.analytics.queries import Filters, knowledge_gaps, overview, unresolved  # noqa: E402
from bot.analytics.simulate import simulate  # noqa: E402
from bot.analytics.store import EventLog, TurnEvent  # noqa: E402
from bot.db import make_engine, migrate  # noqa: E402
from bot.db.tables import event_embeddings, events  # noqa: E402

TARGETS = {"logging_p95_ms": 2.0, "query_s": 1.0, "clustering_s": 60.0}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def logging_overhead(workdir: Path, turns: int = 5000, pause_s: float = 0.0) -> dict:
    """What ChatService.handle spends on the log per turn: record() and two add_message() calls."""
    log = EventLog(f"sqlite:///{workdir / 'logging.sqlite3'}", spool_dir=workdir)
    samples = []
    for i in range(turns):
        event = TurnEvent(conversation=f"c{i % 400}", decision="fallback" if i % 4 == 0 else "answer",
                          reason="no_match" if i % 4 == 0 else None, lang="fi", municipality="Kajaani",
                          intent="service_question", intent_confidence=0.8, confidence=0.5,
                          sources=["hammashoito", "neuvola"], text_redacted="missä on hammaslääkäri", latency_ms=300.0)
        started = time.perf_counter_ns()
        log.record(event)
        log.add_message(event.conversation, "user", {"type": "text", "text": "missä on hammaslääkäri"})
        log.add_message(event.conversation, "bot", {"type": "text", "text": "Hammashoito: ..."})
        samples.append((time.perf_counter_ns() - started) / 1e6)
        if pause_s:
            time.sleep(pause_s)
    flushed_started = time.perf_counter()
    log.flush(timeout=120)
    flush_s = time.perf_counter() - flushed_started
    with log.engine.connect() as connection:
        stored = connection.execute(select(func.count()).select_from(events)).scalar()
    log.close()
    return {"turns": turns, "pause_ms": pause_s * 1000, "p50_ms": round(percentile(samples, 0.5), 4),
            "p95_ms": round(percentile(samples, 0.95), 4), "p99_ms": round(percentile(samples, 0.99), 4),
            "max_ms": round(max(samples), 3), "stored": stored, "final_flush_s": round(flush_s, 3)}


def timed(function, repeats: int = 5) -> dict:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return {"median_s": round(statistics.median(times), 3), "max_s": round(max(times), 3)}


def query_times(engine) -> dict:
    with engine.connect() as connection:
        newest = connection.execute(select(func.max(events.c.day))).scalar()
    last_30 = Filters(start=newest - timedelta(days=29), end=newest)
    cases = {
        "overview, all 90 days": lambda: overview(engine, Filters()),
        "overview, last 30 days": lambda: overview(engine, last_30),
        "overview, Kajaani": lambda: overview(engine, Filters(municipality="Kajaani")),
        "overview, reason out_of_scope": lambda: overview(engine, Filters(reason="out_of_scope")),
        "overview, lang sv + 30 days": lambda: overview(engine, Filters(start=last_30.start, lang="sv")),
        "inbox page 1 (50 rows + count)": lambda: unresolved(engine, Filters()),
        "inbox page 100": lambda: unresolved(engine, Filters(), offset=4950),
        "inbox, Kajaani, no_match": lambda: unresolved(engine, Filters(municipality="Kajaani", reason="no_match")),
        "knowledge gaps, last 30 days": lambda: knowledge_gaps(engine, last_30),
    }
    return {name: timed(function) for name, function in cases.items()}


class TimedEmbedder:
    """The real embedder, counting the time spent encoding (the part that depends on free CPU)."""

    def __init__(self, embedder) -> None:
        self.inner, self.seconds, self.texts = embedder, 0.0, 0
        self.model_dir, self.stamp = embedder.model_dir, embedder.stamp

    def encode_queries(self, texts: list[str]):
        started = time.perf_counter()
        vectors = self.inner.encode_queries(texts)
        self.seconds += time.perf_counter() - started
        self.texts += len(texts)
        return vectors


def clustering(engine, wanted: int) -> dict:
    from bot.analytics.topics import _texts_to_cluster, embedding_key, run_topics
    from bot.retrieval.embedder import Embedder
    from bot.retrieval.lemmatizer import shared_lemmatizer
    from bot.settings import get_settings

    settings = get_settings()
    with engine.connect() as connection:  # the newest days holding `wanted` unresolved texts
        days = connection.execute(select(events.c.day, func.count()).where(
            events.c.unresolved == 1, events.c.text_redacted.is_not(None))
            .group_by(events.c.day).order_by(events.c.day.desc())).all()
    total, start = 0, days[-1][0]
    for day, count in days:
        total += count
        start = day
        if total >= wanted:
            break
    filters = Filters(start=start)
    texts = _texts_to_cluster(engine, filters)
    embedder = TimedEmbedder(Embedder.from_settings(settings))
    loaded = time.perf_counter()
    embedder.encode_queries(["lämmittely"])
    load_s = time.perf_counter() - loaded
    embedder.seconds, embedder.texts = 0.0, 0
    lemmatizer = shared_lemmatizer()
    with engine.begin() as connection:  # a first run embeds everything
        connection.execute(delete(event_embeddings))
    started = time.perf_counter()
    found = run_topics(engine, embedder, lemmatizer, filters)
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    run_topics(engine, embedder, lemmatizer, filters)
    cached_s = time.perf_counter() - started
    return {"texts": len(texts), "distinct_texts": len({embedding_key(t) for _, t, _ in texts}),
            "torch_threads": settings.torch_threads, "model_load_s": round(load_s, 1),
            "first_run_s": round(first_s, 1), "embedding_s": round(embedder.seconds, 1),
            "embedded_per_s": round(embedder.texts / embedder.seconds, 1) if embedder.seconds else None,
            "cached_run_s": round(cached_s, 1), "topics": len(found),
            "largest_topics": [{"label": t["label"], "size": t["size"], "trend": t["trend"]} for t in found[:8]]}


def markdown(result: dict) -> str:
    loads = ", ".join(f"{part} {load}" for part, load in result["load_average"].items())
    lines = ["# analytics", "", f"{result['events']:,} simulated events, SQLite, {result['machine']} "
             f"(shared with other work; 1-minute load average when each part started: {loads}).", "",
             "| measure | value | target |", "|---|---|---|"]
    for row in result.get("logging", []):
        lines.append(f"| logging per turn, {row['turns']} turns, pause {row['pause_ms']} ms: p50 / p95 / p99 "
                     f"| {row['p50_ms']} / {row['p95_ms']} / {row['p99_ms']} ms | p95 ≤ {TARGETS['logging_p95_ms']} ms |")
    for name, value in result.get("queries", {}).items():
        lines.append(f"| {name} (median / max of 5) | {value['median_s']} / {value['max_s']} s "
                     f"| ≤ {TARGETS['query_s']} s |")
    c = result.get("clustering")
    if c:
        lines.append(f"| clustering {c['texts']:,} unresolved texts ({c['distinct_texts']:,} distinct), first run "
                     f"| {c['first_run_s']} s | ≤ {TARGETS['clustering_s']} s |")
        lines.append(f"| … of which e5 encoding ({c['embedded_per_s']} texts/s) | {c['embedding_s']} s | |")
        lines.append(f"| same run again (vectors cached) | {c['cached_run_s']} s | |")
    lines += ["", f"Simulating the events took {result.get('simulate_s')} s; database {result['db_mb']} MB."]
    if c:
        lines.append(f"Model load (once per process, not counted): {c['model_load_s']} s. Topics: {c['topics']}.")
    lines += ["", "```json", json.dumps(result, indent=2, ensure_ascii=False, default=str), "```", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--cluster-texts", type=int, default=10_000)
    parser.add_argument("--db", type=Path, help="reuse (or create) the simulated database here")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "analytics.json")
    parser.add_argument("--parts", default="logging,queries,clustering",
                        help="measure only these (comma-separated); the others are kept from --out")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    workdir = Path(tempfile.mkdtemp(prefix="bench-analytics-"))
    try:
        return run(args, parts, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)  # the simulated database is ~0.5 GB unless --db keeps it


def run(args, parts: set[str], workdir: Path) -> int:
    db = args.db or workdir / "events.sqlite3"
    url = f"sqlite:///{db}"
    migrate(url)
    engine = make_engine(url)

    result: dict = json.loads(args.out.read_text(encoding="utf-8")) if args.out.exists() and parts != {
        "logging", "queries", "clustering"} else {}
    result.update({"events": args.events, "machine": f"{os.cpu_count()} CPUs", "targets": TARGETS})
    result.setdefault("load_average", {})
    if "logging" in parts:
        result["load_average"]["logging"] = round(os.getloadavg()[0], 1)
        result["logging"] = [logging_overhead(workdir),
                             logging_overhead(workdir / "paced", turns=1000, pause_s=0.002)]
    with engine.connect() as connection:
        existing = connection.execute(select(func.count()).select_from(events)).scalar()
    started = time.perf_counter()
    if existing < args.events:
        simulate(engine, args.events - existing, days=90, seed=1)
        result["simulate_s"] = round(time.perf_counter() - started, 1)
    result["db_mb"] = round(db.stat().st_size / 1e6)
    if "queries" in parts:
        result["load_average"]["queries"] = round(os.getloadavg()[0], 1)
        result["queries"] = query_times(engine)
    if "clustering" in parts:
        result["load_average"]["clustering"] = round(os.getloadavg()[0], 1)
        result["clustering"] = clustering(engine, args.cluster_texts)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    report = markdown(result)
    args.out.with_suffix(".md").write_text(report, encoding="utf-8")
    print(report.split("```json")[0])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
