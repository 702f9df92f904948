"""Recognising the eight Kainuu municipalities in any inflected form (Kajaanissa, Kuhmoon, Puolangalta…)."""

from __future__ import annotations

from bot.kb.documents import MUNICIPALITIES
from bot.text import fold, words

# Folded stems every inflected form starts with (Finnish consonant gradation: Puolanka → Puolangan).
_STEMS = {
    "hyrynsalm": "Hyrynsalmi",
    "kajaan": "Kajaani",
    "kuhmo": "Kuhmo",
    "paltamo": "Paltamo",
    "puolang": "Puolanka",
    "puolank": "Puolanka",
    "ristijarv": "Ristijärvi",
    "sotkamo": "Sotkamo",
    "suomussalm": "Suomussalmi",
}
assert set(_STEMS.values()) == set(MUNICIPALITIES)
# Villages and centres residents name instead of their municipality ("mökillä Vuokatissa"), and the
# Swedish name of Kajaani. Folded stems as above; each place lies in exactly one municipality.
_PLACE_STEMS = {
    "kajana": "Kajaani",          # Swedish: i Kajana, Kajanas
    "vuolijo": "Kajaani",         # Vuolijoki joined Kajaani in 2007
    "otanma": "Kajaani",          # Otanmäki, Otanmäen, Otanmäessä
    "vuokat": "Sotkamo",
    "kontioma": "Paltamo",
    "ukkohall": "Hyrynsalmi",
    "lentiir": "Kuhmo",
    "ammansaar": "Suomussalmi",   # the centre of Suomussalmi
    "hossa": "Suomussalmi",
}


def municipality_of_word(word: str) -> str | None:
    folded = fold(word)
    for stem, name in _STEMS.items():
        # "kuhmolainen" and "kajaanilaiset" name people of the town: still the municipality
        if folded.startswith(stem) and len(folded) - len(stem) <= 12:
            return name
    for stem, name in _PLACE_STEMS.items():
        if folded.startswith(stem) and len(folded) - len(stem) <= 6:
            return name
    return None


def find_municipality(text: str) -> str | None:
    """The first municipality mentioned in the text, in its basic form."""
    for word in words(text):
        name = municipality_of_word(word)
        if name:
            return name
    return None


def without_municipalities(text: str) -> str:
    """The text with municipality names removed: the place filters results, it is not the topic."""
    kept = [w for w in text.split() if not municipality_of_word(w.strip(".,!?;:()\"'"))]
    return " ".join(kept)


def places_of(card: dict) -> list[str]:
    """The municipalities a document (its card) is specific to; empty when it serves the whole county."""
    return card.get("municipalities") or []


def is_elsewhere(card: dict, municipality: str | None) -> bool:
    """A document specific to other municipalities than the resident's own (False if we do not know theirs)."""
    places = places_of(card)
    return bool(municipality and places and municipality not in places)
