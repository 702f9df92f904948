"""Finnish lemmas with Voikko: base forms, compound parts and spelling suggestions for unknown words."""

from __future__ import annotations

import re
import threading
from functools import lru_cache

from bot.spoken_finnish import SPOKEN_FORMS
from bot.text import fold, words

# "päihde- ja riippuvuuspalvelut", "sosiaali-, terveys- tai pelastustoimi": the first words borrow the
# last word's head, so the text also means "päihdepalvelut" and "sosiaalitoimi".
_SHARED_HEAD = re.compile(r"((?:[^\W\d_]+-,?\s+)+)(?:ja|tai|sekä|eli|och|eller)\s+([^\W\d_]+)", re.IGNORECASE)
_FRAGMENT = re.compile(r"([^\W\d_]+)-")
# Voikko's WORDBASES, "+riippu(riippua)+vu(+a)+us(+us)+palvel(palvella)+u(+u)": (surface, base) segments;
# a base starting with "+" is a derivational ending, any other is a root (a compound part).
_SEGMENT = re.compile(r"\+([^+(]+)\(([^)]*)\)")


def _segments(analysis: dict) -> list[tuple[str, str]]:
    return _SEGMENT.findall(analysis.get("WORDBASES", ""))


def _is_root(base: str) -> bool:
    return bool(base) and not base.startswith("+")


class FinnishLemmatizer:
    """Turns text into folded lemma tokens for BM25.

    Each word yields all its Voikko base forms plus, for compounds, the base forms of the parts
    ("omaishoidontuesta" → omaishoidontuki, omainen, hoito, tuki). A word Voikko does not know is
    replaced by its first spelling suggestion (repairs typos and missing ä/ö), else kept as is.
    Spoken chat words ("oon", "pitäis", "kaks") become their standard base form first
    (bot/spoken_finnish.py): as rare tokens they would weigh like topic words in BM25.
    """

    def __init__(self, suggest: bool = True) -> None:
        import libvoikko  # imported here: the Debian library must be installed (set-up does it)

        self._voikko = libvoikko.Voikko("fi")
        self._suggest = suggest
        self._lock = threading.Lock()  # a Voikko handle is not thread-safe
        self._cached_readings = lru_cache(maxsize=200_000)(self._readings_of_word)
        self._cached_plain_readings = lru_cache(maxsize=200_000)(lambda word: self._readings_of_word(word, suggest=False))
        self._restored = lru_cache(maxsize=50_000)(self._umlauts_restored)
        self._heads = lru_cache(maxsize=50_000)(self._compound_heads)

    def _analyse(self, word: str) -> list[dict]:
        with self._lock:
            return self._voikko.analyze(word)

    def _readings_of_word(self, word: str, suggest: bool = True) -> tuple[tuple[str, ...], ...]:
        """The word's alternative readings, each as the lemmas it stands for: a base form alone, or the
        parts of a compound ("omaishoidontuesta" → (omaishoidontuki,), (omainen, hoito, tuki))."""
        if word in SPOKEN_FORMS:
            return ((fold(SPOKEN_FORMS[word]),),)
        analyses = self._analyse(word)
        if not analyses and suggest and self._suggest and len(word) > 3:
            with self._lock:
                suggestions = self._voikko.suggest(word)
            if suggestions:
                analyses = self._analyse(suggestions[0])
        if not analyses:
            return ((fold(word),),)
        readings = [(fold(a.get("BASEFORM") or ""), [base for _, base in _segments(a) if _is_root(base)]) for a in analyses]
        alternatives = [(base,) for base, _ in readings if base]
        simple = {base for base, parts in readings if len(parts) < 2}
        for base, parts in readings:
            # A compound reading of another word than a simple reading is a misreading: Voikko also reads
            # "kuuluu" (belongs) as kuu + luu (moon + bone), and such parts matched unrelated chunks.
            # "hätäkeskus", also read as a simple proper name, keeps hätä + keskus.
            if len(parts) >= 2 and (not simple or base in simple):
                alternatives.append(tuple(fold(part) for part in parts))
        return tuple(dict.fromkeys(alternatives))

    def _umlauts_restored(self, word: str) -> str:
        if len(word) <= 3 or fold(word) != word.lower() or self._analyse(word):
            return word
        with self._lock:
            suggestions = self._voikko.suggest(word)
        # Only a suggestion that differs by ä/ö/å alone: other suggestions turn spoken forms into wrong words.
        for suggestion in suggestions[:5]:
            if fold(suggestion) == word.lower():
                return suggestion if word.islower() else suggestion.capitalize()
        return word

    def restore_umlauts(self, text: str) -> str:
        """'laakari kuhmossa' -> 'lääkäri kuhmossa': the embedding model reads the real word far better."""
        return re.sub(r"\w+", lambda m: self._restored(m.group(0)), text)

    def _compound_heads(self, word: str) -> tuple[str, ...]:
        """The base forms of the last part of a compound ("riippuvuuspalveluihin" → palvelu); none for a simple word."""
        heads = []
        for analysis in self._analyse(word):
            segments = _segments(analysis)
            roots = [i for i, (_, base) in enumerate(segments) if _is_root(base)]
            if len(roots) >= 2:  # the head is the last root with its derivational endings
                head = "".join(surface for surface, _ in segments[roots[-1]:])
                if analysis.get("BASEFORM", "").endswith(head):
                    heads.append(fold(head))
        return tuple(dict.fromkeys(heads))

    def shared_head_compounds(self, text: str) -> list[str]:
        """Folded lemmas of the compounds a hyphen leaves implicit: "päihde- ja riippuvuuspalvelut" → paihdepalvelu.

        Titles and summaries write services this way, and residents then ask for "päihdepalvelut":
        without the implicit compound BM25 sees only the part "päihde".
        """
        compounds: list[str] = []
        for match in _SHARED_HEAD.finditer(text):
            heads = self._heads(match.group(2).lower())
            for fragment in _FRAGMENT.findall(match.group(1)):
                compounds.extend(fold(fragment) + head for head in heads)
        return compounds

    def _words(self, text: str) -> list[str]:
        """Lower-cased words, hyphenated ones split ("covid-rokote" → covid, rokote)."""
        return [part.lower() for word in words(text) for part in word.split("-") if part]

    def lemmas(self, text: str, suggest: bool = True) -> list[str]:
        """Lemma tokens, every lemma of every reading of every word (once a word); `suggest=False` for
        non-Finnish text, where Finnish "corrections" are noise."""
        return [lemma for readings in self.word_readings(text, suggest)
                for lemma in dict.fromkeys(lemma for reading in readings for lemma in reading)]

    def word_readings(self, text: str, suggest: bool = True) -> list[tuple[tuple[str, ...], ...]]:
        """For each word, its alternative readings (see `_readings_of_word`), for scoring a word by its
        best reading; an implicit hyphen compound (`shared_head_compounds`) counts as a word of its own."""
        readings_of = self._cached_readings if suggest else self._cached_plain_readings
        readings = [readings_of(word) for word in self._words(text)]
        if "-" in text:
            readings.extend(((compound,),) for compound in self.shared_head_compounds(text))
        return readings


@lru_cache(maxsize=1)
def shared_lemmatizer() -> FinnishLemmatizer:
    return FinnishLemmatizer()
