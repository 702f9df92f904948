"""The validator reports every broken file with file and line, and accepts the real knowledge base."""

from pathlib import Path

import pytest

from bot.kb.validate import validate_knowledge_base
from bot.settings import PROJECT_ROOT

GOOD = """---
id: {id}
title: Testipalvelu
type: service
summary: Lyhyt kuvaus.
audience: [aikuiset]
municipalities: all
url: https://hyvinvointialue.kainuu.fi/
catalogue: [D1]
updated: 2026-11-25
keywords: [testi]
how_to_access: Soita.
related: []
---
## Mitä palvelu on
Tekstiä.
"""


def write(root: Path, name: str, text: str | bytes, folder: str = "services") -> Path:
    (root / folder).mkdir(parents=True, exist_ok=True)
    path = root / folder / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    (tmp_path / "catalogue.yml").write_text('entries:\n  D1: "Suun terveydenhuolto"\n', encoding="utf-8")
    write(tmp_path, "hyva.md", GOOD.format(id="hyva"))
    return tmp_path


def messages(root: Path) -> list[str]:
    return [str(p) for p in validate_knowledge_base(root)[1]]


def test_real_knowledge_base_is_valid():
    docs, problems = validate_knowledge_base(PROJECT_ROOT / "knowledge")
    assert problems == []
    assert len([d for d in docs if d.type != "approved_text"]) >= 120


def test_valid_document_passes(kb):
    assert messages(kb) == []


def test_malformed_front_matter_is_reported_with_its_line(kb):
    write(kb, "rikki.md", GOOD.format(id="rikki").replace("keywords: [testi]", "keywords: [testi"))
    (problem,) = messages(kb)
    assert "rikki.md:1" in problem or "rikki.md:11" in problem or "rikki.md:12" in problem
    assert "not valid YAML" in problem


def test_non_utf8_file_is_reported_with_its_line(kb):
    write(kb, "latin1.md", GOOD.format(id="latin1").replace("Tekstiä", "Teksti\xe4").encode("latin-1"))
    (problem,) = messages(kb)
    assert "latin1.md:15" in problem  # "## Mitä" is the first non-UTF-8 line and "UTF-8" in problem


def test_missing_field_unknown_catalogue_duplicate_and_broken_link(kb):
    text = GOOD.format(id="hyva").replace("how_to_access: Soita.\n", "").replace("[D1]", "[Z9]")
    text = text.replace("related: []", "related: [ei-ole]")
    write(kb, "kopio.md", text)
    found = "\n".join(messages(kb))
    assert "'how_to_access' is missing" in found
    assert "unknown catalogue ID 'Z9'" in found
    assert "duplicate id 'hyva'" in found
    assert "unknown document 'ei-ole'" in found
    assert "differs from the file name" in found


@pytest.mark.parametrize("ages", ["[13, 17]", "[18]"])
def test_an_age_range_is_accepted(kb, ages):
    write(kb, "ika.md", GOOD.format(id="ika").replace("audience: [aikuiset]\n", f"audience: [aikuiset]\nages: {ages}\n"))
    assert messages(kb) == []


@pytest.mark.parametrize("ages", ["[17, 13]", "[18, 200]", "18-", "[a, b]", "[1, 2, 3]"])
def test_a_malformed_age_range_is_reported_at_its_line(kb, ages):
    write(kb, "ika.md", GOOD.format(id="ika").replace("audience: [aikuiset]\n", f"audience: [aikuiset]\nages: {ages}\n"))
    (problem,) = messages(kb)
    assert "ika.md:7" in problem and "'ages' must be [lowest] or [lowest, highest]" in problem


def test_empty_body_and_missing_front_matter(kb):
    write(kb, "tyhja.md", GOOD.format(id="tyhja").split("## ")[0])
    write(kb, "ilman.md", "Pelkkää tekstiä\n")
    found = "\n".join(messages(kb))
    assert "tyhja.md" in found and "body is empty" in found
    assert "ilman.md:1: front matter missing" in found


def test_binary_file_is_refused(kb):
    write(kb, "binaari.md", b"---\nid: x\x00\x01\n---\n")
    assert "binary content" in "\n".join(messages(kb))


def test_questions_must_be_text_and_belong_to_one_document(kb):
    with_questions = GOOD.replace("related: []", "related: []\nquestions:\n  - Mistä saan ajan?\n  - [ei, tekstiä]")
    write(kb, "kysymykset.md", with_questions.format(id="kysymykset"))
    write(kb, "toinen.md", GOOD.replace("related: []", "related: []\nquestions:\n  - mista saan ajan").format(id="toinen"))
    found = messages(kb)
    assert any("kysymykset.md" in m and "must be a question as text" in m for m in found)
    assert any("toinen.md" in m and "also under 'kysymykset'" in m for m in found)
