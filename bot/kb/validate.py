"""Checks of the whole knowledge base; the CLI, the index builder and the editor all use this."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from pathlib import Path

from bot.ages import age_range
from bot.kb.documents import (
    FOLDER_TYPES,
    MUNICIPALITIES,
    Catalogue,
    Document,
    ParseProblem,
    load_documents,
)
from bot.text import fold

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ANSWER_REQUIRED = ("id", "title", "type", "summary", "audience", "municipalities", "url", "catalogue",
                   "updated", "keywords", "how_to_access")
APPROVED_REQUIRED = ("id", "title", "type", "updated", "requires_approval", "texts")
LIST_FIELDS = ("audience", "catalogue", "keywords", "keywords_sv", "keywords_en", "related", "questions")
TEXT_FIELDS = ("title", "summary", "how_to_access", "url", "title_sv", "title_en", "summary_sv", "summary_en")
LANGUAGES = ("fi", "sv", "en")
MAX_QUESTION_CHARS = 300


def _check_answer_document(doc: Document, catalogue: Catalogue, add) -> None:
    meta = doc.meta
    for key in ANSWER_REQUIRED:
        if meta.get(key) in (None, "") and key not in ("catalogue",):
            add(doc.line_of(key) if key in meta else 1, f"required field '{key}' is missing or empty")
    if "catalogue" not in meta:
        add(1, "required field 'catalogue' is missing (use [] when the document covers no catalogue entry)")
    for key in LIST_FIELDS:
        if key in meta and meta[key] is not None and not isinstance(meta[key], list):
            add(doc.line_of(key), f"'{key}' must be a list, e.g. [a, b]")
    for key in TEXT_FIELDS:
        if key in meta and meta[key] is not None and not isinstance(meta[key], str):
            add(doc.line_of(key), f"'{key}' must be text")
    if meta.get("ages") is not None and age_range(meta["ages"]) is None:
        add(doc.line_of("ages"), "'ages' must be [lowest] or [lowest, highest] in whole years from 0 to 120, "
                                 "e.g. [13, 17] or [18]")
    municipalities = meta.get("municipalities")
    if municipalities not in (None, "all"):
        if not isinstance(municipalities, list):
            add(doc.line_of("municipalities"), "'municipalities' must be 'all' or a list of municipalities")
        else:
            for name in municipalities:
                if name not in MUNICIPALITIES:
                    add(doc.line_of("municipalities"),
                        f"unknown municipality '{name}' (use one of {', '.join(MUNICIPALITIES)})")
    for code in meta.get("catalogue") or [] if isinstance(meta.get("catalogue"), list) else []:
        if str(code) not in catalogue.entries:
            add(doc.line_of("catalogue"), f"unknown catalogue ID '{code}' (see knowledge/catalogue.yml)")
    url = meta.get("url")
    if isinstance(url, str) and url and not url.startswith("https://"):
        add(doc.line_of("url"), "'url' must start with https://")
    summary = meta.get("summary")
    if isinstance(summary, str) and len(summary) > 600:
        add(doc.line_of("summary"), "'summary' is longer than 600 characters; keep it to 2–3 sentences")
    questions = meta.get("questions")
    for question in questions if isinstance(questions, list) else []:
        if not isinstance(question, str) or not question.strip():
            add(doc.line_of("questions"), "every entry of 'questions' must be a question as text")
        elif len(question) > MAX_QUESTION_CHARS:
            add(doc.line_of("questions"), f"question '{question[:40]}…' is longer than {MAX_QUESTION_CHARS} characters")
    if meta.get("status", "active") not in ("active", "retired"):
        add(doc.line_of("status"), "'status' must be 'active' or 'retired'")
    if not doc.body.strip():
        add(doc.body_line, "the body is empty: write the answer text below the front matter")


def _check_approved_text(doc: Document, add) -> None:
    meta = doc.meta
    for key in APPROVED_REQUIRED:
        if meta.get(key) in (None, ""):
            add(doc.line_of(key) if key in meta else 1, f"required field '{key}' is missing or empty")
    texts = meta.get("texts")
    if isinstance(texts, dict):
        for lang in LANGUAGES:
            if not str(texts.get(lang) or "").strip():
                add(doc.line_of("texts"), f"approved text has no '{lang}' version")
    elif texts is not None:
        add(doc.line_of("texts"), "'texts' must be a mapping with fi, sv and en")


def validate_documents(root: Path, docs: list[Document], problems: list[ParseProblem]) -> list[ParseProblem]:
    catalogue = Catalogue.load(root)
    found: list[ParseProblem] = list(problems)
    by_id: dict[str, list[Document]] = defaultdict(list)
    for doc in docs:
        def add(line: int, message: str, doc: Document = doc) -> None:
            found.append(ParseProblem(doc.path, line, message))

        folder = doc.path.parent.name
        expected_type = FOLDER_TYPES.get(folder)
        if doc.type != expected_type:
            add(doc.line_of("type"), f"type '{doc.type}' does not match folder {folder}/ (expected '{expected_type}')")
        if not ID_PATTERN.match(doc.id):
            add(doc.line_of("id"), f"id '{doc.id}' must be lowercase letters, digits and hyphens")
        elif doc.id != doc.path.stem:
            add(doc.line_of("id"), f"id '{doc.id}' differs from the file name '{doc.path.stem}.md'")
        updated = doc.meta.get("updated")
        try:
            dt.date.fromisoformat(str(updated))
        except ValueError:
            add(doc.line_of("updated"), f"'updated' must be a date YYYY-MM-DD, not '{updated}'")
        if expected_type == "approved_text":
            _check_approved_text(doc, add)
        else:
            _check_answer_document(doc, catalogue, add)
        by_id[doc.id].append(doc)
    for doc_id, same in by_id.items():
        if len(same) > 1:
            for doc in same:
                others = ", ".join(str(o.path) for o in same if o is not doc)
                found.append(ParseProblem(doc.path, doc.line_of("id"), f"duplicate id '{doc_id}' (also in {others})"))
    _check_questions_unique(docs, found)
    for doc in docs:
        related = doc.meta.get("related") or []
        for target in related if isinstance(related, list) else []:
            if str(target) not in by_id:
                found.append(ParseProblem(doc.path, doc.line_of("related"), f"'related' links to unknown document '{target}'"))
    return sorted(found, key=lambda p: (str(p.path), p.line))


def _check_questions_unique(docs: list[Document], found: list[ParseProblem]) -> None:
    """The same question under two documents would send residents to either at random."""
    owners: dict[str, Document] = {}
    for doc in docs:
        if not doc.active or not isinstance(doc.meta.get("questions"), list):
            continue
        for question in doc.questions:
            key = " ".join(fold(question).split()).rstrip("?!. ")
            first = owners.setdefault(key, doc)
            if first is not doc:
                found.append(ParseProblem(doc.path, doc.line_of("questions"),
                                          f"question '{question}' is also under '{first.id}'; keep it in one document"))


def validate_knowledge_base(root: Path) -> tuple[list[Document], list[ParseProblem]]:
    docs, problems = load_documents(root)
    return docs, validate_documents(root, docs, problems)
