"""Topics of unresolved questions: clearly different questions end in different clusters with
labels a person recognises; trends and the vector cache behave."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from bot.analytics.queries import Filters, unresolved
from bot.analytics.store import EventLog, TurnEvent
from bot.analytics.topics import characteristic_lemmas, cluster, embedding_key, run_topics, topics
from bot.db.tables import event_embeddings, topic_runs
from bot.retrieval.lemmatizer import shared_lemmatizer
from bot.service_hours import HELSINKI

PARKING = ["missä voi pysäköidä keskussairaalan luona", "maksaako parkkipaikka sairaalalla",
           "pysäköinti sairaalan pihalla", "mihin auton voi jättää sairaalakäynnin ajaksi",
           "onko sairaalalla ilmaista pysäköintiä", "parkkihallin hinta keskussairaalassa",
           "pysäköintilupa sairaalan parkkipaikalle", "saako sairaalan pihaan pysäköidä"]
DENTIST = ["miksi hammaslääkäriin on niin pitkä jono", "hammaslääkärijono kestää kuukausia",
           "en saa hammaslääkäriaikaa mistään", "kuinka kauan hammaslääkäriin joutuu jonottamaan",
           "hammashoitoon pääsy on liian hidas", "jono hammaslääkärille Kajaanissa",
           "milloin pääsen hammaslääkäriin jonosta", "hammaslääkärin jonotusaika"]


class KeywordEmbedder:
    """A stand-in for e5 in fast tests: one direction per theme, found by a keyword."""

    model_dir = Path("keyword-embedder")
    stamp = "keyword-embedder v1"

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        self.encoded.extend(texts)
        rng = np.random.default_rng(len(self.encoded))
        vectors = []
        for text in texts:
            vector = np.zeros(384, dtype=np.float32)
            vector[0 if ("pysäk" in text or "park" in text or "auto" in text) else 1] = 1.0
            vector += rng.normal(0, 0.02, 384).astype(np.float32)
            vectors.append(vector / np.linalg.norm(vector))
        return np.array(vectors)


def fill(log: EventLog, texts: list[str], ts: float | None = None) -> None:
    for text in texts:
        log.record(TurnEvent(conversation="c", decision="fallback", reason="no_match", text_redacted=text,
                             **({"ts": ts} if ts else {})))
    assert log.flush()


@pytest.fixture
def log(tmp_path) -> EventLog:
    return EventLog(f"sqlite:///{tmp_path / 'app.sqlite3'}")


def groups_of(found: list[dict], log: EventLog) -> dict[str, set[int]]:
    rows, _ = unresolved(log.engine, Filters(), limit=1000)
    by_text = {row["text_redacted"]: row["topic_id"] for row in rows}
    return {"parking": {by_text[t] for t in PARKING}, "dentist": {by_text[t] for t in DENTIST}}


def test_two_themes_become_two_labelled_topics(log):
    fill(log, PARKING + DENTIST)
    found = run_topics(log.engine, KeywordEmbedder(), shared_lemmatizer())
    groups = groups_of(found, log)
    assert len(groups["parking"]) == 1 and len(groups["dentist"]) == 1 and groups["parking"] != groups["dentist"]
    labels = {t["id"]: t["label"] for t in found}
    (dentist,), (parking,) = groups["dentist"], groups["parking"]
    assert "hammaslääkäri" in labels[dentist]
    assert "pysäköi" in labels[parking] or "parkkipaikka" in labels[parking]
    assert sorted(t["size"] for t in found) == [8, 8]


def test_vectors_are_cached_so_a_new_run_embeds_only_new_turns(log):
    embedder = KeywordEmbedder()
    fill(log, PARKING)
    run_topics(log.engine, embedder, shared_lemmatizer())
    fill(log, DENTIST[:2])
    embedder.encoded.clear()
    run_topics(log.engine, embedder, shared_lemmatizer())
    assert sorted(embedder.encoded) == sorted(embedding_key(t) for t in DENTIST[:2])
    with log.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(event_embeddings)).scalar() == 10
        assert connection.execute(select(func.count()).select_from(topic_runs)).scalar() == 2
    log.delete_conversation("c")  # erasure takes the vectors with it
    assert log.flush()
    with log.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(event_embeddings)).scalar() == 0


def test_trend_compares_the_last_seven_days_with_the_seven_before(log):
    today = date(2025, 3, 14)

    def noon(day: date) -> float:
        return datetime(day.year, day.month, day.day, 12, tzinfo=HELSINKI).timestamp()

    fill(log, PARKING[:2], ts=noon(today - timedelta(days=10)))
    fill(log, PARKING[2:8], ts=noon(today - timedelta(days=2)))
    fill(log, DENTIST[:4], ts=noon(today - timedelta(days=9)))
    fill(log, DENTIST[4:6], ts=noon(today - timedelta(days=1)))
    run_topics(log.engine, KeywordEmbedder(), shared_lemmatizer())
    found = {("parking" if set(t["examples"]) & set(PARKING) else "dentist"): t for t in topics(log.engine, today=today)}
    assert (found["parking"]["last_7_days"], found["parking"]["previous_7_days"], found["parking"]["trend"]) == \
        (6, 2, 2.0)
    assert (found["dentist"]["last_7_days"], found["dentist"]["previous_7_days"], found["dentist"]["trend"]) == \
        (2, 4, -0.5)
    assert sum(week["count"] for week in found["parking"]["weekly"]) == 8


def test_nothing_to_cluster_stores_an_empty_run(log):
    assert run_topics(log.engine, KeywordEmbedder(), shared_lemmatizer()) == []
    assert topics(log.engine) == []


def test_identical_texts_land_in_the_same_cluster():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(3, 16)).astype(np.float32)
    vectors = np.vstack([base[i % 3] + rng.normal(0, 0.01, 16) for i in range(60)] + [base[0]] * 5).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    labels = cluster(vectors)
    assert len(set(labels[-5:])) == 1
    assert len(set(labels)) == 3


def test_characteristic_lemmas_prefer_what_sets_a_cluster_apart():
    lemma_sets = [{"hammaslaakari", "hammas", "laakari", "jono"}] * 4 + [{"sairaala", "pysakointi", "laakari"}] * 4
    labels = np.array([0] * 4 + [1] * 4)
    lemmas = characteristic_lemmas(lemma_sets, labels)
    assert lemmas[0][:2] == ["hammaslaakari", "jono"]
    assert "laakari" not in lemmas[1][:2]  # in both clusters: not characteristic


@pytest.mark.slow
def test_real_e5_separates_parking_from_dentist_queues(log):
    from bot.retrieval.embedder import Embedder
    from bot.settings import get_settings

    settings = get_settings()
    fill(log, PARKING + DENTIST)
    found = run_topics(log.engine, Embedder.from_settings(settings), shared_lemmatizer())
    groups = groups_of(found, log)
    assert len(groups["parking"]) == 1 and len(groups["dentist"]) == 1 and groups["parking"] != groups["dentist"]
    lemmas = {t["id"]: t["lemmas"] for t in found}
    (dentist,), (parking,) = groups["dentist"], groups["parking"]
    assert "hammaslääkäri" in lemmas[dentist][:3]
    assert {"pysäköidä", "pysäköinti", "parkkipaikka"} & set(lemmas[parking][:3])


def test_each_word_gets_its_closest_reading_and_its_compound_parts():
    from bot.analytics.topics import word_lemmas

    lemmatizer = shared_lemmatizer()
    assert word_lemmas(lemmatizer, "milloin", suggest=False) == {"milloin"}  # not "milla"
    assert word_lemmas(lemmatizer, "takaisin", suggest=False) == {"takainen"}  # not "taata"
    assert word_lemmas(lemmatizer, "hammaslääkärijono", suggest=False) >= {"hammaslaakarijono", "jono"}
