"""`python -m bot.evaluate routing|chat`: routing quality on a held-out query set.

routing  – the retriever alone (plus the safety layer for emergency/crisis queries), in-process.
chat     – the same queries through a running bot's /api/chat, scoring `decision` and `sources`.
calibrate – fit the retrieval confidence model on the NLU training sentences (bot/evaluate/calibration.py).
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


def share(part: int, whole: int) -> float | None:
    """part / whole to three decimals; None when the set has no such queries (not a perfect 1.0)."""
    return round(part / whole, 3) if whole else None


def evaluate_routing(queries_path: Path, out_dir: Path | None, name: str = "routing") -> dict:
    from bot.retrieval.embedder import Embedder
    from bot.retrieval.retriever import RetrieverService
    from bot.safety import check_safety
    from bot.settings import get_settings

    settings = get_settings()
    retriever = RetrieverService(settings.index_dir, Embedder.from_settings(settings))
    report = Report()
    refused_in_scope = answered_in_scope = answered_out_of_scope = out_of_scope = 0
    safety_expected = safety_caught = safety_false = 0
    latencies = []
    queries = load_queries(queries_path)
    for query in queries:
        started = time.perf_counter()
        result = retriever.search(query.text, k=5)
        latencies.append((time.perf_counter() - started) * 1000)
        ranked = [{"id": h.doc_id, "catalogue": h.card.get("catalogue") or []} for h in result.hits]
        # As the dialogue acts and the chat evaluation counts: below the clarify threshold the bot
        # asks the resident to rephrase (refused); between the thresholds it offers candidates.
        answered = result.confidence >= settings.answer_threshold
        refused = result.confidence < settings.clarify_threshold
        safety = check_safety(query.text)
        if query.kind in ("emergency", "crisis"):
            safety_expected += 1
            safety_caught += safety is not None and safety.decision == query.kind
            continue
        safety_false += safety is not None
        if query.kind == "service":
            report.add_service(query, ranked)
            refused_in_scope += refused
            answered_in_scope += answered
        else:
            out_of_scope += 1
            answered_out_of_scope += answered
    n_service = report.overall.n
    latencies.sort()
    report.extra = {
        "thresholds": {"answer": settings.answer_threshold, "clarify": settings.clarify_threshold},
        "in_scope_refused_rate": round(refused_in_scope / max(n_service, 1), 3),
        "in_scope_answered_rate": round(answered_in_scope / max(n_service, 1), 3),
        "out_of_scope_not_answered_rate": share(out_of_scope - answered_out_of_scope, out_of_scope),
        "out_of_scope_n": out_of_scope,
        "safety": {"expected": safety_expected, "caught": safety_caught, "false_alarms_on_other_queries": safety_false},
        "latency_ms": {"p50": round(latencies[len(latencies) // 2], 1), "p95": round(latencies[int(len(latencies) * .95)], 1)},
        "index_build": retriever.retriever().artifact.build_id,
    }
    data = report.to_dict()
    write_report(data, out_dir, name)
    return data


def evaluate_chat(queries_path: Path, base_url: str, out_dir: Path | None, name: str = "chat") -> dict:
    import httpx

    report = Report()
    decisions = {"out_of_scope_not_answered": 0, "out_of_scope": 0, "in_scope_refused": 0,
                 "emergency_ok": 0, "emergency": 0, "crisis_ok": 0, "crisis": 0, "clarified": 0}
    wrong_decisions: list[dict] = []  # refused service questions and answered out-of-scope ones, for the report
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
                refused = decision not in (ANSWERED, "clarify")
                decisions["in_scope_refused"] += refused
                report.add_service(query, sources if not refused else [])
            else:
                refused = decision != ANSWERED
                decisions["out_of_scope"] += 1
                decisions["out_of_scope_not_answered"] += refused
            if query.kind in ("service", "out_of_scope") and refused != (query.kind == "out_of_scope"):
                wrong_decisions.append({"text": query.text, "kind": query.kind, "decision": decision,
                                        "reason": payload.get("reason"), "sources": [s.get("id") for s in sources][:3]})
    n = max(report.overall.n, 1)
    report.extra = {"decisions": decisions,
                    "in_scope_refused_rate": round(decisions["in_scope_refused"] / n, 3),
                    "out_of_scope_not_answered_rate": share(decisions["out_of_scope_not_answered"], decisions["out_of_scope"]),
                    "wrong_decisions": wrong_decisions}
    data = report.to_dict()
    write_report(data, out_dir, name)
    return data


# Rasa draws the cross-validation folds from NumPy's global random state without a seed: seeding it
# first gives every pipeline the same folds, so a comparison measures the pipeline, not the split.
SEEDED_RASA = ("import sys, numpy; numpy.random.seed(int(sys.argv[1])); sys.argv = ['rasa'] + sys.argv[2:]; "
               "from rasa.__main__ import main; main()")


def evaluate_nlu(folds: int, out_dir: Path | None, config: Path = Path("config.yml"), name: str = "nlu",
                 data: Path = Path("nlu_data/nlu.yml"), seed: int = 0, holdout: Path | None = None) -> dict:
    """Intent macro-F1 by k-fold cross-validation with Rasa's own `rasa test nlu` (in .venv-rasa).

    `config` and `data` let pipelines be compared on the same data (docs/nlu-pipeline.md); the result is
    written to `<out>/<name>.json` with per-intent F1 and the most frequent confusions. `holdout`
    (tests/data/routing_dev.jsonl) adds a check on sentences the data never saw (bot/evaluate/nlu_holdout.py),
    and every run reports training examples that copy a held-out test sentence (bot/evaluate/nlu_data.py).
    """
    import collections
    import os
    import subprocess
    import tempfile

    from bot.settings import PROJECT_ROOT

    config_path = config if config.is_absolute() else PROJECT_ROOT / config
    data_path = data if data.is_absolute() else PROJECT_ROOT / data
    for path, what in ((config_path, "Rasa config"), (data_path, "NLU data file")):
        if not path.is_file():
            raise SystemExit(f"no such {what}: {path}")
    if folds < 2:
        raise SystemExit("--folds must be at least 2")
    with tempfile.TemporaryDirectory() as tmp:
        command = [str(PROJECT_ROOT / ".venv-rasa" / "bin" / "python"), "-c", SEEDED_RASA, str(seed),
                   "test", "nlu", "--nlu", str(data_path),
                   "--config", str(config_path), "--cross-validation", "--folds", str(folds), "--out", tmp]
        started = time.perf_counter()
        result = subprocess.run(command, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"})
        if result.returncode != 0:
            tail = "\n".join(result.stderr.decode("utf-8", "replace").splitlines()[-15:])
            raise SystemExit(f"rasa test nlu failed (exit {result.returncode}):\n{tail}")
        seconds = time.perf_counter() - started
        report = json.loads((Path(tmp) / "intent_report.json").read_text(encoding="utf-8"))
        errors = json.loads((Path(tmp) / "intent_errors.json").read_text(encoding="utf-8"))
    per_intent = {intent: {"f1": round(v["f1-score"], 3), "precision": round(v["precision"], 3),
                           "recall": round(v["recall"], 3), "support": v["support"]}
                  for intent, v in sorted(report.items()) if isinstance(v, dict) and "f1-score" in v and intent not in
                  ("macro avg", "weighted avg", "micro avg")}
    confusions = collections.Counter(f"{e['intent']} -> {e['intent_prediction']['name']}" for e in errors)

    def shown(path: Path) -> str:
        return str(path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path)

    summary = {"folds": folds, "seed": seed, "config": shown(config_path), "data": shown(data_path),
               "examples": sum(v["support"] for v in per_intent.values()),
               "macro_f1": round(report["macro avg"]["f1-score"], 3),
               "weighted_f1": round(report["weighted avg"]["f1-score"], 3),
               "accuracy": round(report.get("accuracy", 0), 3),
               "cross_validation_seconds": round(seconds, 1),
               "weakest": sorted(per_intent, key=lambda i: per_intent[i]["f1"])[:3],
               "top_confusions": dict(confusions.most_common(15)),
               "per_intent": per_intent}
    from bot.evaluate.nlu_data import contradictions, held_out_copies

    copies = held_out_copies(data_path, PROJECT_ROOT / "tests" / "data", threshold=0.7)
    summary["held_out_copies"] = [f"{c.example} ≈ {c.held_out} ({c.similarity})" for c in copies]
    summary["contradictions"] = [f"{text}: {a} / {b}" for text, a, b in contradictions(data_path)]
    if holdout is not None:
        from bot.evaluate.nlu_holdout import holdout_check

        summary["holdout"] = holdout_check(PROJECT_ROOT, config_path, data_path,
                                           holdout if holdout.is_absolute() else PROJECT_ROOT / holdout)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / f"{name}.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
        (out_dir / f"{name}.md").write_text(nlu_markdown(name, summary), encoding="utf-8")
    return summary


def nlu_markdown(name: str, summary: dict) -> str:
    """The NLU result as a table a reviewer can read next to docs/nlu-pipeline.md."""
    lines = [f"# {name}", "",
             f"`{summary['config']}` on `{summary['data']}` ({summary['examples']} examples), "
             f"{summary['folds']}-fold cross-validation, fold seed {summary['seed']}: "
             f"**macro-F1 {summary['macro_f1']}**, weighted F1 {summary['weighted_f1']}, accuracy {summary['accuracy']} "
             f"({summary['cross_validation_seconds']} s).", "",
             "| intent | F1 | precision | recall | examples |", "|---|---|---|---|---|"]
    for intent, v in sorted(summary["per_intent"].items(), key=lambda item: item[1]["f1"]):
        lines.append(f"| {intent} | {v['f1']} | {v['precision']} | {v['recall']} | {v['support']} |")
    lines += ["", "## Most frequent confusions (true -> predicted)", ""]
    lines += [f"- {pair}: {count}" for pair, count in summary["top_confusions"].items()]
    lines += ["", f"Training examples copying a held-out test sentence: {len(summary['held_out_copies'])}; "
                  f"sentences under two intents: {len(summary['contradictions'])}."]
    if "holdout" in summary:
        lines += ["", "## Held-out queries (tests/data/routing_dev.jsonl, never trained on)", "", "```json",
                  json.dumps(summary["holdout"], indent=2, ensure_ascii=False), "```"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.evaluate", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("routing", "chat"):
        command = sub.add_parser(name)
        command.add_argument("--queries", type=Path, required=True)
        command.add_argument("--out", type=Path)
        command.add_argument("--name", default=name, help=f"result file stem: <out>/<name>.json (default {name})")
        if name == "chat":
            command.add_argument("--base-url", required=True)
    redaction = sub.add_parser("redaction")
    redaction.add_argument("--cases", type=Path, required=True)
    redaction.add_argument("--out", type=Path)
    nlu = sub.add_parser("nlu")
    nlu.add_argument("--folds", type=int, default=5)
    nlu.add_argument("--out", type=Path)
    nlu.add_argument("--config", type=Path, default=Path("config.yml"), help="Rasa config (pipeline) to evaluate")
    nlu.add_argument("--name", default="nlu", help="result file stem: <out>/<name>.json")
    nlu.add_argument("--data", type=Path, default=Path("nlu_data/nlu.yml"), help="NLU training data to cross-validate")
    nlu.add_argument("--seed", type=int, default=0, help="seed of the fold split (same seed = same folds)")
    nlu.add_argument("--holdout", type=Path, help="also train on all data and classify these held-out queries "
                                                  "(tests/data/routing_dev.jsonl)")
    safety = sub.add_parser("safety", help="recall and false alarms of bot/safety.py on a held-out labelled set")
    safety.add_argument("--queries", type=Path, required=True, help="tests/data/safety_heldout.jsonl")
    safety.add_argument("--out", type=Path)
    safety.add_argument("--semantic", action="store_true", help="rules plus the semantic safety net (loads e5)")
    calibrate = sub.add_parser("calibrate", help="fit the retrieval confidence model on the NLU training sentences")
    calibrate.add_argument("--data", type=Path, default=Path("nlu_data/nlu.yml"))
    calibrate.add_argument("--queries", type=Path, help="also report on held-out queries (tests/data/routing_dev.jsonl)")
    calibrate.add_argument("--out", type=Path, help="directory for calibration.json")
    args = parser.parse_args(argv)
    if args.command == "calibrate":
        from bot.evaluate.calibration import calibrate as fit_confidence

        data = fit_confidence(args.data, queries=args.queries, out_dir=args.out)
        print(json.dumps({k: v for k, v in data.items() if k != "model"}, indent=2, ensure_ascii=False))
        return 0
    if args.command == "redaction":
        from bot.evaluate.redaction import evaluate_redaction

        data = evaluate_redaction(args.cases)
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / "redaction.json").write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
        print(json.dumps({k: v for k, v in data.items() if k not in ("misses", "over_redacted")}, indent=2))
        return 0
    if args.command == "nlu":
        data = evaluate_nlu(args.folds, args.out, args.config, args.name, args.data, args.seed, args.holdout)
        print(json.dumps({k: v for k, v in data.items() if k != "per_intent"}, indent=2, ensure_ascii=False))
        return 0
    if args.command == "safety":
        from bot.evaluate.safety_eval import CaseFileError, evaluate_safety

        try:
            data = evaluate_safety(args.queries, args.out, args.semantic)
        except CaseFileError as error:
            raise SystemExit(str(error)) from None
        print(json.dumps({k: v for k, v in data.items() if k not in ("misses", "false_alarms", "recall_by_tag",
                                                                    "false_positive_rate_by_tag")},
                         indent=2, ensure_ascii=False))
        return 0
    if args.command == "routing":
        data = evaluate_routing(args.queries, args.out, args.name)
    else:
        data = evaluate_chat(args.queries, args.base_url, args.out, args.name)
    summary = {k: v for k, v in data.items() if k not in ("by_tag", "misses")}
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
