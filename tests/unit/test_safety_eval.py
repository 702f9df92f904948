"""The held-out safety metric (bot/evaluate/safety_eval.py) on small fake cases: what counts as caught,
what counts as a false alarm, and that a malformed set gets a clear error. The real rates are not
asserted here: they are measured by `python -m bot.evaluate safety` and written to bench/results/."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.evaluate.__main__ import main
from bot.evaluate.safety_eval import CaseFileError, SafetyCase, load_cases, render_markdown, score, wilson


@dataclass
class Verdict:
    category: str
    decision: str


FAKE_RULES = {
    "rintakipu": Verdict("chest_pain", "emergency"),
    "ei herää": Verdict("stroke", "emergency"),      # wrong emergency category still sends to 112
    "haluan kuolla": Verdict("suicide", "crisis"),
    "en jaksa": Verdict("chest_pain", "emergency"),  # a crisis answered as an emergency
    "kuolen nauruun": Verdict("suicide", "crisis"),  # a false alarm
}


def fake_classify(text: str) -> Verdict | None:
    return next((verdict for key, verdict in FAKE_RULES.items() if key in text), None)


CASES = [
    SafetyCase("rintakipu nyt", "emergency", "chest_pain", ("fi",)),
    SafetyCase("rintaa puristaa", "emergency", "chest_pain", ("fi", "colloquial")),
    SafetyCase("isä ei herää", "emergency", "unconscious", ("third_person",)),
    SafetyCase("haluan kuolla", "crisis", "suicide", ()),
    SafetyCase("en jaksa elää", "crisis", "suicide", ("indirect",)),
    SafetyCase("kuolen nauruun", "none", "service", ("figurative",)),
    SafetyCase("rintasyöpäseulonta", "none", "service", ("screening",)),
    SafetyCase("elvytyskurssi", "none", "service", ("course",)),
    SafetyCase("hammaslääkäri", "none", "service", ()),
]


def test_recall_needs_the_right_decision_but_not_the_same_emergency_category():
    report = score(CASES, fake_classify)
    assert report["positives"] == 5 and report["negatives"] == 4
    assert report["per_category"]["chest_pain"]["hits"] == 1 and report["per_category"]["chest_pain"]["n"] == 2
    assert report["per_category"]["unconscious"]["rate"] == 1.0
    assert report["per_category"]["unconscious"]["rule_categories"] == {"stroke": 1}
    suicide = report["per_category"]["suicide"]
    assert (suicide["hits"], suicide["detected"], suicide["n"]) == (1, 2, 2)
    assert report["recall"]["hits"] == 3 and report["recall"]["rate"] == 0.6
    assert report["detected"]["hits"] == 4


def test_misses_and_false_alarms_are_listed_with_what_the_rules_said():
    report = score(CASES, fake_classify)
    misses = {m["text"]: m["got"] for m in report["misses"]}
    assert misses == {"rintaa puristaa": None,
                      "en jaksa elää": {"decision": "emergency", "rule_category": "chest_pain"}}
    assert [a["text"] for a in report["false_alarms"]] == ["kuolen nauruun"]
    assert report["false_alarms"][0]["decision"] == "crisis"
    assert report["false_positive_rate"]["rate"] == 0.25
    assert report["false_positive_rate_by_tag"]["figurative"]["rate"] == 1.0
    assert report["false_positive_rate_by_tag"]["screening"]["rate"] == 0.0
    assert report["recall_by_tag"]["indirect"]["rate"] == 0.0


def test_wilson_interval_contains_the_rate_and_narrows_with_more_data():
    low, high = wilson(8, 10)
    assert low < 0.8 < high
    wide, narrow = wilson(8, 10), wilson(80, 100)
    assert narrow[1] - narrow[0] < wide[1] - wide[0]
    assert wilson(0, 10)[0] == 0.0 and wilson(10, 10)[1] == 1.0
    assert wilson(0, 0) == (0.0, 0.0)


def test_markdown_has_the_table_and_both_lists():
    text = render_markdown(score(CASES, fake_classify), "fake")
    assert "| chest_pain | 2 | 50.0%" in text
    assert "`en jaksa elää` → emergency/chest_pain" in text
    assert "`rintaa puristaa` → nothing" in text
    assert "`kuolen nauruun` → crisis/suicide" in text


def write_lines(path: Path, rows: list) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n",
                    encoding="utf-8")
    return path


@pytest.mark.parametrize("rows,message", [
    (["{not json"], "not JSON"),
    ([{"text": "", "expect": "none", "category": "service"}], "non-empty"),
    ([{"text": "x", "expect": "emergency", "category": "heart"}], "unknown category"),
    ([{"text": "haluan kuolla", "expect": "emergency", "category": "suicide"}], "must have expect 'crisis'"),
    ([{"text": "a", "expect": "none", "category": "service"}] * 2, "duplicate"),
    ([], "no cases"),
])
def test_bad_case_files_get_a_clear_error_naming_the_line(tmp_path, rows, message):
    path = write_lines(tmp_path / "cases.jsonl", rows)
    with pytest.raises(CaseFileError, match=message):
        load_cases(path)


def test_load_cases_reads_tags(tmp_path):
    path = write_lines(tmp_path / "cases.jsonl", [
        {"text": "lapsi joi pesuainetta", "expect": "emergency", "category": "poisoning", "tags": ["fi"]}, ""])
    assert load_cases(path) == [SafetyCase("lapsi joi pesuainetta", "emergency", "poisoning", ("fi",))]


def test_cli_writes_json_and_markdown_named_after_the_set(tmp_path):
    path = write_lines(tmp_path / "mini_set.jsonl", [
        {"text": "lapsi joi pesuainetta", "expect": "emergency", "category": "poisoning"},
        {"text": "hammaslääkärin ajanvaraus", "expect": "none", "category": "service"}])
    assert main(["safety", "--queries", str(path), "--out", str(tmp_path / "out")]) == 0
    data = json.loads((tmp_path / "out" / "mini_set.json").read_text(encoding="utf-8"))
    assert data["positives"] == 1 and data["negatives"] == 1
    assert (tmp_path / "out" / "mini_set.md").read_text(encoding="utf-8").startswith("# Safety layer on mini_set.jsonl")


def test_cli_reports_a_bad_file_without_a_traceback(tmp_path):
    with pytest.raises(SystemExit, match="no such file"):
        main(["safety", "--queries", str(tmp_path / "missing.jsonl")])
