"""The safety rules against the labelled reference phrasings in knowledge/safety-reference (written for this purpose).

These phrasings were used while writing the rules; tests/data/safety_heldout.jsonl measures them on
unseen wording (python -m bot.evaluate safety).
"""

import json

import pytest

from bot.safety import check_safety
from bot.settings import PROJECT_ROOT

REFERENCE = PROJECT_ROOT / "knowledge" / "safety-reference"

POSITIVE = [json.loads(line) for line in (REFERENCE / "emergencies.jsonl").read_text(encoding="utf-8").splitlines()]
NEGATIVE = [json.loads(line) for line in (REFERENCE / "look-alikes.jsonl").read_text(encoding="utf-8").splitlines()]
CRISIS = {"suicide"}


def test_data_sets_are_big_enough():
    assert len(POSITIVE) >= 100 and len(NEGATIVE) >= 300


@pytest.mark.parametrize("case", POSITIVE, ids=lambda c: c["text"][:40])
def test_every_emergency_and_crisis_phrasing_is_caught(case):
    result = check_safety(case["text"])
    assert result is not None, case["text"]
    assert result.decision == ("crisis" if case["category"] in CRISIS else "emergency")


@pytest.mark.parametrize("case", NEGATIVE, ids=lambda c: c["text"][:40])
def test_ordinary_service_questions_are_not_caught(case):
    assert check_safety(case["text"]) is None, case["text"]


def test_poisoning_and_violence_get_their_own_texts():
    assert check_safety("lapsi joi pesuainetta").text_id == "safety-poisoning"
    assert check_safety("mies hakkaa minua nyt").text_id == "safety-violence"
