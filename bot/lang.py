"""Which language a resident writes in: Finnish, Swedish or English (Finnish when unsure)."""

from __future__ import annotations

from bot.text import fold, words

SUPPORTED = ("fi", "sv", "en")

# Frequent function words and service words that are distinctive for each language (folded).
_MARKERS = {
    "sv": {"jag", "och", "att", "det", "som", "inte", "har", "hur", "var", "vad", "kan", "min", "mitt",
           "till", "med", "for", "pa", "av", "ett", "vill", "behover", "hej", "tack", "tid", "boka",
           "tandlakare", "halsocentral", "svenska", "pa svenska", "barn", "hjalp", "jour", "ar", "du", "om", "mig"},
    "en": {"i", "the", "and", "to", "is", "my", "how", "where", "what", "can", "need", "do", "does", "of",
           "for", "in", "an", "a", "with", "hello", "hi", "thanks", "thank", "you", "please", "book",
           "appointment", "doctor", "dentist", "english", "help", "want", "get", "are", "there", "it"},
    "fi": {"mina", "ja", "on", "ei", "miten", "missa", "mista", "mika", "voin", "saan", "haluan", "tarvitsen",
           "kuinka", "onko", "mulla", "mun", "ma", "etta", "kun", "jos", "se", "tama", "tää", "taa", "voiko",
           "pitaa", "hei", "moi", "kiitos", "aika", "ajan", "varata", "lapsi", "apua", "suomeksi", "ole", "olen"},
}


def detect_language(text: str, default: str = "fi") -> str:
    tokens = [fold(w) for w in words(text)]
    if not tokens:
        return default
    scores = {lang: sum(1 for t in tokens if t in markers) for lang, markers in _MARKERS.items()}
    # Finnish words are long and inflected; few hit the marker list, so a Finnish-looking ending counts too.
    scores["fi"] += sum(1 for t in tokens if len(t) > 5 and t.endswith(("ssa", "ssa", "sta", "lla", "lle", "lta",
                                                                      "aan", "een", "iin", "ksi", "nen", "ista")))
    best = max(scores, key=lambda lang: (scores[lang], lang == default))
    return best if scores[best] > 0 else default
