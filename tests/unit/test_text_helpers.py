import pytest

from bot.lang import detect_language
from bot.municipalities import find_municipality


@pytest.mark.parametrize("text,expected", [
    ("Kajaanissa", "Kajaani"), ("kuhmoon", "Kuhmo"), ("Sotkamosta", "Sotkamo"), ("Suomussalmelle", "Suomussalmi"),
    ("Puolangalla", "Puolanka"), ("Hyrynsalmen", "Hyrynsalmi"), ("ristijarvella", "Ristijärvi"), ("Paltamossa", "Paltamo"),
    ("hammaslääkäri", None), ("kajaanilaisille", "Kajaani"),
])
def test_municipality_in_any_inflected_form(text, expected):
    assert find_municipality(f"tarvitsen apua {text}") == expected


@pytest.mark.parametrize("text,lang", [
    ("missä on lähin terveysasema", "fi"), ("en jaksa enää", "fi"), ("hur bokar jag tid till tandläkaren", "sv"),
    ("where can I get a flu vaccine", "en"), ("hammaslaakari kajaanissa", "fi"), ("", "fi"),
])
def test_language_detection(text, lang):
    assert detect_language(text) == lang
