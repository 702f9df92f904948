import pytest

from bot.lang import detect_language
from bot.municipalities import find_municipality, is_elsewhere, places_of


@pytest.mark.parametrize("text,expected", [
    ("Kajaanissa", "Kajaani"), ("kuhmoon", "Kuhmo"), ("Sotkamosta", "Sotkamo"), ("Suomussalmelle", "Suomussalmi"),
    ("Puolangalla", "Puolanka"), ("Hyrynsalmen", "Hyrynsalmi"), ("ristijarvella", "Ristijärvi"), ("Paltamossa", "Paltamo"),
    ("hammaslääkäri", None), ("kajaanilaisille", "Kajaani"),
])
def test_municipality_in_any_inflected_form(text, expected):
    assert find_municipality(f"tarvitsen apua {text}") == expected


@pytest.mark.parametrize("text,expected", [
    ("mökillä Vuokatissa", "Sotkamo"), ("asun Vuolijoella", "Kajaani"), ("Otanmäen kylällä", "Kajaani"),
    ("Kontiomäeltä", "Paltamo"), ("Ämmänsaaressa", "Suomussalmi"), ("Hossaan lomalle", "Suomussalmi"),
    ("Ukkohallalla", "Hyrynsalmi"), ("Lentiiran kylässä", "Kuhmo"), ("tandläkare i Kajana", "Kajaani"),
    ("vuokraan asunnon", None), ("hossu", None),
])
def test_villages_and_the_swedish_name_lead_to_their_municipality(text, expected):
    assert find_municipality(text) == expected


@pytest.mark.parametrize("text,lang", [
    ("missä on lähin terveysasema", "fi"), ("en jaksa enää", "fi"), ("hur bokar jag tid till tandläkaren", "sv"),
    ("where can I get a flu vaccine", "en"), ("hammaslaakari kajaanissa", "fi"), ("", "fi"),
])
def test_language_detection(text, lang):
    assert detect_language(text) == lang


def test_documents_specific_to_another_municipality_are_elsewhere():
    county_wide = {"id": "paivystys", "municipalities": []}
    kuhmo = {"id": "terveysasema-kuhmo", "municipalities": ["Kuhmo"]}
    assert places_of(county_wide) == [] and places_of({"id": "no-field"}) == []
    assert is_elsewhere(kuhmo, "Sotkamo")
    assert not is_elsewhere(kuhmo, "Kuhmo")
    assert not is_elsewhere(county_wide, "Sotkamo")  # serves everyone
    assert not is_elsewhere(kuhmo, None)  # the resident's municipality is unknown
