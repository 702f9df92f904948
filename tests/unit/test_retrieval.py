"""Retrieval on the real index and the real e5 model (slow)."""

import pytest

from bot.retrieval.components import reciprocal_rank_fusion
from bot.settings import Settings

ANSWER_THRESHOLD = Settings().answer_threshold

pytestmark = pytest.mark.slow


def test_meaningful_mixed_script_query_is_searched_without_error(retriever):
    result = retriever.search("ｈａｍｍａｓ 牙医 зубной врач")  # "dentist" in three scripts
    assert result.hits and 0.0 <= result.confidence <= 1.0


def test_rrf_rewards_agreement():
    fused = reciprocal_rank_fusion({"a": ["x", "y"], "b": ["y", "z"]}, k=60)
    assert max(fused, key=fused.get) == "y"


@pytest.mark.parametrize("query", ["", "   ", "\x00\x01\x02", "😀😀😀", "!!!???", "a" * 10_000,
                                   "ｑｘｚｖ 乱码 кракозябры ☃", "ääää\u200b\u202e"])
def test_bad_queries_return_a_clean_low_confidence_result(retriever, query):
    result = retriever.search(query)
    assert result.confidence < ANSWER_THRESHOLD


@pytest.mark.parametrize("query,expected", [
    ("miten uusin reseptin", "reseptin-uusiminen"),
    ("sosiaalipäivystyksen numero", "sosiaalipaivystys"),
    ("omaishoidon tuki", "omaishoidon-tuki"),
])
def test_plain_questions_find_their_document_first(retriever, query, expected):
    result = retriever.search(query)
    assert result.top.doc_id == expected
    assert result.confidence >= ANSWER_THRESHOLD


def test_municipality_in_any_form_favours_its_own_document(retriever):
    for query, doc_id in (("terveysasema Kuhmossa", "terveysasema-kuhmo"), ("Suomussalmen terveysasema", "terveysasema-suomussalmi"),
                          ("terveyskeskus puolangalla", "terveysasema-puolanka")):
        assert retriever.search(query).top.doc_id == doc_id


def test_a_remembered_municipality_filters_but_does_not_take_over_the_topic(retriever):
    """After Hyrynsalmi's health station, "and the maternity clinic's number?" is about the county's neuvola."""
    follow_up = retriever.search("entäs neuvolan puhelinnumero", municipality="Hyrynsalmi")
    assert follow_up.top.doc_id == "neuvola"
    assert not [h for h in follow_up.hits if h.doc_id.startswith("terveysasema-") and h.doc_id != "terveysasema-hyrynsalmi"]


def test_an_age_in_the_message_moves_other_age_groups_pages_behind(retriever):
    """Without an age the adults' substance services come first; for a 16-year-old every page for
    another age group comes after all the others."""
    from bot.ages import is_other_age

    assert retriever.search("päihdeongelma, mistä apua").top.doc_id == "paihdepalvelut-aikuiset"
    hits = retriever.search("16-vuotiaan päihdeongelma, mistä apua", k=10).hits
    other_age = [is_other_age(h.card, {16}) for h in hits]
    assert hits[0].card.get("ages") and not other_age[0]
    assert other_age == sorted(other_age)  # no page for the age after one for another age


def test_missing_umlauts_are_restored_and_spoken_forms_left_alone():
    from bot.retrieval.lemmatizer import FinnishLemmatizer

    lemmatizer = FinnishLemmatizer()
    assert lemmatizer.restore_umlauts("paasenko laakariin") == "pääsenkö lääkäriin"
    assert lemmatizer.restore_umlauts("mun lapsel sossu") == "mun lapsel sossu"


def test_an_index_from_another_embedding_mode_is_reported(real_index_dir, caplog):
    """Query vectors from int8 against passage vectors from float32 (or back) drift apart silently otherwise."""
    from bot.retrieval.embedder import Embedder
    from bot.retrieval.index import IndexArtifact
    from bot.retrieval.lemmatizer import shared_lemmatizer
    from bot.retrieval.retriever import HybridRetriever
    from bot.settings import get_settings

    settings = get_settings()
    artifact = IndexArtifact.load_current(real_index_dir)
    with caplog.at_level("WARNING", logger="bot.retrieval.retriever"):
        HybridRetriever(artifact, Embedder.from_settings(settings), shared_lemmatizer())
        assert not caplog.records
        other_mode = Embedder(settings.embedding_model_dir, settings.torch_threads, int8=not settings.embedding_int8)
        HybridRetriever(artifact, other_mode, shared_lemmatizer())
    assert any("rebuild it with `python -m bot.kb index`" in r.getMessage() for r in caplog.records)


def test_a_passage_vector_does_not_depend_on_the_other_passages_embedded_with_it():
    """An incremental re-index embeds only changed documents; it must give the vectors a full build gives."""
    import numpy as np

    from bot.retrieval.embedder import Embedder
    from bot.settings import get_settings

    embedder = Embedder.from_settings(get_settings())
    text = "Hammashoito: hammaslääkäri, suuhygienisti ja hammastarkastus."
    alone = embedder.encode_passages([text])[0]
    with_others = embedder.encode_passages(["lyhyt", text, "pitkä teksti " * 60])[1]
    assert np.allclose(alone, with_others, atol=1e-5)


def test_a_large_batch_embedded_in_worker_processes_gives_the_same_vectors(monkeypatch):
    """A full build splits the texts between processes; an incremental one embeds here. Both must agree."""
    import numpy as np

    from bot.retrieval import embedder as embedder_module
    from bot.settings import get_settings

    embedder = embedder_module.Embedder.from_settings(get_settings())
    assert embedder.int8 and embedder.threads > 1, "the parallel path is for the int8 default on several cores"
    texts = [f"Palvelu {i}: hammashoito, neuvola ja kotihoito {'lisää ' * i}" for i in range(7)]
    here = embedder._encode(texts, "document")
    monkeypatch.setattr(embedder_module, "PARALLEL_MIN_TEXTS", 5)
    monkeypatch.setattr(embedder_module, "PARALLEL_SLICE", 2)
    encode_here = embedder_module.Embedder._encode
    calls_here = []

    def counted(self, *args):
        calls_here.append(args)
        return encode_here(self, *args)

    monkeypatch.setattr(embedder_module.Embedder, "_encode", counted)
    in_workers = embedder.encode_passages(texts)
    assert not calls_here, "the texts were embedded in this process, not in the workers"
    assert np.array_equal(here, in_workers)


def test_keywords_are_indexed_a_few_at_a_time(retriever):
    """A phrase among twenty keywords is found: the short chunk is not buried by BM25's length normalisation."""
    hybrid = retriever.retriever()
    keyword_chunks = [i for i, c in enumerate(hybrid.artifact.chunks) if c.kind == "keywords"]
    assert keyword_chunks and all(len(hybrid.artifact.chunks[i].text.split("; ")) <= 3 for i in keyword_chunks)
    bm25 = next(r for r in hybrid.rankers if r.name == "bm25")
    best, _score = bm25.search("katkaisuhoito", 1)[0]
    assert best in keyword_chunks and "katkaisuhoito" in hybrid.artifact.chunks[best].text
