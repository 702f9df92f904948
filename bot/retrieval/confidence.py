"""Retrieval confidence: how likely a query is one the knowledge base answers, from ranking signals.

A logistic model over a handful of signals of one search, fitted by `python -m bot.evaluate
calibrate` on our own NLU training sentences (service questions against off-topic, political and
small-talk sentences), never on the evaluation queries. Its output is a probability, so the
dialogue's thresholds (answer / clarify) read as "how sure is the bot that this is a service
question it can answer".
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

MODEL_PATH = Path(__file__).with_name("confidence_model.json")


@dataclass(frozen=True)
class RetrievalSignals:
    """What one search says about itself, before any decision."""

    dense_top: float      # e5 cosine of the best chunk of the top document
    dense_margin: float   # best minus second-best document in the dense ranking
    agreement: float      # share of rankers whose first document is the fused top document
    lexical_top: float    # log(1 + best lemma-BM25 chunk score)
    char_top: float       # best character n-gram TF-IDF cosine

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class ConfidenceModel:
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    index_stamp: dict | None = None  # the embedding model and chunker of the index it was fitted on

    def fits(self, index_stamp: dict) -> bool:
        """False when the signals come from another embedding model or chunker than the fitted ones."""
        return self.index_stamp is None or self.index_stamp == index_stamp

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> "ConfidenceModel":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        model = cls(tuple(data["features"]), tuple(data["mean"]), tuple(data["scale"]), tuple(data["coef"]),
                    float(data["intercept"]), (data.get("fitted_on") or {}).get("index_stamp"))
        unknown = set(model.features) - set(RetrievalSignals.__dataclass_fields__)
        if unknown or not len(model.features) == len(model.mean) == len(model.scale) == len(model.coef):
            raise ValueError(f"{path}: confidence model does not match RetrievalSignals ({sorted(unknown)})")
        return model

    def confidence(self, signals: RetrievalSignals) -> float:
        values = signals.as_dict()
        z = self.intercept + sum(c * (values[f] - m) / s
                                 for f, m, s, c in zip(self.features, self.mean, self.scale, self.coef))
        return round(1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0))), 3)
