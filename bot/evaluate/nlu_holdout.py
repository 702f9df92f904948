"""The intent classifier on held-out sentences: tests/data/routing_dev.jsonl, never trained on.

Cross-validation scores the training data against itself, so it rewards data that is easy to
learn. routing_dev.jsonl was written separately for the retriever: its service questions must reach
retrieval (intent service_question, or nlu_fallback or vague, which the rules also send to retrieval) and its
out-of-scope questions should get one of the declining intents. Emergency and crisis lines are
skipped: the safety layer answers them before Rasa sees them.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

TO_RETRIEVAL = {"service_question", "nlu_fallback", "vague"}
DECLINING = {"personal_records", "medical_advice", "clinical_action", "opinion_politics", "off_topic"}


def _run(command: list[str], root: Path, **kwargs) -> subprocess.CompletedProcess:
    # RASA_MAX_CACHE_SIZE=0: no reuse of components trained by an earlier run, so the training time is real
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "RASA_MAX_CACHE_SIZE": "0"}
    result = subprocess.run(command, cwd=root, capture_output=True, env=env, **kwargs)
    if result.returncode != 0:
        tail = "\n".join(result.stderr.decode("utf-8", "replace").splitlines()[-15:])
        raise SystemExit(f"{' '.join(command[:3])} failed (exit {result.returncode}):\n{tail}")
    return result


def holdout_check(root: Path, config: Path, data: Path, queries: Path) -> dict:
    """Train an NLU model on all of `data` with `config`, then classify the held-out queries."""
    rows = [json.loads(line) for line in queries.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if r.get("kind") in ("service", "out_of_scope")]
    if not rows:
        raise SystemExit(f"{queries}: no service or out_of_scope queries")
    rasa_python = root / ".venv-rasa" / "bin" / "python"
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        _run([str(root / ".venv-rasa" / "bin" / "rasa"), "train", "nlu", "--nlu", str(data), "--config", str(config),
              "--out", tmp, "--fixed-model-name", "holdout"], root)
        train_seconds = time.perf_counter() - started
        texts, intents = Path(tmp) / "texts.jsonl", Path(tmp) / "intents.jsonl"
        texts.write_text("".join(json.dumps({"text": r["text"]}, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        _run([str(rasa_python), str(Path(__file__).with_name("rasa_parse.py")), str(Path(tmp) / "holdout.tar.gz"),
              str(texts), str(intents)], root)
        parsed = [json.loads(line) for line in intents.read_text(encoding="utf-8").splitlines() if line.strip()]
    service = [(r, p) for r, p in zip(rows, parsed) if r["kind"] == "service"]
    out_of_scope = [(r, p) for r, p in zip(rows, parsed) if r["kind"] == "out_of_scope"]
    service_ok = sum(p["intent"] in TO_RETRIEVAL for _, p in service)
    declined = sum(p["intent"] in DECLINING for _, p in out_of_scope)
    return {
        "queries": str(queries.name),
        "nlu_train_seconds": round(train_seconds, 1),
        "service_n": len(service),
        "service_to_retrieval": round(service_ok / max(len(service), 1), 3),
        "service_misrouted_as": dict(Counter(p["intent"] for _, p in service if p["intent"] not in TO_RETRIEVAL)),
        "out_of_scope_n": len(out_of_scope),
        "out_of_scope_declined": round(declined / max(len(out_of_scope), 1), 3),
        "out_of_scope_declined_confidently": round(
            sum(p["intent"] in DECLINING and p["confidence"] >= 0.8 for _, p in out_of_scope) / max(len(out_of_scope), 1), 3),
        "out_of_scope_missed_as": dict(Counter(p["intent"] for _, p in out_of_scope if p["intent"] not in DECLINING)),
    }
