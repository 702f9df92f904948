"""Deciding between answer, clarify and fallback (own logic; retrieval results are built by hand)."""

from bot.content import ApprovedTexts
from bot.dialogue import reply_to_service_question
from bot.retrieval.retriever import Hit, RetrievalResult
from bot.settings import PROJECT_ROOT

TEXTS = ApprovedTexts.load(PROJECT_ROOT / "knowledge")


def hit(doc_id: str, municipalities=()) -> Hit:
    return Hit(doc_id, 0.03, {"id": doc_id, "title": doc_id.title(), "url": "https://example.fi/",
                              "summary": "s", "municipalities": list(municipalities)})


def reply(result: RetrievalResult, failed: int = 0):
    return reply_to_service_question(result, TEXTS, "fi", failed, answer_threshold=0.55, clarify_threshold=0.35)


def test_confident_match_is_answered_with_card_and_found_it_question():
    out = reply(RetrievalResult("q", [hit("hammashoito"), hit("neuvola")], confidence=0.8))
    assert out.decision == "answer" and out.sources[0]["id"] == "hammashoito"
    assert out.messages[0]["custom"]["kind"] == "card"
    assert [b["payload"] for b in out.messages[1]["buttons"]] == ["/feedback_positive", "/feedback_negative"]


def test_unsure_match_offers_candidates_then_falls_back_on_second_failure():
    result = RetrievalResult("q", [hit("a"), hit("b"), hit("c")], confidence=0.4)
    first = reply(result)
    assert first.decision == "clarify" and len(first.messages[0]["buttons"]) == 3
    assert first.failed_attempts == 1
    second = reply(result, failed=1)
    assert second.decision == "fallback" and second.messages[0]["buttons"][0]["payload"] == "/ask_human"


def test_no_candidates_asks_to_rephrase():
    out = reply(RetrievalResult("q", [], confidence=0.0))
    assert out.decision == "clarify" and out.reason == "no_match" and "buttons" not in out.messages[0]


def test_municipal_page_without_municipality_asks_which_municipality_even_when_confident():
    hits = [hit("terveysasema-kajaani", ["Kajaani"]), hit("terveysasema-kuhmo", ["Kuhmo"]), hit("neuvola")]
    out = reply(RetrievalResult("terveysasema", hits, confidence=0.9))
    assert out.decision == "clarify" and out.reason == "municipality_unknown"
    assert [b["title"] for b in out.messages[0]["buttons"]] == ["Terveysasema-Kajaani", "Terveysasema-Kuhmo"]
    named = reply(RetrievalResult("terveysasema kuhmossa", hits[1:2] + hits[:1], confidence=0.9, municipality="Kuhmo"))
    assert named.decision == "answer" and named.sources[0]["id"] == "terveysasema-kuhmo"


def test_two_municipal_pages_among_the_first_three_also_ask_which_municipality():
    hits = [hit("verkkosivut"), hit("terveysasema-sotkamo", ["Sotkamo"]), hit("terveysasema-kajaani", ["Kajaani"])]
    out = reply(RetrievalResult("terveysaseman puhelinnumero", hits, confidence=0.9))
    assert out.decision == "clarify" and out.reason == "municipality_unknown" and out.failed_attempts == 0
    one_local = [hit("verkkosivut"), hit("neuvola"), hit("terveysasema-kajaani", ["Kajaani"]), hit("terveysasema-kuhmo", ["Kuhmo"])]
    generic = reply(RetrievalResult("verkkosivut", one_local, confidence=0.9))
    assert generic.decision == "answer" and generic.sources[0]["id"] == "verkkosivut"


def test_a_county_wide_page_every_ranker_puts_first_is_answered_although_local_pages_follow():
    import dataclasses

    from bot.retrieval.confidence import RetrievalSignals

    hits = [hit("asiakasmaksut"), hit("terveysasema-kuhmo", ["Kuhmo"]), hit("terveysasema-kajaani", ["Kajaani"])]
    signals = RetrievalSignals(dense_top=0.93, dense_margin=0.04, agreement=1.0, lexical_top=3.0, char_top=0.6)
    out = reply(RetrievalResult("paljonko maksaa terveyskeskuslääkärillä käynti", hits, confidence=0.9, signals=signals))
    assert out.decision == "answer" and out.sources[0]["id"] == "asiakasmaksut"
    split_signals = dataclasses.replace(signals, agreement=2 / 3)
    split = reply(RetrievalResult("terveysaseman puhelinnumero", hits, confidence=0.9, signals=split_signals))
    assert split.decision == "clarify" and split.reason == "municipality_unknown"


def test_a_meaningless_message_that_happens_to_rank_municipal_pages_first_is_not_asked_for_a_municipality():
    hits = [hit("terveysasema-sotkamo", ["Sotkamo"]), hit("terveysasema-kuhmo", ["Kuhmo"]), hit("neuvola")]
    out = reply(RetrievalResult("the thing i mentioned", hits, confidence=0.01))
    assert out.decision == "clarify" and out.reason == "low_confidence" and out.failed_attempts == 1


def self_care_hit(doc_id: str = "omahoito-palovammat") -> Hit:
    return Hit(doc_id, 0.03, {"id": doc_id, "title": "Palovammat", "type": "self_care", "url": "https://example.fi/",
                              "summary": "s", "municipalities": []})


def test_a_self_care_page_answers_a_how_do_i_treat_question_the_nlu_calls_medical_advice():
    from bot.dialogue import self_care_instead_of_refusal

    sure = RetrievalResult("q", [self_care_hit(), hit("paivystys")], confidence=0.9)
    assert self_care_instead_of_refusal(sure, "poltin sormen kattilaan, miten hoidan kotona", 0.5)
    assert not self_care_instead_of_refusal(RetrievalResult("q", [self_care_hit()], confidence=0.4), "palovamma", 0.5)
    assert not self_care_instead_of_refusal(RetrievalResult("q", [hit("paivystys")], confidence=0.9), "palovamma", 0.5)


def test_medicines_and_doses_are_still_refused_even_with_a_self_care_page():
    from bot.dialogue import self_care_instead_of_refusal

    sure = RetrievalResult("q", [self_care_hit("omahoito-kuumeinen-lapsi")], confidence=0.9)
    for text in ("paljonko kuumelääkettä saa antaa", "voiko antibioottikuurin aikana juoda", "what dose of ibuprofen",
                 "montako buranaa", "Voiko verenpainelaakkeen ottaa illalla", "hur mycket läkemedel får jag ta"):
        assert not self_care_instead_of_refusal(sure, text, 0.5), text
    assert self_care_instead_of_refusal(sure, "lapsella kuumetta, pitääkö lääkäriin", 0.5)  # lääkäri is not a medicine
