"""Retrieval components with one interface: ``search(query, k) -> [(chunk_index, score)]``.

Each component indexes the same list of chunk texts; the hybrid retriever fuses their rankings.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from scipy.sparse import csc_matrix

from bot.retrieval.embedder import Embedder
from bot.retrieval.lemmatizer import FinnishLemmatizer
from bot.text import fold


def top_scores(scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The k best positive scores, best first, without sorting the whole collection."""
    if len(scores) > k:
        candidates = np.argpartition(-scores, k)[:k]
        order = candidates[np.argsort(-scores[candidates], kind="stable")]
    else:
        order = np.argsort(-scores, kind="stable")
    return [(int(i), float(scores[i])) for i in order if scores[i] > 0]


class ChunkRanker(Protocol):
    name: str

    def search(self, query: str, k: int, lang: str = "fi") -> list[tuple[int, float]]: ...


def make_faiss_index(vectors: np.ndarray, kind: str = "flat"):
    """Inner-product FAISS index over L2-normalised vectors (so scores are cosines).

    ``flat`` is exact and right for thousands of chunks. For a national-scale collection
    (hundreds of thousands of chunks) build with ``python -m bot.kb index --faiss hnsw`` (graph search,
    no training) or ``ivf`` (clustered; trained here on the vectors themselves).
    """
    import faiss

    dim = vectors.shape[1]
    if kind == "flat":
        index = faiss.IndexFlatIP(dim)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efSearch = 64
    elif kind == "ivf":
        lists = max(1, int(np.sqrt(len(vectors))))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, lists, faiss.METRIC_INNER_PRODUCT)
        index.train(vectors)
        index.nprobe = min(lists, 8)
    else:
        raise ValueError(f"unknown FAISS index kind '{kind}' (flat, hnsw, ivf)")
    index.add(vectors)
    return index


class DenseRanker:
    name = "dense"

    def __init__(self, embedder: Embedder, index) -> None:
        import faiss

        self.embedder = embedder
        self.index = index
        # One query is searched at a time, on the calling thread: FAISS's OpenMP threads otherwise keep
        # spinning after a search and slow the next query embedding on the same two cores (query p95 at
        # 1,000 documents 33–36 → 19 ms in bench/retrieval.py).
        faiss.omp_set_num_threads(1)

    def search(self, query: str, k: int, lang: str = "fi") -> list[tuple[int, float]]:
        vector = self.embedder.encode_queries([query])
        scores, ids = self.index.search(vector, min(k, self.index.ntotal))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]


# What a resident wants to know about a service, not which service: folded Voikko base forms.
CONTACT_LEMMAS = frozenset({"puhelinnumero", "numero", "puhelin", "yhteystieto", "aukioloaika", "aukiolo", "auki",
                            "osoite", "sijainti", "sahkoposti", "yhteys"})
CONTACT_WEIGHT = 0.25
# BM25's length normalisation, weaker than the usual 0.75: the chunks are of very different kinds (a
# three-keyword chunk, a resident's question, a 900-character section), and full normalisation let the
# short ones win on a single shared word. 0.3–0.5 gave the same gain on the dev and the held-out set.
BM25_B = 0.5


class LemmaBM25Ranker:
    """BM25 (rank-bm25's Okapi) over Voikko lemmas; only chunks with a positive score are returned.

    rank-bm25 scores a query term against every chunk in a Python loop, which grows with the
    collection (about 15 ms a query at 17,000 chunks). Its per-term weights (its own idf, k1, b and
    lengths) are therefore laid out once as a sparse chunk × term matrix, and a query reads only its
    own lemmas' columns: for one-reading words the same scores as `BM25Okapi.get_scores` (a test
    checks it), in a fraction of the time.
    """

    name = "bm25"

    def __init__(self, texts: list[str], lemmatizer: FinnishLemmatizer) -> None:
        from rank_bm25 import BM25Okapi

        self.lemmatizer = lemmatizer
        corpus = [lemmatizer.lemmas(t) or ["_"] for t in texts]
        self.bm25 = BM25Okapi(corpus, b=BM25_B)
        k1, b = self.bm25.k1, self.bm25.b
        length_norm = k1 * (1 - b + b * np.asarray(self.bm25.doc_len, dtype=float) / self.bm25.avgdl)
        self.vocabulary: dict[str, int] = {}
        rows, cols, weights = [], [], []
        for chunk, frequencies in enumerate(self.bm25.doc_freqs):
            for term, tf in frequencies.items():
                rows.append(chunk)
                cols.append(self.vocabulary.setdefault(term, len(self.vocabulary)))
                weights.append(self.bm25.idf.get(term, 0.0) * tf * (k1 + 1) / (tf + length_norm[chunk]))
        self.weights = csc_matrix((weights, (rows, cols)), shape=(len(corpus), len(self.vocabulary)))

    def scores(self, words: list[tuple[tuple[str, ...], ...]]) -> np.ndarray:
        """Every chunk's score: the sum over the query's words of each word's best reading.

        A word is a set of alternative readings (`FinnishLemmatizer.word_readings`), a reading one lemma
        or a compound's parts, whose scores add. One word, one vote: Voikko reads "tuki" also as tukea
        and tukkia, and summing all readings let an ambiguous word outvote the plain words beside it
        ("kotoutumisen tuki pakolaisperheelle" went to family services). A word repeated in the query
        counts again, as in BM25. Contact words (`CONTACT_LEMMAS`) count for `CONTACT_WEIGHT` only:
        "neuvolan puhelinnumero" asks for the maternity clinic, and a short keyword chunk about phone
        numbers must not win it.
        """
        total = np.zeros(self.weights.shape[0])
        lemmas = sorted({lemma for readings in words for reading in readings for lemma in reading
                         if lemma in self.vocabulary})
        if not lemmas:
            return total
        # Only the chunks that contain a query lemma can score: work on their rows as a small dense block.
        block = self.weights[:, [self.vocabulary[lemma] for lemma in lemmas]]
        rows = np.unique(block.indices)
        scores = block.tocsr()[rows].toarray()
        position = {lemma: i for i, lemma in enumerate(lemmas)}
        matched = np.zeros(len(rows))
        for readings in words:
            sums = [scores[:, [position[lemma] for lemma in reading if lemma in position]].sum(axis=1)
                    for reading in readings if any(lemma in position for lemma in reading)]
            if sums:
                all_lemmas = {lemma for reading in readings for lemma in reading}
                matched += (CONTACT_WEIGHT if CONTACT_LEMMAS & all_lemmas else 1.0) * np.max(sums, axis=0)
        total[rows] = matched
        return total

    def search(self, query: str, k: int, lang: str = "fi") -> list[tuple[int, float]]:
        words = self.lemmatizer.word_readings(query, suggest=lang == "fi")
        if not words:
            return []
        return top_scores(self.scores(words), k)


class CharNgramRanker:
    """TF-IDF over character 3–5-grams inside words, ä/ö folded: robust to typos and inflection.

    The matrix is kept n-gram × chunk (an inverted index), so a query reads only the rows of its
    own n-grams instead of multiplying through every chunk: about 8x faster at 17,000 chunks.
    """

    name = "char"

    def __init__(self, texts: list[str]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), preprocessor=fold,
                                          sublinear_tf=True, min_df=1)
        self.chunks_by_ngram = self.vectorizer.fit_transform(texts).T.tocsr()

    def search(self, query: str, k: int, lang: str = "fi") -> list[tuple[int, float]]:
        vector = self.vectorizer.transform([query])
        if vector.nnz == 0:
            return []
        return top_scores((vector @ self.chunks_by_ngram).toarray().ravel(), k)


def reciprocal_rank_fusion(rankings: dict[str, list[str]], k: int = 60,
                           weights: dict[str, float] | None = None) -> dict[str, float]:
    """RRF over document rankings: score(d) = Σ weight / (k + rank)."""
    fused: dict[str, float] = {}
    for name, ranking in rankings.items():
        weight = (weights or {}).get(name, 1.0)
        for rank, doc_id in enumerate(ranking, start=1):
            fused[doc_id] = fused.get(doc_id, 0.0) + weight / (k + rank)
    return fused
