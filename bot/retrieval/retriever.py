"""The hybrid retriever: fuses dense, lemma-BM25 and character n-gram rankings per document."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from bot.lang import detect_language
from bot.municipalities import find_municipality, without_municipalities
from bot.retrieval.components import (
    CharNgramRanker,
    ChunkRanker,
    DenseRanker,
    LemmaBM25Ranker,
    reciprocal_rank_fusion,
)
from bot.retrieval.embedder import Embedder
from bot.retrieval.index import IndexArtifact, current_build_id
from bot.retrieval.lemmatizer import FinnishLemmatizer
from bot.text import clean

CANDIDATES_PER_RANKER = 40
MAX_QUERY_CHARS = 1000
RRF_K = 60
MUNICIPALITY_BONUS = 0.004          # breaks near-ties in favour of the resident's own municipality
OTHER_MUNICIPALITY_PENALTY = 0.02   # about the weight of a first place: another town's page sinks
# Lemma BM25 is built for Finnish; for Swedish and English queries the dense model carries more weight.
RANKER_WEIGHTS = {"fi": {"dense": 1.0, "bm25": 1.0, "char": 1.0},
                  "other": {"dense": 2.0, "bm25": 0.5, "char": 1.0}}


@dataclass
class Hit:
    doc_id: str
    score: float
    card: dict
    dense: float = 0.0


@dataclass
class RetrievalResult:
    query: str
    hits: list[Hit] = field(default_factory=list)
    confidence: float = 0.0
    municipality: str | None = None
    build_id: str | None = None

    @property
    def top(self) -> Hit | None:
        return self.hits[0] if self.hits else None


def confidence_of(dense_top: float, agreement: float, margin: float) -> float:
    """Map raw signals to 0..1: e5 cosines for a right answer sit around 0.82–0.90, noise near 0.75."""
    dense_part = min(max((dense_top - 0.77) / 0.10, 0.0), 1.0)
    margin_part = min(max(margin / 0.01, 0.0), 1.0)
    return round(0.55 * dense_part + 0.30 * agreement + 0.15 * margin_part, 3)


class HybridRetriever:
    def __init__(self, artifact: IndexArtifact, embedder: Embedder, lemmatizer: FinnishLemmatizer) -> None:
        self.artifact = artifact
        texts = [c.text for c in artifact.chunks]
        self.dense = DenseRanker(embedder, artifact.faiss_index)
        self.rankers: list[ChunkRanker] = [self.dense, LemmaBM25Ranker(texts, lemmatizer), CharNgramRanker(texts)]

    def _doc_ranking(self, ranker: ChunkRanker, query: str, lang: str) -> tuple[list[str], dict[str, float]]:
        ranking: list[str] = []
        best: dict[str, float] = {}
        for chunk_index, score in ranker.search(query, CANDIDATES_PER_RANKER, lang=lang):
            doc_id = self.artifact.chunks[chunk_index].doc_id
            if doc_id not in best:
                ranking.append(doc_id)
                best[doc_id] = score
        return ranking, best

    def search(self, query: str, municipality: str | None = None, k: int = 5) -> RetrievalResult:
        text = clean(query)[:MAX_QUERY_CHARS]
        municipality = municipality or find_municipality(text)
        result = RetrievalResult(query=text, municipality=municipality, build_id=self.artifact.build_id)
        if not any(ch.isalnum() for ch in text) or not self.artifact.chunks:
            return result
        topic = without_municipalities(text) if municipality else text
        if not any(ch.isalnum() for ch in topic):  # the query was only a place name
            topic = text
        lang = detect_language(topic)
        rankings: dict[str, list[str]] = {}
        dense_scores: dict[str, float] = {}
        for ranker in self.rankers:
            ranking, scores = self._doc_ranking(ranker, topic, lang)
            rankings[ranker.name] = ranking
            if ranker is self.dense:
                dense_scores = scores
        fused = reciprocal_rank_fusion(rankings, k=RRF_K, weights=RANKER_WEIGHTS["fi" if lang == "fi" else "other"])
        documents = self.artifact.documents
        if municipality:
            for doc_id in fused:
                places = documents[doc_id].get("municipalities") or []
                if municipality in places:
                    fused[doc_id] += MUNICIPALITY_BONUS
                elif places:
                    fused[doc_id] -= OTHER_MUNICIPALITY_PENALTY
        ordered = sorted(fused.items(), key=lambda item: -item[1])
        result.hits = [Hit(doc_id, round(score, 5), documents[doc_id], round(dense_scores.get(doc_id, 0.0), 4))
                       for doc_id, score in ordered[:k]]
        if result.hits:
            top = result.hits[0]
            agreement = sum(1 for r in rankings.values() if r[:1] == [top.doc_id]) / len(rankings)
            margin = top.score - (result.hits[1].score if len(result.hits) > 1 else 0.0)
            result.confidence = confidence_of(top.dense, agreement, margin)
        return result


class RetrieverService:
    """Holds the current retriever and swaps in a new index when `INDEX_DIR/current` changes."""

    def __init__(self, index_dir: Path, embedder: Embedder, lemmatizer: FinnishLemmatizer | None = None) -> None:
        self.index_dir = Path(index_dir)
        self.embedder = embedder
        self._lemmatizer = lemmatizer
        self._retriever: HybridRetriever | None = None
        self._lock = threading.Lock()

    def _load(self) -> HybridRetriever:
        if self._lemmatizer is None:
            from bot.retrieval.lemmatizer import shared_lemmatizer

            self._lemmatizer = shared_lemmatizer()
        return HybridRetriever(IndexArtifact.load_current(self.index_dir), self.embedder, self._lemmatizer)

    def retriever(self) -> HybridRetriever:
        current = current_build_id(self.index_dir)
        if self._retriever is None or (current and current != self._retriever.artifact.build_id):
            with self._lock:
                if self._retriever is None or (current and current != self._retriever.artifact.build_id):
                    self._retriever = self._load()
        return self._retriever

    @property
    def loaded(self) -> bool:
        return self._retriever is not None

    def search(self, query: str, municipality: str | None = None, k: int = 5) -> RetrievalResult:
        return self.retriever().search(query, municipality=municipality, k=k)
