"""Small text helpers shared by retrieval, safety and NLU glue."""

from __future__ import annotations

import re
import unicodedata

_FOLD = str.maketrans({"ä": "a", "ö": "o", "å": "o", "Ä": "a", "Ö": "o", "Å": "o"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE)


def clean(text: str) -> str:
    """NFC, control characters removed, whitespace collapsed."""
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub(" ", text)
    return re.sub(r"\s+", " ", text).strip()


def fold(text: str) -> str:
    """Lowercase with ä/ö/å folded, so 'hammaslaakari' and 'hammaslääkäri' meet."""
    return text.lower().translate(_FOLD)


def words(text: str) -> list[str]:
    return WORD.findall(text)
