"""`python -m bot.evaluate calibrate`: fit the retrieval confidence model (bot/retrieval/confidence.py).

Training sentences are our own NLU examples, never the evaluation queries: `service_question`
examples are the questions the knowledge base should answer; off-topic, political and small-talk
examples are messages it must not answer with a service card. (Medical advice, own records and
clinical requests are left out: they are about health services, so the words match real documents;
telling them apart is the NLU's job, which declines them before retrieval.) Each sentence is run
through the real retriever on the current index, and a balanced logistic regression over the
search's `RetrievalSignals` is fitted. Cross-validated AUC and the rates at the configured
thresholds are reported; with `--queries` also on a held-out query set.
"""

from __future__ import annotations

import json
import re
from dataclasses import fields
from pathlib import Path

from bot.evaluate.metrics import load_queries
from bot.evaluate.nlu_data import intent_examples
from bot.retrieval.confidence import MODEL_PATH, RetrievalSignals

ANSWERABLE_INTENTS = {"service_question"}
UNANSWERABLE_INTENTS = {"off_topic", "opinion_politics", "greet", "goodbye", "thanks", "bot_challenge",
                        "affirm", "deny", "vague"}
ANNOTATION = re.compile(r"\[([^\]]+)\](?:\{[^{}]*\}|\([^()]*\))")
FEATURES = tuple(f.name for f in fields(RetrievalSignals))


def training_sentences(nlu_path: Path) -> list[tuple[str, int]]:
    """(text, 1 if the knowledge base should answer it else 0) from the NLU training data."""
    rows = []
    for intent, text in intent_examples(nlu_path):
        if intent in ANSWERABLE_INTENTS or intent in UNANSWERABLE_INTENTS:
            rows.append((ANNOTATION.sub(r"\1", text), int(intent in ANSWERABLE_INTENTS)))
    return rows


def signal_rows(retriever, texts: list[str]) -> list[list[float] | None]:
    rows = []
    for text in texts:
        signals = retriever.search(text, k=5).signals
        rows.append(None if signals is None else [getattr(signals, f) for f in FEATURES])
    return rows


def rates(probabilities, labels, answer: float, clarify: float) -> dict:
    """Shares as the dialogue would act: answerable refused (< clarify), unanswerable not answered (< answer)."""
    answerable = [p for p, y in zip(probabilities, labels) if y == 1]
    other = [p for p, y in zip(probabilities, labels) if y == 0]
    return {"answerable_n": len(answerable), "unanswerable_n": len(other),
            "answerable_refused": round(sum(p < clarify for p in answerable) / max(len(answerable), 1), 3),
            "answerable_answered": round(sum(p >= answer for p in answerable) / max(len(answerable), 1), 3),
            "unanswerable_not_answered": round(sum(p < answer for p in other) / max(len(other), 1), 3)}


def calibrate(nlu_path: Path, model_out: Path = MODEL_PATH, queries: Path | None = None,
              out_dir: Path | None = None) -> dict:
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import cross_val_predict

    from bot.retrieval.embedder import Embedder
    from bot.retrieval.retriever import RetrieverService
    from bot.settings import get_settings

    settings = get_settings()
    service = RetrieverService(settings.index_dir, Embedder.from_settings(settings))
    sentences = training_sentences(nlu_path)
    measured = [(row, label) for row, (_, label) in zip(signal_rows(service, [t for t, _ in sentences]), sentences)
                if row is not None]
    x = np.array([row for row, _ in measured])
    y = np.array([label for _, label in measured])
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    standard = (x - mean) / scale
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000)
    cross_validated = cross_val_predict(model, standard, y, cv=5, method="predict_proba")[:, 1]
    model.fit(standard, y)
    fitted = {"features": list(FEATURES), "mean": mean.round(6).tolist(), "scale": scale.round(6).tolist(),
              "coef": model.coef_[0].round(6).tolist(), "intercept": round(float(model.intercept_[0]), 6),
              "fitted_on": {"nlu_data": str(nlu_path), "sentences": len(y), "answerable": int(y.sum()),
                            "index_build": service.build_id, "index_stamp": service.retriever().artifact.stamp}}
    Path(model_out).write_text(json.dumps(fitted, indent=2) + "\n", encoding="utf-8")
    report = {"training": {"auc_cross_validated": round(float(roc_auc_score(y, cross_validated)), 3),
                           **rates(cross_validated, y, settings.answer_threshold, settings.clarify_threshold)},
              "thresholds": {"answer": settings.answer_threshold, "clarify": settings.clarify_threshold},
              "model": fitted}
    if queries is not None:
        report["held_out"] = held_out_rates(service, queries, settings, model, mean, scale)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "calibration.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    return report


def held_out_rates(service, queries: Path, settings, model, mean, scale) -> dict:
    """The new model on held-out queries: service questions answerable, everything else not."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    chosen = [q for q in load_queries(queries) if q.kind in ("service", "out_of_scope")]
    rows = signal_rows(service, [q.text for q in chosen])
    kept = [(row, int(q.kind == "service")) for row, q in zip(rows, chosen) if row is not None]
    probabilities = model.predict_proba((np.array([r for r, _ in kept]) - mean) / scale)[:, 1]
    labels = [label for _, label in kept]
    return {"queries": str(queries), "auc": round(float(roc_auc_score(labels, probabilities)), 3),
            **rates(probabilities, labels, settings.answer_threshold, settings.clarify_threshold)}
