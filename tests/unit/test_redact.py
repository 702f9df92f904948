import pytest

from bot.analytics.redact import HETU, hetu_is_valid, redact


@pytest.mark.parametrize("text", [
    "hetu 131052-308T", "131052-308t", "010594Y9032", "020500A906M", "290201B9970", "311299-9872",
    "minun tunnus on 131052-308T kiitos", "150303E876A",
])
def test_identity_codes_are_redacted_in_every_century_form(text):
    result = redact(text)
    assert "[HETU]" in result.text and "hetu" in result.found
    assert not any(ch.isdigit() for ch in result.text.split("[HETU]")[0][-3:])


def test_checksum_is_computed_per_the_standard():
    assert hetu_is_valid(HETU.search("131052-308T"))
    assert not hetu_is_valid(HETU.search("131052-308U"))


@pytest.mark.parametrize("text", ["soita 040 123 4567", "numero 0401234567", "+358 40 123 4567", "puh. 08-6156 5635",
                                  "+46 70 123 45 67", "0044 20 7946 0958"])
def test_phone_numbers_are_redacted(text):
    assert "[PUHELIN]" in redact(text).text


@pytest.mark.parametrize("text", ["soita 112", "päivystysapu 116 117", "lasten puhelin 116111"])
def test_public_emergency_numbers_stay(text):
    assert redact(text).text == text


def test_email_iban_address_and_introduced_names():
    result = redact("olen Matti Meikäläinen, maili matti@example.fi, tili FI21 1234 5600 0007 85, asun Kauppakatu 12 B")
    assert "Matti" not in result.text and "example" not in result.text and "FI21" not in result.text
    assert "Kauppakatu" not in result.text
    assert set(result.found) == {"name", "email", "iban", "address"}


@pytest.mark.parametrize("text", ["Haluan ajan Kajaanin terveysasemalle", "olen Kajaanista", "Omasote ei toimi",
                                  "Mistä saan omaishoidon tukea Sotkamossa?", "Kainuun keskussairaala päivystys"])
def test_service_words_are_not_redacted(text):
    assert redact(text).text == text
