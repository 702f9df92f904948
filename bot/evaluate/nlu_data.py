"""Hygiene of nlu_data/nlu.yml: cross-validation F1 means something only if no training sentence is
a held-out evaluation sentence and no sentence is taught under two intents.

`held_out_copies` compares every training example with tests/data/routing_dev.jsonl,
tests/data/safety_*.jsonl and knowledge/safety-reference/*.jsonl (sets that measure the bot or
its safety net and must never be trained on);
`contradictions` finds one sentence under two intents. Both compare folded text (lower case,
ä→a, ö→o, å→a, punctuation dropped); near-copies are caught by character-trigram Jaccard similarity.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

ANNOTATION = re.compile(r"\[([^\]]+)\]\{[^}]*\}")
HELD_OUT_GLOBS = ("routing_dev.jsonl", "safety_*.jsonl", "../../knowledge/safety-reference/*.jsonl")


def fold(text: str) -> str:
    """Annotation-free, lower-case, ä/ö-free words: "Onko [Kuhmossa]{...} labra?" → "onko kuhmossa labra"."""
    text = ANNOTATION.sub(r"\1", text).lower().translate(str.maketrans("äöå", "aoa"))
    return " ".join(re.findall(r"\w+", text))


def trigrams(text: str) -> set[str]:
    padded = f"  {text} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


def similarity(a: str, b: str) -> float:
    ta, tb = trigrams(a), trigrams(b)
    return len(ta & tb) / max(len(ta | tb), 1)


def intent_examples(nlu_path: Path) -> list[tuple[str, str]]:
    """(intent, example text) for every intent example of a Rasa 3 YAML NLU file."""
    try:
        document = yaml.safe_load(nlu_path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise ValueError(f"{nlu_path} is not valid YAML: {error}") from error
    pairs = []
    for block in document.get("nlu") or []:
        if "intent" in block:
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    pairs.append((block["intent"], line[2:].strip()))
    return pairs


def held_out_texts(data_dir: Path) -> list[str]:
    texts = []
    for pattern in HELD_OUT_GLOBS:
        for path in sorted(data_dir.glob(pattern)):
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    texts.append(json.loads(line)["text"])
    return texts


@dataclass
class Copy:
    intent: str
    example: str
    held_out: str
    similarity: float


def held_out_copies(nlu_path: Path, data_dir: Path, threshold: float = 0.8) -> list[Copy]:
    """Training examples that equal or nearly equal a held-out sentence (trigram Jaccard ≥ threshold)."""
    held_out = [(text, fold(text)) for text in held_out_texts(data_dir)]
    held_out_grams = [(text, folded, trigrams(folded)) for text, folded in held_out]
    copies = []
    for intent, example in intent_examples(nlu_path):
        folded = fold(example)
        grams = trigrams(folded)
        for text, other, other_grams in held_out_grams:
            score = 1.0 if folded == other else len(grams & other_grams) / max(len(grams | other_grams), 1)
            if score >= threshold:
                copies.append(Copy(intent, example, text, round(score, 2)))
                break
    return copies


def contradictions(nlu_path: Path) -> list[tuple[str, str, str]]:
    """(example, intent, other intent) for a folded sentence taught under two intents."""
    first: dict[str, str] = {}
    found = []
    for intent, example in intent_examples(nlu_path):
        key = fold(example)
        if key in first and first[key] != intent:
            found.append((example, first[key], intent))
        first.setdefault(key, intent)
    return found
