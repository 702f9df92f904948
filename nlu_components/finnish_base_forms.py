"""Finnish word → Voikko base form, for the VoikkoLemmatizer component (nlu_components/voikko_lemmas.py).

Kept free of Rasa imports (bot.spoken_finnish has no imports at all) so it can be tried from either
virtualenv (both pin libvoikko 4.3; the Debian packages libvoikko1 and voikko-fi provide the library
and the Finnish dictionary).
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any, Dict, List, Optional

from bot.spoken_finnish import SPOKEN_FORMS  # one list for the NLU and the retrieval lemmatizer

_UMLAUT_FREE = str.maketrans("äöå", "aoa")
_COMPOUND_PART = re.compile(r"\(([^)]+)\)")


class VoikkoUnavailable(RuntimeError):
    """libvoikko or its Finnish dictionary is missing: a clear message instead of a ctypes traceback."""


def open_voikko() -> Any:
    try:
        import libvoikko

        return libvoikko.Voikko("fi")
    except (ImportError, OSError) as error:  # OSError: libvoikko.so.1 or the fi dictionary missing
        raise VoikkoUnavailable(
            f"Voikko lemmas need the Python module libvoikko (requirements/rasa.lock) and the Debian packages "
            f"libvoikko1 and voikko-fi (scripts/setup.sh installs them): {error}") from error


class FinnishBaseForms:
    """Word → lower-case Voikko base form; unknown words try spoken forms, then restored ä/ö.

    `compound_parts` appends the parts of a compound after the base form, separated by spaces
    ("hammaslääkärille" → "hammaslääkäri hammas lääkäri"): CountVectorsFeaturizer splits a token's
    lemma on spaces, so the parts become extra words.
    """

    def __init__(self, compound_parts: bool = False) -> None:
        self._voikko = open_voikko()
        self._lock = threading.Lock()  # a Voikko handle is not thread-safe
        self._compound_parts = compound_parts
        self.base_form = lru_cache(maxsize=100_000)(self._base_form)

    def _analyse(self, word: str) -> List[Dict[str, str]]:
        with self._lock:
            return self._voikko.analyze(word)

    def _umlaut_restored(self, word: str) -> Optional[str]:
        """"hammaslaakari" → "hammaslääkäri": a Voikko suggestion that differs only by ä/ö.

        Other suggestions are not used: for spoken forms they are wrong words ("mun" → "muna").
        """
        if not any(c in word for c in "ao"):
            return None
        with self._lock:
            suggestions = self._voikko.suggest(word)
        folded = word.translate(_UMLAUT_FREE)
        return next((s.lower() for s in suggestions[:5] if s.lower().translate(_UMLAUT_FREE) == folded), None)

    def _base_form(self, word: str) -> str:
        word = word.lower()
        if not word.isalpha():  # numbers, punctuation, "b-lausunto": featurizers handle the text
            return word
        if word in SPOKEN_FORMS:
            return SPOKEN_FORMS[word]
        analyses = self._analyse(word)
        if not analyses:
            restored = self._umlaut_restored(word)
            analyses = self._analyse(restored) if restored else []
        if not analyses:
            return word
        analysis = analyses[0]
        base = (analysis.get("BASEFORM") or word).lower()
        if self._compound_parts:
            parts = [p.lower() for p in _COMPOUND_PART.findall(analysis.get("WORDBASES") or "")
                     if not p.startswith("+") and p.lower() != base]
            if len(parts) >= 2:
                return " ".join([base, *dict.fromkeys(parts)])
        return base
