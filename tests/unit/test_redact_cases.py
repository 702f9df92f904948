"""Redaction against the labelled cases in tests/data/pii_cases.jsonl."""

import json

import pytest

from bot.analytics.redact import redact
from bot.evaluate.redaction import evaluate_redaction
from tests.conftest import DATA

CASES = [json.loads(line) for line in (DATA / "pii_cases.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]


def test_the_labelled_set_is_large_enough():
    assert len(CASES) >= 200


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["text"][:40])
def test_case(case):
    redacted = redact(case["text"]).text
    for item in case.get("pii", []):
        if item["kind"] == "name":  # names are found only where introduced; measured in aggregate below
            continue
        assert item["value"] not in redacted, f"{item['kind']} left in: {redacted}"
    for word in case.get("keep", []):
        assert word in redacted, f"service word '{word}' redacted: {redacted}"


def test_identifier_recall_is_at_least_99_percent():
    report = evaluate_redaction(DATA / "pii_cases.jsonl")
    identifiers = {k: v for k, v in report["recall_by_kind"].items() if k in ("hetu", "phone", "email", "iban")}
    assert min(identifiers.values()) >= 0.99, identifiers
    assert report["recall_by_kind"]["name"] >= 0.95
    assert report["service_words_kept"] == 1.0
