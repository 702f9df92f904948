"""The sparse BM25 ranker gives rank-bm25's own scores (real Voikko, no model)."""

import numpy as np

from bot.retrieval.components import LemmaBM25Ranker
from bot.retrieval.lemmatizer import shared_lemmatizer

TEXTS = ["Hammashoito: hammaslääkäri, suuhygienisti ja hammastarkastus.",
         "Kiireellinen hammashoito, kun hammasta särkee kovasti.",
         "Omaishoidon tuki: hoitopalkkio ja omaishoitajan vapaapäivät.",
         "Neuvola seuraa lapsen kasvua ja kehitystä.",
         "",
         "Laboratorio: verikokeet ja näytteenotto ajanvarauksella laboratorioon."]


def test_scores_of_one_reading_words_equal_rank_bm25_including_repeated_and_unknown_terms():
    ranker = LemmaBM25Ranker(TEXTS, shared_lemmatizer())
    for query in ("hammaslääkärille", "hammas hammas särky", "omaishoitajan vapaapäivistä", "zzzz", "laboratorioon verikokeisiin"):
        tokens = shared_lemmatizer().lemmas(query)
        assert np.allclose(ranker.scores([((t,),) for t in tokens]), ranker.bm25.get_scores(tokens)), query


def test_a_word_scores_by_its_best_reading_and_a_compound_reading_by_its_parts_together():
    """Three readings of "tuki" must not outvote the plain word beside it."""
    lemmatizer = shared_lemmatizer()
    words = lemmatizer.word_readings("kotoutumisen tuki pakolaisperheelle")
    assert words[0] == (("kotoutua",),) and {("tuki",), ("tukea",)} <= set(words[1])
    assert set(words[2]) == {("pakolaisperhe",), ("pakolainen", "perhe")}
    ranker = LemmaBM25Ranker(TEXTS, lemmatizer)
    one = {lemma: ranker.scores([((lemma,),)]) for lemma in ("omaishoidontuki", "omainen", "hoito", "tuki", "hammas")}
    compound = [(("omaishoidontuki",), ("omainen", "hoito", "tuki"))]
    parts = one["omainen"] + one["hoito"] + one["tuki"]
    assert np.allclose(ranker.scores(compound), np.maximum(one["omaishoidontuki"], parts))
    assert np.allclose(ranker.scores(compound + [(("hammas",),)]), np.maximum(one["omaishoidontuki"], parts) + one["hammas"])
    texts = ["Perheen tuki perheelle.", "Kotoutuminen Suomeen: neuvontaa pakolaisille ja kotoutumiseen."]
    ranker = LemmaBM25Ranker(TEXTS + texts, lemmatizer)
    best, _score = ranker.search("kotoutumisen tuki", 1)[0]
    assert best == len(TEXTS) + 1  # summing the three readings of "tuki" chose the family text


def test_search_returns_only_matching_chunks_best_first():
    ranker = LemmaBM25Ranker(TEXTS, shared_lemmatizer())
    hits = ranker.search("hammaslääkäri", k=10)
    assert hits and hits[0][0] == 0 and all(score > 0 for _, score in hits)
    assert [score for _, score in hits] == sorted((score for _, score in hits), reverse=True)
    assert ranker.search("", k=10) == [] and ranker.search("xyzzy", k=10) == []


def test_spoken_words_weigh_like_their_standard_forms():
    """A colloquial question under one document must not win on "oon" and "pitäis" alone."""
    lemmas = shared_lemmatizer().lemmas("oon käyttäny kaks vuotta, pitäis lopettaa")
    assert {"olla", "kaksi", "pitaa"} <= set(lemmas)
    assert not {"oon", "kas", "pitais"} & set(lemmas)
    texts = ["oon ollu väsyny ja pitäis päästä lääkärille", "amfetamiinin käytön lopettaminen ja päihdehoito",
             "Olen ollut väsynyt. Pitää päästä lääkäriin.", "Olla, pitää ja olla taas."]
    ranker = LemmaBM25Ranker(texts, shared_lemmatizer())
    best, _score = ranker.search("oon käyttäny amfetamiinia, pitäis lopettaa", 1)[0]
    assert best == 1


def test_a_hyphen_shared_head_makes_the_implicit_compound():
    """"päihde- ja riippuvuuspalvelut" also means "päihdepalvelut", which is what residents type."""
    lemmatizer = shared_lemmatizer()
    assert "paihdepalvelu" in lemmatizer.lemmas("Aikuisten päihde- ja riippuvuuspalvelut")
    assert {"sosiaalitoimi", "terveystoimi"} <= set(lemmatizer.lemmas("sosiaali-, terveys- tai pelastustoimeen"))
    assert lemmatizer.shared_head_compounds("hammas- ja suuhygienistit") == ["hammashygienisti"]
    assert lemmatizer.shared_head_compounds("lasten- ja nuorten") == []  # no compound after the conjunction
    assert lemmatizer.shared_head_compounds("alku-ja loppu") == []
    texts = TEXTS + ["Nuorten mielenterveys- ja päihdepalvelut", "Aikuisten päihde- ja riippuvuuspalvelut"]
    ranker = LemmaBM25Ranker(texts, lemmatizer)
    assert ranker.scores([(("paihdepalvelu",),)])[len(TEXTS) + 1] > 0  # the adults' page matches the whole word


def test_contact_words_weigh_less_than_the_service_they_are_about():
    texts = TEXTS + ["puhelinnumerot; mistä löydän puhelinnumeron; aukioloajat"]
    ranker = LemmaBM25Ranker(texts, shared_lemmatizer())
    best, _score = ranker.search("neuvolan puhelinnumero", 1)[0]
    assert texts[best].startswith("Neuvola")


def test_a_compound_misreading_of_a_simple_word_adds_no_parts():
    """Voikko also reads "kuuluu" (belongs) as kuu + luu (moon + bone) and "neuvolasta" as neuvo + lasta;
    real compounds keep their parts, also when Voikko knows them as a proper name too."""
    lemmatizer = shared_lemmatizer()
    assert not {"kuu", "luu"} & set(lemmatizer.lemmas("kuuluu"))
    assert "kuulua" in lemmatizer.lemmas("kuuluu")
    assert not {"lasta", "lapsi"} & set(lemmatizer.lemmas("neuvolasta"))
    assert {"terveysasema", "asema"} <= set(lemmatizer.lemmas("terveysasemalle"))
    assert {"hatakeskus", "hata", "keskus"} <= set(lemmatizer.lemmas("hätäkeskukseen"))

