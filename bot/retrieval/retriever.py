"""The hybrid retriever: fuses dense, lemma-BM25 and character n-gram rankings per document."""

from __future__ import annotations

import logging
import math
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from bot.ages import ages_in, is_other_age
from bot.lang import detect_language
from bot.municipalities import find_municipality, is_elsewhere, places_of, without_municipalities
from bot.retrieval.confidence import ConfidenceModel, RetrievalSignals
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

log = logging.getLogger(__name__)
# Chunks each ranker returns. Documents have many chunks (sections, keywords, resident questions),
# so this must reach well past the first few documents or the fusion sees only partial rankings.
CANDIDATES_PER_RANKER = 400
# A document's score in one ranker: its best chunk plus decaying shares of the next ones, so a
# document that matches in several places beats one with a single lucky chunk.
CHUNK_WEIGHTS = (1.0, 0.5, 0.25)
MAX_QUERY_CHARS = 1000
RRF_K = 60
MUNICIPALITY_BONUS = 0.004          # favours the pages of the municipality the message names
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
    signals: RetrievalSignals | None = None

    @property
    def top(self) -> Hit | None:
        return self.hits[0] if self.hits else None


def without_english_function_words(text: str) -> str:
    """"where do I find a dentist" → "dentist" for the lexical rankers.

    The English keyword lists share "where", "do", "find" with many documents, so in word and
    character matching they outvote the one content word; the dense model reads the whole sentence.
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    content = [w for w in re.findall(r"[\w'-]+", text) if w.lower() not in ENGLISH_STOP_WORDS]
    return " ".join(content) or text


class HybridRetriever:
    def __init__(self, artifact: IndexArtifact, embedder: Embedder, lemmatizer: FinnishLemmatizer,
                 confidence_model: ConfidenceModel | None = None) -> None:
        self.artifact = artifact
        self.confidence_model = confidence_model or ConfidenceModel.load()
        if artifact.stamp.get("model") not in (None, embedder.stamp):
            log.warning("the retrieval index was embedded by another model or mode (%s) than the one that embeds "
                        "queries (%s): rebuild it with `python -m bot.kb index`", artifact.stamp.get("model"),
                        embedder.stamp)
        if not self.confidence_model.fits(artifact.stamp):
            log.warning("the retrieval confidence model was fitted on an index of another embedding model or "
                        "chunker (%s, now %s): its confidences drift; refit with `python -m bot.evaluate calibrate`",
                        self.confidence_model.index_stamp, artifact.stamp)
        texts = [c.text for c in artifact.chunks]
        self.dense = DenseRanker(embedder, artifact.faiss_index)
        self.lemmatizer = lemmatizer
        self.rankers: list[ChunkRanker] = [self.dense, LemmaBM25Ranker(texts, lemmatizer), CharNgramRanker(texts)]

    def _doc_ranking(self, ranker: ChunkRanker, query: str, lang: str, municipality: str | None,
                     ages: set[int]) -> tuple[list[str], dict[str, float]]:
        """Documents in the ranker's order by their aggregated chunk scores (`CHUNK_WEIGHTS`).

        With a known municipality, documents specific to another municipality move behind all the
        others: "Kuhmon terkkari" must put Kuhmo's health station first in every ranker, not let
        seven near-identical health stations of other towns take the first places. Likewise, when
        the message states an age, documents for another age group move behind the rest: school
        health care is no answer for a 2-year-old, adults' substance services none for a 16-year-old.
        """
        chunk_scores: dict[str, list[float]] = {}
        for chunk_index, score in ranker.search(query, CANDIDATES_PER_RANKER, lang=lang):
            chunk_scores.setdefault(self.artifact.chunks[chunk_index].doc_id, []).append(score)
        best = {doc_id: scores[0] for doc_id, scores in chunk_scores.items()}
        aggregated = {doc_id: sum(w * s for w, s in zip(CHUNK_WEIGHTS, scores))
                      for doc_id, scores in chunk_scores.items()}  # rankers return chunks best first
        documents = self.artifact.documents
        ranking = sorted(aggregated, key=lambda doc_id: (is_elsewhere(documents[doc_id], municipality),
                                                         is_other_age(documents[doc_id], ages),
                                                         -aggregated[doc_id]))
        return ranking, best

    def search(self, query: str, municipality: str | None = None, k: int = 5) -> RetrievalResult:
        text = clean(query)[:MAX_QUERY_CHARS]
        named = find_municipality(text)
        ages = ages_in(text)
        municipality = municipality or named
        result = RetrievalResult(query=text, municipality=municipality, build_id=self.artifact.build_id)
        if not any(ch.isalnum() for ch in text) or not self.artifact.chunks:
            return result
        topic = without_municipalities(text) if municipality else text
        if not any(ch.isalnum() for ch in topic):  # the query was only a place name
            topic = text
        lang = detect_language(topic)
        if lang == "fi":
            topic = self.lemmatizer.restore_umlauts(topic)
        lexical_topic = without_english_function_words(topic) if lang == "en" else topic
        rankings: dict[str, list[str]] = {}
        best_chunk: dict[str, dict[str, float]] = {}
        for ranker in self.rankers:
            query = topic if ranker is self.dense else lexical_topic
            rankings[ranker.name], best_chunk[ranker.name] = self._doc_ranking(ranker, query, lang, municipality, ages)
        dense_scores = best_chunk[self.dense.name]
        fused = reciprocal_rank_fusion(rankings, k=RRF_K, weights=RANKER_WEIGHTS["fi" if lang == "fi" else "other"])
        documents = self.artifact.documents
        if municipality and municipality == named:
            # Only a place named in this message favours its pages; one remembered from an earlier turn
            # ("entäs neuvolan puhelinnumero" after Hyrynsalmi's health station) still keeps other towns'
            # pages behind, but the question's topic may be county-wide.
            for doc_id in fused:
                if municipality in places_of(documents[doc_id]):
                    fused[doc_id] += MUNICIPALITY_BONUS
        ordered = sorted(fused.items(), key=lambda item: -item[1])
        result.hits = [Hit(doc_id, round(score, 5), documents[doc_id], round(dense_scores.get(doc_id, 0.0), 4))
                       for doc_id, score in ordered[:k]]
        if result.hits:
            result.signals = self._signals(result.hits[0], rankings, best_chunk)
            result.confidence = self.confidence_model.confidence(result.signals)
        return result

    @staticmethod
    def _signals(top: Hit, rankings: dict[str, list[str]], best_chunk: dict[str, dict[str, float]]) -> RetrievalSignals:
        dense = sorted(best_chunk["dense"].values(), reverse=True) + [0.0, 0.0]
        return RetrievalSignals(
            dense_top=top.dense,
            dense_margin=round(dense[0] - dense[1], 4),
            agreement=round(sum(1 for r in rankings.values() if r[:1] == [top.doc_id]) / len(rankings), 4),
            lexical_top=round(math.log1p(max(best_chunk["bm25"].values(), default=0.0)), 4),
            char_top=round(max(best_chunk["char"].values(), default=0.0), 4))


class RetrieverService:
    """Holds the current retriever and swaps in a new index when `INDEX_DIR/current` changes.

    Searches never wait for a new index: the old retriever answers until the new one is fully
    loaded and then replaces it in one reference assignment. A change is noticed on the next
    search, by a watcher thread every few seconds, at once through Redis (bot.retrieval.notify),
    and by an explicit reload() from the editor's re-indexing in this instance.
    """

    def __init__(self, index_dir: Path, embedder: Embedder, lemmatizer: FinnishLemmatizer | None = None,
                 redis_url: str | None = None) -> None:
        self.index_dir = Path(index_dir)
        self.embedder = embedder
        self._lemmatizer = lemmatizer
        self._retriever: HybridRetriever | None = None
        self._lock = threading.Lock()          # the first load
        self._reload_lock = threading.Lock()   # one swap at a time
        self._redis_url = redis_url
        self._watching = False
        self._failed_build: str | None = None

    def _load(self) -> HybridRetriever:
        if self._lemmatizer is None:
            from bot.retrieval.lemmatizer import shared_lemmatizer

            self._lemmatizer = shared_lemmatizer()
        return HybridRetriever(IndexArtifact.load_current(self.index_dir), self.embedder, self._lemmatizer)

    def retriever(self) -> HybridRetriever:
        if self._retriever is None:
            with self._lock:
                if self._retriever is None:
                    self._retriever = self._load()
                    self._start_watching()
            return self._retriever
        current = current_build_id(self.index_dir)
        if current and current != self._retriever.artifact.build_id and current != self._failed_build \
                and not self._reload_lock.locked():
            threading.Thread(target=self._refresh_logged, name="index-reload", daemon=True).start()
        return self._retriever

    def reload(self) -> str | None:
        """Load the build `current` names now (if it is not the one served) and swap it in; its id."""
        with self._reload_lock:
            current = current_build_id(self.index_dir)
            if current is None:
                return None
            if self._retriever is not None and self._retriever.artifact.build_id == current:
                return current
            try:
                fresh = self._load()
            except Exception:
                self._failed_build = current
                raise
            self._retriever = fresh
            self._failed_build = None
            return fresh.artifact.build_id

    def refresh(self) -> None:
        """Swap in a newer index if one is current; nothing to do before the first load."""
        if self._retriever is not None:
            current = current_build_id(self.index_dir)
            if current and current not in (self._retriever.artifact.build_id, self._failed_build):
                self.reload()

    def _refresh_logged(self) -> None:
        try:
            self.refresh()
        except Exception:  # the old index keeps answering; /health still names the new build
            log.exception("loading the new retrieval index failed")

    def _start_watching(self) -> None:
        if not self._watching:
            from bot.retrieval import notify

            self._watching = True
            notify.watch(self, self._redis_url)

    @property
    def loaded(self) -> bool:
        return self._retriever is not None

    @property
    def build_id(self) -> str | None:
        return self._retriever.artifact.build_id if self._retriever is not None else None

    def search(self, query: str, municipality: str | None = None, k: int = 5) -> RetrievalResult:
        return self.retriever().search(query, municipality=municipality, k=k)
