"""Ages residents state ("meidän 2-vuotias", "16v", "my daughter is 16", "min son är 7 år") and
whether a document's service is for another age group (its optional ``ages`` front matter)."""

from __future__ import annotations

import re

MAX_AGE = 120
# Finnish number words an age is written with ("kaksvuotias", "viisitoistavuotias"), folded.
_FINNISH_NUMBERS = {
    "yksi": 1, "yks": 1, "kaksi": 2, "kaks": 2, "kolme": 3, "nelja": 4, "viisi": 5, "viis": 5, "kuusi": 6,
    "seitseman": 7, "seitteman": 7, "kahdeksan": 8, "kaheksan": 8, "yhdeksan": 9, "yheksan": 9, "kymmenen": 10,
}
_TEENS = {f"{word}toista": value + 10 for word, value in _FINNISH_NUMBERS.items() if value < 10}
_NUMBER_WORDS = {**_FINNISH_NUMBERS, **_TEENS}
_NUMBER_WORD = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))

_AGE_PATTERNS = (
    # 16-vuotias, 16 vuotiaalle, 75-vuotiaiden, 16v, 16 v., 16-vee; not "16 vuotta" (a duration)
    re.compile(r"\b(\d{1,3})\s*-?\s*(?:vuotia\w*|v\b\.?|vee\b)", re.IGNORECASE),
    re.compile(rf"\b({_NUMBER_WORD})\s*-?\s*vuotia\w*", re.IGNORECASE),
    # olen 15, oon 75 enkä…, poika täyttää 7 (matched folded: täyttää → tayttaa)
    re.compile(r"\b(?:olen|oon|taytin|taytan|tayttaa|taytti)\s+(\d{1,3})(?=\s*(?:$|[,.!?;]|ja\b|enka\b|mutta\b|nyt\b|vuotta\b))",
               re.IGNORECASE),
    # 16-year-old, 16 years old, aged 16, (my daughter) is 16 (and / . / , / end)
    re.compile(r"\b(\d{1,3})\s*-?\s*years?\s*-?\s*old\b", re.IGNORECASE),
    re.compile(r"\baged?\s+(\d{1,3})\b", re.IGNORECASE),
    re.compile(r"\b(?:is|am|i'm|turned)\s+(\d{1,3})(?=\s*(?:$|[,.!?;]|and\b|now\b|but\b))", re.IGNORECASE),
    # 16 år (gammal), 16-åring, 16-årig
    re.compile(r"\b(\d{1,3})\s*-?\s*(?:år\b|åring\w*|årig\w*)", re.IGNORECASE),
)
_FOLD = str.maketrans("äö", "ao")  # "nelja", "seitseman" with or without umlauts; the å of "år" stays


def ages_in(text: str) -> set[int]:
    """Every age the text states, in years."""
    found: set[int] = set()
    folded = text.lower().translate(_FOLD)
    for pattern in _AGE_PATTERNS:
        for match in pattern.finditer(folded):
            value = match.group(1)
            age = _NUMBER_WORDS[value] if value in _NUMBER_WORDS else int(value)
            if 0 <= age <= MAX_AGE:
                found.add(age)
    return found


def age_range(value) -> tuple[int, int] | None:
    """The front matter ``ages`` ([min] or [min, max]) as an inclusive range; None when absent or malformed."""
    if not isinstance(value, list) or not 1 <= len(value) <= 2 or not all(type(v) is int for v in value):
        return None
    low, high = value[0], value[1] if len(value) == 2 else MAX_AGE
    return (low, high) if 0 <= low <= high <= MAX_AGE else None


def is_other_age(card: dict, ages: set[int]) -> bool:
    """A document whose service is for none of the stated ages (False when no age is stated or the
    document is for all ages). With several ages ("I am 35 and my son is 5") any of them will do."""
    if not ages:  # the usual case: no front matter is read on the search's hot path
        return False
    limits = age_range(card.get("ages"))
    return bool(limits and not any(limits[0] <= age <= limits[1] for age in ages))
