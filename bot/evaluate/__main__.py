"""`python -m bot.evaluate routing|chat`: routing quality on a held-out query set.

routing  – the retriever alone (plus the safety layer for emergency/crisis queries), in-process.
chat     – the same queries through a running bot's /api/chat, scoring `decision` and `sources`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from pathlib import Path

from bot.evaluate.metrics import Report, load_queries, write_report

ANSWERED = "answer"


def evaluate_routing(queries_path: Path, out_dir: Path | None) -> dict:
    from bot.retrieval.embedder import Embedder
    from bot.retrieval.retriever import RetrieverService
    from bot.safety import check_safety
    from bot.settings import get_settings

    settings = get_settings()
    retriever = RetrieverService(settings.index_dir, Embedder(settings.embedding_model_dir, settings.torch_threads))
    report = Report()
    refused_in_scope = answered_out_of_scope = out_of_scope = 0
    safety_expected = safety_caught = safety_false = 0
    latencies = []
    queries = load_queries(queries_path)
    for query in queries:
        started = time.perf_counter()
        result = retriever.search(query.text, k=5)
        latencies.append((time.perf_counter() - started) * 1000)
        ranked = [{"id": h.doc_id, "catalogue": h.card.get("catalogue") or []} for h in result.hits]
        answered = result.confidence >= settings.answer_threshold
        safety = check_safety(query.text)
        if query.kind in ("emergency", "crisis"):
            safety_expected += 1
            safety_caught += safety is not None and safety.decision == query.kind
            continue
        safety_false += safety is not None
        if query.kind == "service":
            report.add_service(query, ranked)
            refused_in_scope += not answered
        else:
            out_of_scope += 1
            answered_out_of_scope += answered
    n_service = report.overall.n
    latencies.sort()
    report.extra = {
        "thresholds": {"answer": settings.answer_threshold, "clarify": settings.clarify_threshold},
        "in_scope_refused_rate": round(refused_in_scope / max(n_service, 1), 3),
        "out_of_scope_not_answered_rate": round(1 - answered_out_of_scope / max(out_of_scope, 1), 3),
        "out_of_scope_n": out_of_scope,
        "safety": {"expected": safety_expected, "caught": safety_caught, "false_alarms_on_other_queries": safety_false},
        "latency_ms": {"p50": round(latencies[len(latencies) // 2], 1), "p95": round(latencies[int(len(latencies) * .95)], 1)},
        "index_build": retriever.retriever().artifact.build_id,
    }
    data = report.to_dict()
    write_report(data, out_dir, "routing")
    return data


def evaluate_chat(queries_path: Path, base_url: str, out_dir: Path | None) -> dict:
    import httpx

    report = Report()
    decisions = {"out_of_scope_not_answered": 0, "out_of_scope": 0, "in_scope_refused": 0,
                 "emergency_ok": 0, "emergency": 0, "crisis_ok": 0, "crisis": 0, "clarified": 0}
    with httpx.Client(timeout=60) as client:
        for query in load_queries(queries_path):
            payload = client.post(f"{base_url.rstrip('/')}/api/chat",
                                  json={"session_id": uuid.uuid4().hex, "text": query.text}).json()
            decision, sources = payload.get("decision"), payload.get("sources") or []
            if query.kind in ("emergency", "crisis"):
                decisions[query.kind] += 1
                decisions[f"{query.kind}_ok"] += decision == query.kind
            elif query.kind == "service":
                decisions["clarified"] += decision == "clarify"
                decisions["in_scope_refused"] += decision not in (ANSWERED, "clarify")
                report.add_service(query, sources if decision in (ANSWERED, "clarify") else [])
            else:
                decisions["out_of_scope"] += 1
                decisions["out_of_scope_not_answered"] += decision != ANSWERED
    n = max(report.overall.n, 1)
    report.extra = {"decisions": decisions,
                    "in_scope_refused_rate": round(decisions["in_scope_refused"] / n, 3),
                    "out_of_scope_not_answered_rate": round(decisions["out_of_scope_not_answered"] / max(decisions["out_of_scope"], 1), 3)}
    data = report.to_dict()
    write_report(data, out_dir, "chat")
    return data


def evaluate_nlu(folds: int, out_dir: Path | None) -> dict:
    """Intent macro-F1 by k-fold cross-validation with Rasa's own `rasa test nlu` (in .venv-rasa)."""
    import subprocess
    import tempfile

    from bot.settings import PROJECT_ROOT

    with tempfile.TemporaryDirectory() as tmp:
        command = [str(PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa"), "test", "nlu", "--nlu", "nlu_data/nlu.yml",
                   "--config", "config.yml", "--cross-validation", "--folds", str(folds), "--out", tmp]
        subprocess.run(command, cwd=PROJECT_ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env={**__import__("os").environ, "RASA_TELEMETRY_ENABLED": "false"})
        report = json.loads((Path(tmp) / "intent_report.json").read_text(encoding="utf-8"))
    per_intent = {name: {"f1": round(v["f1-score"], 3), "support": v["support"]}
                  for name, v in report.items() if isinstance(v, dict) and "f1-score" in v and name not in
                  ("macro avg", "weighted avg", "micro avg")}
    data = {"folds": folds, "config": "config.yml", "macro_f1": round(report["macro avg"]["f1-score"], 3),
            "weighted_f1": round(report["weighted avg"]["f1-score"], 3), "accuracy": round(report.get("accuracy", 0), 3),
            "per_intent": per_intent}
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "nlu.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.evaluate", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("routing", "chat"):
        command = sub.add_parser(name)
        command.add_argument("--queries", type=Path, required=True)
        command.add_argument("--out", type=Path)
        if name == "chat":
            command.add_argument("--base-url", required=True)
    redaction = sub.add_parser("redaction")
    redaction.add_argument("--cases", type=Path, required=True)
    redaction.add_argument("--out", type=Path)
    nlu = sub.add_parser("nlu")
    nlu.add_argument("--folds", type=int, default=5)
    nlu.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if args.command == "redaction":
        from bot.evaluate.redaction import evaluate_redaction

        data = evaluate_redaction(args.cases)
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / "redaction.json").write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
        print(json.dumps({k: v for k, v in data.items() if k not in ("misses", "over_redacted")}, indent=2))
        return 0
    if args.command == "nlu":
        data = evaluate_nlu(args.folds, args.out)
        print(json.dumps({k: v for k, v in data.items() if k != "per_intent"}, indent=2))
        return 0
    if args.command == "routing":
        data = evaluate_routing(args.queries, args.out)
    else:
        data = evaluate_chat(args.queries, args.base_url, args.out)
    summary = {k: v for k, v in data.items() if k not in ("by_tag", "misses")}
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
