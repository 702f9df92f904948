"""Ages read from residents' messages, and documents for another age group (no model needed)."""

import pytest

from bot.ages import age_range, ages_in, is_other_age


@pytest.mark.parametrize("text, ages", [
    ("meidän 2-vuotias ei vielä puhu", {2}),
    ("16v nuuskaa ja juo", {16}),
    ("16 v. tyttö", {16}),
    ("80-vuotiaalle äidille kotihoitoa", {80}),
    ("75-vuotiaiden tilaisuus", {75}),
    ("kaksvuotias kuumeessa", {2}),
    ("Neljätoistavuotias poika", {14}),
    ("olen 15 ja masentunut", {15}),
    ("oon 75 enkä käytä palveluita", {75}),
    ("My daughter is 16 and she self-harms", {16}),
    ("a 7-year-old with asthma", {7}),
    ("he is 12 years old", {12}),
    ("min son är 7 år", {7}),
    ("en 16-åring som dricker", {16}),
    ("I am 35 and my son is 5.", {35, 5}),
])
def test_an_age_written_in_any_usual_way_is_read(text, ages):
    assert ages_in(text) == ages


@pytest.mark.parametrize("text", [
    "oon käyttäny kaks vuotta",              # a duration, not an age
    "olen ollut 15 vuotta töissä",
    "soita 116 117 tai 112",                 # phone numbers
    "Sotkamontie 13, Kajaani",
    "vuonna 2024 sain laskun",
    "he lives 5 km away",
    "meitä on 2 ja koira",
    "",
])
def test_numbers_that_are_not_ages_are_not_read_as_ages(text):
    assert ages_in(text) == set()


def test_a_document_for_another_age_group_is_recognised():
    youth = {"ages": [13, 17]}
    adults = {"ages": [18]}
    everyone: dict = {}
    assert is_other_age(adults, {16}) and not is_other_age(youth, {16})
    assert is_other_age(youth, {40}) and not is_other_age(adults, {40})
    assert not is_other_age(everyone, {16})
    assert not is_other_age(adults, set())            # no age stated: nothing moves
    assert not is_other_age(adults, {35, 5})          # a parent and a child: either age will do


@pytest.mark.parametrize("value, expected", [
    ([13, 17], (13, 17)), ([18], (18, 120)), ([0, 0], (0, 0)),
    ([17, 13], None), ([-1, 5], None), ([18, 200], None), (["13", 17], None), ([True], None),
    ([1, 2, 3], None), ([], None), ("13-17", None), (None, None),
])
def test_the_front_matter_range_is_read_strictly(value, expected):
    assert age_range(value) == expected
