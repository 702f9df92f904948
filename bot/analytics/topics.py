"""Topics of unresolved questions: e5 embeddings, k-means, and labels from characteristic lemmas.

Why this way: e5 puts "missä voi pysäköidä" and "parkkipaikka sairaalalla" close together without
any word in common; k-means on unit vectors is the standard, fast choice and k is picked by the
silhouette score on a sample, so the number of topics follows the data. Labels are the lemmas most
characteristic of a cluster against the others (class-based TF-IDF over Voikko lemmas), so a
cluster about dentist queues reads "hammaslääkäri, jono" rather than its most frequent words.
Vectors are cached per event (deleted with the event), so a weekly run embeds only new turns.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import time
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

import numpy as np
from sqlalchemy import Engine, delete, func, insert, select

from bot.analytics.queries import Filters, conditions
from bot.db.tables import event_embeddings, event_topics, events, topic_runs, topics as topics_table
from bot.municipalities import municipality_of_word
from bot.service_hours import HELSINKI
from bot.text import fold, words

log = logging.getLogger(__name__)

MAX_TEXTS = 20_000       # newest unresolved texts per run: bounds the time of a run
KEEP_RUNS = 10           # older runs (and their event links) are deleted
LABEL_LEMMAS = 3
MIN_LABEL_SHARE = 0.2    # a label lemma occurs in at least this share of the texts its best lemma occurs in
SILHOUETTE_SAMPLE = 2000
# Folded Finnish function words and chat filler (lemmas and common surface forms) that never
# characterise a topic.
STOP_LEMMAS = frozenset(fold(w) for w in """
    olla ei en et eivät voida saada pitää tulla mennä tehdä haluta tarvita kysyä kysyisin tietää
    minä sinä hän me te he se ne tämä tuo joka mikä kuka missä mihin mistä milloin miten miksi kuinka
    paljonko mitä montako onko voiko saako saisinko ja tai mutta kun jos että vai niin myös vain jo
    nyt vielä sitten hei moi terve kiitos kiittää anteeksi apu auttaa päivä hyvä pikaisesti etukäteen
    asukas mahdollinen kanssa yli alle jälkeen ennen osa tieto t voi tee kertoa
    jag du är och att det som hur var kan the a an is to for of and i my can how where what do
""".split())
REDACTION_TAGS = frozenset({"hetu", "puhelin", "sahkoposti", "iban", "osoite", "nimi"})
_PUNCTUATION = re.compile(r"[^\w\s\[\]-]")


def model_name(embedder) -> str:
    stamp = hashlib.sha1(embedder.stamp.encode()).hexdigest()[:12]
    return f"{embedder.model_dir.name}:{stamp}"


def _texts_to_cluster(engine: Engine, filters: Filters | None) -> list[tuple[int, str, str | None]]:
    query = (select(events.c.id, events.c.text_redacted, events.c.lang)
             .where(events.c.unresolved == 1, events.c.text_redacted.is_not(None), *conditions(filters))
             .order_by(events.c.ts.desc()).limit(MAX_TEXTS))
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [(event_id, " ".join(text.split()), lang) for event_id, text, lang in rows
            if text.strip() and not text.startswith("/")]


def embedding_key(text: str) -> str:
    """What is embedded: case and punctuation do not change a topic, and equal keys are embedded once."""
    return " ".join(_PUNCTUATION.sub(" ", text.lower()).split())


def _vectors(engine: Engine, embedder, items: list[tuple[int, str, str | None]]) -> np.ndarray:
    """One e5 vector per item: cached ones from the database, the rest embedded once per distinct text."""
    model = model_name(embedder)
    ids = [event_id for event_id, _, _ in items]
    cached: dict[int, np.ndarray] = {}
    with engine.connect() as connection:
        for first in range(0, len(ids), 5000):
            query = select(event_embeddings.c.event_id, event_embeddings.c.vector).where(
                event_embeddings.c.model == model, event_embeddings.c.event_id.in_(ids[first:first + 5000]))
            for event_id, blob in connection.execute(query):
                cached[event_id] = np.frombuffer(blob, dtype=np.float32)
    missing_texts = list(dict.fromkeys(embedding_key(text) for event_id, text, _ in items if event_id not in cached))
    encoded = dict(zip(missing_texts, embedder.encode_queries(missing_texts))) if missing_texts else {}
    fresh = [{"event_id": event_id, "model": model, "vector": encoded[embedding_key(text)].astype(np.float32).tobytes()}
             for event_id, text, _ in items if event_id not in cached]
    if fresh:
        with engine.begin() as connection:
            connection.execute(insert(event_embeddings), fresh)
    log.info("topics: %d texts, %d vectors cached, %d distinct texts embedded", len(items), len(cached),
             len(missing_texts))
    return np.vstack([cached[event_id] if event_id in cached else encoded[embedding_key(text)]
                      for event_id, text, _ in items]).astype(np.float32)


def choose_k(vectors: np.ndarray, weights: np.ndarray, seed: int = 0) -> int:
    """The k (2…40) with the best silhouette on a sample; tiny sets get one or two clusters."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    distinct = len(vectors)
    if distinct < 6:
        return max(1, min(distinct, 2) if distinct >= 4 else 1)
    k_max = max(2, min(40, distinct // 5))
    candidates = sorted({int(round(k)) for k in np.geomspace(2, k_max, num=min(8, k_max - 1))})
    rng = np.random.default_rng(seed)
    sample = rng.choice(distinct, size=min(SILHOUETTE_SAMPLE, distinct), replace=False,
                        p=weights / weights.sum()) if distinct > SILHOUETTE_SAMPLE else np.arange(distinct)
    best_k, best_score = candidates[0], -1.0
    for k in candidates:
        labels = KMeans(n_clusters=k, n_init=2, random_state=seed).fit(vectors, sample_weight=weights).labels_
        if len(set(labels[sample])) < 2:
            continue
        score = silhouette_score(vectors[sample], labels[sample], metric="cosine")
        if score > best_score:
            best_k, best_score = k, score
    return best_k


def cluster(vectors: np.ndarray, seed: int = 0) -> np.ndarray:
    """A cluster number per row; identical vectors (identical texts) are clustered once, weighted."""
    from sklearn.cluster import KMeans

    if len(vectors) == 0:
        return np.zeros(0, dtype=int)
    distinct, inverse, counts = np.unique(vectors.round(5), axis=0, return_inverse=True, return_counts=True)
    weights = counts.astype(np.float64)
    k = choose_k(distinct, weights, seed)
    if k == 1:
        return np.zeros(len(vectors), dtype=int)
    labels = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(distinct, sample_weight=weights).labels_
    return labels[inverse.reshape(-1)]


def _common_prefix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def word_lemmas(lemmatizer, word: str, suggest: bool) -> set[str]:
    """One reading of the word: of Voikko's base forms the one closest to the word ("milloin", not
    "milla"; "takaisin" → "takainen", not "taata"), plus the compound parts it contains."""
    folded = fold(word)
    candidates = [lemma for lemma in lemmatizer.lemmas(word, suggest=suggest) if lemma.isalpha()]
    if not candidates:
        return set()
    base = max(candidates, key=lambda lemma: (_common_prefix(lemma, folded), -len(lemma)))
    return {base} | {lemma for lemma in candidates if lemma != base and lemma in base}


def _lemma_sets(lemmatizer, items: list[tuple[int, str, str | None]]) -> tuple[list[set[str]], dict[str, Counter]]:
    """Content lemmas of each text, and for each folded lemma the surface words it came from.

    No spelling suggestions: they are slow in Voikko and their guesses ("botin" → "otin") make worse
    labels than the typos, which are too rare in a cluster to label it anyway.
    """
    surfaces: dict[str, Counter] = defaultdict(Counter)
    sets = []
    for _, text, _ in items:
        lemmas: set[str] = set()
        for word in words(text):
            lower = word.lower()
            if municipality_of_word(word) or fold(word) in REDACTION_TAGS or fold(word) in STOP_LEMMAS:
                continue  # the list has surface forms too ("pikaisesti", whose lemma is "pikainen")
            for lemma in word_lemmas(lemmatizer, lower, suggest=False):
                if len(lemma) >= 3 and lemma not in STOP_LEMMAS and lemma not in REDACTION_TAGS:
                    lemmas.add(lemma)
                    surfaces[lemma][lower] += 1
        sets.append(lemmas)
    return sets, surfaces


def _display(lemma: str, surfaces: Counter) -> str:
    """The lemma with its ä and ö back, taken from a word that contains it ("hammaslääkärille")."""
    for word, _ in surfaces.most_common():
        at = fold(word).find(lemma)  # folding keeps the length, so positions carry over
        if at >= 0:
            return word[at:at + len(lemma)]
    return lemma


def characteristic_lemmas(lemma_sets: list[set[str]], labels: np.ndarray, top: int = 8) -> dict[int, list[str]]:
    """Class-based TF-IDF: frequent in this cluster, rare in the others. A compound is preferred to its
    part when it is nearly as common ("hammaslaakari" over "hammas"), parts of a chosen lemma are
    skipped, and lemmas much rarer in the cluster than its commonest one are left out."""
    per_class: dict[int, Counter] = defaultdict(Counter)
    for lemmas, label in zip(lemma_sets, labels):
        per_class[int(label)].update(lemmas)
    overall: Counter = Counter()
    for counts in per_class.values():
        overall.update(counts)
    average = sum(overall.values()) / max(len(per_class), 1)
    out: dict[int, list[str]] = {}
    for label, counts in per_class.items():
        size = sum(counts.values()) or 1
        scored = sorted(counts, key=lambda t: (-(counts[t] / size) * math.log(1 + average / overall[t]), t))
        common = max(counts.values(), default=0) * MIN_LABEL_SHARE
        chosen: list[str] = []
        for lemma in scored:
            if len(chosen) >= 1 and (counts[lemma] < 2 or counts[lemma] < common):
                continue  # too rare in the cluster to describe it (often a typo)
            compounds = [t for t in counts if lemma in t and t != lemma and counts[t] >= 0.6 * counts[lemma]]
            if compounds:
                lemma = max(compounds, key=lambda t: (counts[t], len(t)))
            if any(lemma in other or other in lemma for other in chosen):
                continue
            chosen.append(lemma)
            if len(chosen) == top:
                break
        out[label] = chosen
    return out


def run_topics(engine: Engine, embedder, lemmatizer, filters: Filters | None = None, seed: int = 0) -> list[dict]:
    """Cluster the unresolved texts matching `filters`, store the run, return its topics (see topics())."""
    started = time.perf_counter()
    items = _texts_to_cluster(engine, filters)
    vectors = _vectors(engine, embedder, items) if items else np.zeros((0, 384), dtype=np.float32)
    labels = cluster(vectors, seed)
    lemma_sets, surfaces = _lemma_sets(lemmatizer, items)
    lemmas = characteristic_lemmas(lemma_sets, labels)
    members: dict[int, list[int]] = defaultdict(list)
    for (event_id, _, _), label in zip(items, labels):
        members[int(label)].append(event_id)
    with engine.begin() as connection:
        run_id = connection.execute(insert(topic_runs).values(
            ts=time.time(), texts=len(items), filters=(filters or Filters()).to_json(),
            model=model_name(embedder))).inserted_primary_key[0]
        for label, event_ids in sorted(members.items(), key=lambda kv: -len(kv[1])):
            shown = [_display(lemma, surfaces[lemma]) for lemma in lemmas.get(label, [])]
            topic_id = connection.execute(insert(topics_table).values(
                run_id=run_id, label=", ".join(shown[:LABEL_LEMMAS]) or "(ei tunnistettavia sanoja)",
                lemmas=json.dumps(shown, ensure_ascii=False), size=len(event_ids))).inserted_primary_key[0]
            connection.execute(insert(event_topics), [{"event_id": e, "topic_id": topic_id} for e in event_ids])
        _forget_old_runs(connection, run_id)
    log.info("topics: run %d, %d texts in %d topics, %.1f s", run_id, len(items), len(members),
             time.perf_counter() - started)
    return topics(engine)


def _forget_old_runs(connection, newest: int) -> None:
    old = select(topic_runs.c.id).where(topic_runs.c.id <= newest - KEEP_RUNS)
    old_topics = select(topics_table.c.id).where(topics_table.c.run_id.in_(old))
    connection.execute(delete(event_topics).where(event_topics.c.topic_id.in_(old_topics)))
    connection.execute(delete(topics_table).where(topics_table.c.run_id.in_(old)))
    connection.execute(delete(topic_runs).where(topic_runs.c.id.in_(old)))


def topics(engine: Engine, today: date | None = None) -> list[dict]:
    """The latest run's topics, biggest first, each with its size and trend.

    `last_7_days` and `previous_7_days` count the topic's turns in the week before the run (or
    `today`) and the week before that; `trend` is their relative change; `weekly` is the count per
    week (Monday) over the whole run, for a sparkline; `examples` are recent texts.
    """
    with engine.connect() as connection:
        run = connection.execute(select(topic_runs).order_by(topic_runs.c.id.desc()).limit(1)).first()
        if run is None:
            return []
        end = datetime.combine((today or datetime.fromtimestamp(run.ts, HELSINKI).date()) + timedelta(days=1),
                               datetime.min.time(), HELSINKI).timestamp()
        week_ago, two_weeks_ago = end - 7 * 86400, end - 14 * 86400
        rows = connection.execute(select(topics_table).where(topics_table.c.run_id == run.id)
                                  .order_by(topics_table.c.size.desc(), topics_table.c.id)).all()
        weekly: dict[int, list[dict]] = defaultdict(list)
        for topic_id, week, count in connection.execute(
                select(event_topics.c.topic_id, events.c.week, func.count())
                .join(events, events.c.id == event_topics.c.event_id)
                .where(event_topics.c.topic_id.in_([r.id for r in rows]))
                .group_by(event_topics.c.topic_id, events.c.week).order_by(events.c.week)):
            weekly[topic_id].append({"week": week, "count": count})
        recent = dict.fromkeys([r.id for r in rows], (0, 0))
        for topic_id, last, previous in connection.execute(
                select(event_topics.c.topic_id,
                       func.sum(_between(events.c.ts, week_ago, end)), func.sum(_between(events.c.ts, two_weeks_ago, week_ago)))
                .join(events, events.c.id == event_topics.c.event_id)
                .where(event_topics.c.topic_id.in_([r.id for r in rows]), events.c.ts >= two_weeks_ago)
                .group_by(event_topics.c.topic_id)):
            recent[topic_id] = (last or 0, previous or 0)
        out = []
        for row in rows:
            examples = [text for (text,) in connection.execute(
                select(events.c.text_redacted).join(event_topics, event_topics.c.event_id == events.c.id)
                .where(event_topics.c.topic_id == row.id).order_by(events.c.id.desc()).limit(20))]
            last, previous = recent[row.id]
            out.append({"id": row.id, "run_id": run.id, "label": row.label, "lemmas": json.loads(row.lemmas),
                        "size": row.size, "last_7_days": last, "previous_7_days": previous,
                        "trend": round((last - previous) / previous, 3) if previous else None,
                        "weekly": weekly.get(row.id, []), "examples": list(dict.fromkeys(examples))[:3]})
    return out


def _between(column, low: float, high: float):
    from sqlalchemy import case

    return case(((column >= low) & (column < high), 1), else_=0)
