"""The console's queries on a small hand-made log whose right answers are known, and on simulated data."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import yaml
from sqlalchemy import insert

from bot.analytics.queries import (
    NO_MUNICIPALITY,
    Filters,
    annotate,
    export_nlu_examples,
    knowledge_gaps,
    overview,
    unresolved,
)
from bot.analytics.simulate import simulate
from bot.analytics.store import TurnEvent, event_row
from bot.analytics.vocabulary import reason_label, unresolved_reasons, validate_reason
from bot.db import make_engine, migrate
from bot.db.tables import event_topics, events, topic_runs, topics
from bot.service_hours import HELSINKI
from tests.integration.test_postgres import postgres_url  # noqa: F401 — a throw-away PostgreSQL server


def at(day: int, hour: int, minute: int = 0) -> float:
    """A moment in the week of Monday 3 March 2025, Helsinki time."""
    return datetime(2025, 3, day, hour, minute, tzinfo=HELSINKI).timestamp()


LOG = [  # conversation, day, hour, decision, reason, feedback, municipality, lang, text, sources
    ("a", 3, 9, "answer", None, None, "Kajaani", "fi", None, ["neuvola"]),
    ("a", 3, 9, "fallback", "negative_feedback", 0, None, "fi", "neuvolan aukioloajat", ["neuvola"]),
    ("b", 3, 20, "fallback", "no_match", None, "Kuhmo", "fi", "missä voi pysäköidä sairaalalla", []),
    ("b", 3, 20, "handoff", "human_requested", None, None, "fi", "haluan puhua ihmiselle", []),
    ("c", 4, 10, "decline", "out_of_scope:medical_advice", None, None, "en", "how many painkillers", []),
    ("c", 4, 10, "clarify", "low_confidence", None, None, "en", "dentist", ["hammashoito"]),
    ("d", 5, 14, "answer", "personal_data", None, "Kajaani", "fi", "soita [PUHELIN]", ["hammashoito"]),
    ("d", 5, 14, "emergency", "chest_pain", None, None, "fi", None, []),
    ("e", 8, 11, "decline", "out_of_scope:off_topic", None, None, "sv", "kerro vitsi", []),
    ("e", 8, 11, "answer", None, 1, None, "fi", None, ["hammashoito"]),
]


@pytest.fixture
def engine(tmp_path):
    url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    migrate(url)
    engine = make_engine(url)
    rows = []
    for conversation, day, hour, decision, reason, feedback, municipality, lang, text, sources in LOG:
        rows.append(event_row(TurnEvent(conversation=conversation, decision=decision, reason=reason, feedback=feedback,
                                        municipality=municipality, lang=lang, text_redacted=text, sources=sources,
                                        confidence=0.6 if sources else None, intent="service_question",
                                        ts=at(day, hour, len(rows)))))
    with engine.begin() as connection:
        connection.execute(insert(events), rows)
    return engine


def ids_by_text(engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {text: event_id for event_id, text in connection.execute(
            events.select().with_only_columns(events.c.id, events.c.text_redacted)) if text}


def add_topic(engine, label: str, event_ids: list[int]) -> int:
    with engine.begin() as connection:
        run = connection.execute(insert(topic_runs).values(ts=at(9, 12), texts=len(event_ids))).inserted_primary_key[0]
        topic = connection.execute(insert(topics).values(run_id=run, label=label, lemmas="[]",
                                                         size=len(event_ids))).inserted_primary_key[0]
        connection.execute(insert(event_topics), [{"event_id": e, "topic_id": topic} for e in event_ids])
    return topic


def test_overview_totals_follow_the_documented_definitions(engine):
    result = overview(engine, Filters())
    totals = result["totals"]
    assert totals["turns"] == 10
    assert totals["unresolved"] == 6  # fallback ×2, handoff, decline ×2, personal data
    assert totals["resolved_rate"] == 0.2  # two plain answers (the personal-data answer is unresolved)
    assert totals["fallback_rate"] == 0.2 and totals["handoff_rate"] == 0.1 and totals["clarify_rate"] == 0.1
    assert totals["negative_feedback"] == 1 and totals["emergency"] == 1 and totals["decline"] == 2
    assert totals["conversations"] == 5
    assert totals["off_hours_share"] == 0.4  # Monday 20 h twice, Saturday twice


def test_overview_series_heatmap_and_breakdowns(engine):
    result = overview(engine, Filters())
    assert [(d["day"], d["turns"], d["conversations"], d["unresolved"]) for d in result["by_day"]] == [
        (date(2025, 3, 3), 4, 2, 3), (date(2025, 3, 4), 2, 1, 1), (date(2025, 3, 5), 2, 1, 1),
        (date(2025, 3, 8), 2, 1, 1)]
    assert result["by_week"] == [{"week": date(2025, 3, 3), "turns": 10, "conversations": 5, "unresolved": 6}]
    heat = result["heatmap"]
    assert len(heat) == 7 and all(len(row) == 24 for row in heat)
    assert heat[0][9] == 2 and heat[0][20] == 2 and heat[5][11] == 2 and sum(map(sum, heat)) == 10
    assert result["by_municipality"][0] == {"municipality": None, "turns": 7, "unresolved": 4}
    assert {m["municipality"]: m["turns"] for m in result["by_municipality"]} == {None: 7, "Kajaani": 2, "Kuhmo": 1}
    assert {entry["lang"]: entry["unresolved"] for entry in result["by_language"]} == {"fi": 4, "en": 1, "sv": 1}
    assert {r["reason"]: r["count"] for r in result["by_reason"]} == {
        "negative_feedback": 1, "no_match": 1, "human_requested": 1, "out_of_scope:medical_advice": 1,
        "personal_data": 1, "out_of_scope:off_topic": 1}


def test_filters_narrow_every_part_of_the_overview(engine):
    tuesday_on = overview(engine, Filters(start=date(2025, 3, 4), end=date(2025, 3, 5)))
    assert tuesday_on["totals"]["turns"] == 4 and len(tuesday_on["by_day"]) == 2
    assert overview(engine, Filters(municipality=NO_MUNICIPALITY))["totals"]["turns"] == 7
    assert overview(engine, Filters(municipality="Kuhmo"))["totals"]["turns"] == 1
    assert overview(engine, Filters(lang="en"))["totals"]["turns"] == 2
    assert overview(engine, Filters(decision="decline"))["totals"]["turns"] == 2
    out_of_scope = overview(engine, Filters(reason="out_of_scope"))
    assert out_of_scope["totals"]["turns"] == 2 and out_of_scope["totals"]["conversations"] == 2
    assert overview(engine, Filters(start=date(2025, 4, 1)))["totals"] == overview(engine, Filters(
        start=date(2025, 4, 1), end=date(2025, 4, 2)))["totals"]
    with pytest.raises(ValueError, match="after end"):
        overview(engine, Filters(start=date(2025, 3, 5), end=date(2025, 3, 4)))


def test_inbox_lists_unresolved_turns_newest_first_with_paging(engine):
    rows, total = unresolved(engine, Filters(), limit=4)
    assert total == 6
    assert [r["text_redacted"] for r in rows] == ["kerro vitsi", "soita [PUHELIN]", "how many painkillers",
                                                  "haluan puhua ihmiselle"]
    rest, _ = unresolved(engine, Filters(), limit=4, offset=4)
    assert [r["text_redacted"] for r in rest] == ["missä voi pysäköidä sairaalalla", "neuvolan aukioloajat"]
    assert rest[1]["sources"] == [{"id": "neuvola", "score": 0.6}]
    only_kuhmo, count = unresolved(engine, Filters(municipality="Kuhmo"))
    assert count == 1 and only_kuhmo[0]["reason"] == "no_match"
    with pytest.raises(ValueError):
        unresolved(engine, Filters(), limit=0)


def test_annotations_override_the_reason_and_link_documents_and_intents(engine):
    ids = ids_by_text(engine)
    parking = ids["missä voi pysäköidä sairaalalla"]
    annotate(engine, parking, reason="low_confidence", doc_id="keskussairaala", user="sari")
    note = annotate(engine, parking, intent="service_question", user="timo")  # None keeps the other fields
    assert (note["reason"], note["doc_id"], note["intent"], note["annotated_by"]) == \
        ("low_confidence", "keskussairaala", "service_question", "timo")
    row = next(r for r in unresolved(engine, Filters())[0] if r["id"] == parking)
    assert (row["reason"], row["logged_reason"], row["linked_doc"], row["linked_intent"]) == \
        ("low_confidence", "no_match", "keskussairaala", "service_question")
    reasons = {r["reason"]: r["count"] for r in overview(engine, Filters())["by_reason"]}
    assert "no_match" not in reasons and reasons["low_confidence"] == 1
    assert unresolved(engine, Filters(reason="no_match"))[1] == 0
    assert unresolved(engine, Filters(reason="low_confidence"))[1] == 1
    assert annotate(engine, parking, reason="", user="sari")["reason"] is None  # "" clears
    assert unresolved(engine, Filters(reason="no_match"))[1] == 1


@pytest.mark.parametrize("kwargs,error", [
    ({"reason": "bad_luck"}, ValueError),
    ({"reason": "out_of_scope:cooking"}, ValueError),
    ({"doc_id": "Not A Doc!"}, ValueError),
    ({"intent": "Ask Human"}, ValueError),
    ({"user": " "}, ValueError),
])
def test_annotate_refuses_bad_input_with_a_clear_error(engine, kwargs, error):
    event_id = next(iter(ids_by_text(engine).values()))
    with pytest.raises(error) as raised:
        annotate(engine, event_id, **{"user": "sari", **kwargs})
    assert str(raised.value)


def test_annotating_a_missing_event_is_a_lookup_error(engine):
    with pytest.raises(LookupError, match="no event with id 999"):
        annotate(engine, 999, reason="no_match", user="sari")


def test_nlu_examples_are_rasa_yaml_of_texts_linked_to_intents(engine):
    ids = ids_by_text(engine)
    annotate(engine, ids["missä voi pysäköidä sairaalalla"], intent="service_question", user="sari")
    annotate(engine, ids["haluan puhua ihmiselle"], intent="ask_human", user="sari")
    text = export_nlu_examples(engine, Filters())
    assert text.startswith('version: "3.1"\nnlu:\n- intent: ask_human\n  examples: |\n    - haluan puhua ihmiselle\n')
    parsed = yaml.safe_load(text)
    assert [(item["intent"], item["examples"].split("\n")[0]) for item in parsed["nlu"]] == [
        ("ask_human", "- haluan puhua ihmiselle"), ("service_question", "- missä voi pysäköidä sairaalalla")]
    assert export_nlu_examples(engine, Filters(lang="sv")) == 'version: "3.1"\nnlu:\n'


def test_knowledge_gaps_group_linked_unmatched_and_badly_rated_questions(engine):
    ids = ids_by_text(engine)
    annotate(engine, ids["how many painkillers"], doc_id="omahoito-nivelkipu", user="sari")
    topic = add_topic(engine, "pysäköinti, sairaala", [ids["missä voi pysäköidä sairaalalla"]])
    gaps = knowledge_gaps(engine, Filters())
    simplified = {(g["doc_id"], g["topic"]): (g["count"], g["examples"]) for g in gaps}
    assert simplified == {
        ("neuvola", None): (1, ["neuvolan aukioloajat"]),  # negative feedback on the neuvola answer
        ("omahoito-nivelkipu", None): (1, ["how many painkillers"]),
        (None, "pysäköinti, sairaala"): (1, ["missä voi pysäköidä sairaalalla"]),
    }
    assert next(g for g in gaps if g["topic"])["topic_id"] == topic
    inbox = unresolved(engine, Filters(topic=topic))
    assert inbox[1] == 1 and inbox[0][0]["topic"] == "pysäköinti, sairaala"


def test_reason_vocabulary_has_finnish_labels_for_every_code():
    assert "out_of_scope:medical_advice" in unresolved_reasons()
    assert all(reason_label(code) and reason_label(code) != code for code in unresolved_reasons())
    assert validate_reason("no_match") == "no_match"
    with pytest.raises(ValueError, match="use one of"):
        validate_reason("nonsense")


def test_overview_of_simulated_data_adds_up(tmp_path):
    url = f"sqlite:///{tmp_path / 'sim.sqlite3'}"
    migrate(url)
    engine = make_engine(url)
    summary = simulate(engine, 3000, days=21, seed=7)
    result = overview(engine, Filters())
    turns = result["totals"]["turns"]
    assert turns == summary.events == 3000
    assert sum(d["turns"] for d in result["by_day"]) == turns == sum(map(sum, result["heatmap"]))
    assert sum(m["turns"] for m in result["by_municipality"]) == turns
    assert sum(r["count"] for r in result["by_reason"]) == result["totals"]["unresolved"]
    counts = {m["municipality"]: m["turns"] for m in result["by_municipality"] if m["municipality"]}
    assert max(counts, key=counts.get) == "Kajaani"
    assert 0.1 < result["totals"]["unresolved_rate"] < 0.5
    assert result["by_language"][0]["lang"] == "fi"


@pytest.mark.integration
def test_postgres_gives_the_same_answers_as_sqlite(tmp_path, postgres_url):
    """Portable SQL: the same simulated log gives identical overviews, inbox and gaps on both databases."""
    end = datetime(2025, 3, 9, 20, tzinfo=HELSINKI).timestamp()
    sqlite_url = f"sqlite:///{tmp_path / 'same.sqlite3'}"
    results = []
    for url in (sqlite_url, postgres_url):
        migrate(url)
        engine = make_engine(url)
        simulate(engine, 1500, days=14, seed=5, end_ts=end)
        inbox, total = unresolved(engine, Filters(municipality="Kajaani"), limit=20)
        results.append({
            name: overview(engine, filters) for name, filters in (
                ("all", Filters()), ("out_of_scope", Filters(reason="out_of_scope")),
                ("week", Filters(start=date(2025, 3, 3), end=date(2025, 3, 9), lang="fi")))
        } | {"inbox": ([row["text_redacted"] for row in inbox], total),
             "gaps": [(g["doc_id"], g["count"]) for g in knowledge_gaps(engine, Filters())]})
    for result in results:
        for name in ("all", "out_of_scope", "week"):
            result[name]["by_municipality"].sort(key=lambda m: m["municipality"] or "")
            result[name]["by_language"].sort(key=lambda m: m["lang"] or "")
    assert results[0] == results[1]
    assert results[0]["all"]["totals"]["turns"] == 1500
