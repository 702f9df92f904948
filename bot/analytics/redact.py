"""Removing personal data from resident text before anything is stored or logged.

Identifiers are replaced by a bracketed tag ([HETU], [PUHELIN], [SÄHKÖPOSTI], [IBAN], [OSOITE],
[NIMI]) so staff still see that something was there. Public service numbers (112, 116 117,
116 111) are kept because they are not personal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.municipalities import municipality_of_word

HETU_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"
# Century signs: + (1800s); - Y X W V U (1900s); A B C D E F (2000s) — the last ones since 2023.
HETU = re.compile(r"(?<![\w])(\d{2})(\d{2})(\d{2})\s?([-+YXWVUABCDEF])\s?(\d{3})([0-9A-Y])(?![\w])", re.IGNORECASE)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){3,7}(?:\s?[A-Z0-9]{1,3})?\b", re.IGNORECASE)
PHONE = re.compile(
    r"(?<![\w+])(?:\+|00)\d{1,3}[\s-]?\(?\d{1,4}\)?(?:[\s-]?\d{2,4}){2,4}(?!\w)"   # international
    r"|(?<![\w])0\d{1,3}[\s-]?\d{2,4}(?:[\s-]?\d{2,4}){0,3}(?!\w)"             # Finnish 0XX ...
)
STREET = re.compile(  # "Kauppakatu 12 B 5", "lönnrotinkatu 21 c 14", "Urho Kekkosen katu 5", "Storgatan 14 B"
    r"\b(?:[A-ZÅÄÖ][a-zåäö]+\s+)?[A-ZÅÄÖa-zåäö]+(?:\s|-)?"
    r"(?:tie|katu|kuja|polku|raitti|väylä|rinne|piha|gatan|vägen|gränd|road|street)"
    r"\s+\d{1,4}(?:\s?[A-Za-z](?:\s?\d{1,3})?)?\b"
)
_CAPITALISED = r"[A-ZÅÄÖ][a-zåäö]+"
_LEAD_ONE = r"(?i:nimeni on|mun nimi on|minun nimeni on|nimi on|nimeni:|nimi:|nimensä on|jag heter|my name is|name:)"
_LEAD_TWO = r"(?i:olen|oon|tässä|terveisin|t\.|jag är|i am|i'm|this is|mvh|hälsningar|regards,?)"
NAME_INTRO = re.compile(  # "my name is X [Y]", or "I am X Y" (two names: "olen Kajaanista" is no name)
    rf"(?:{_LEAD_ONE}\s+({_CAPITALISED}(?:\s+{_CAPITALISED})?)"
    rf"|\b{_LEAD_TWO},?\s+({_CAPITALISED}\s+{_CAPITALISED}))"
)
PUBLIC_NUMBERS = {"112", "116117", "116111"}


def hetu_is_valid(match: re.Match) -> bool:
    day, month, year, _sign, serial, check = match.groups()
    if not (1 <= int(day) <= 31 and 1 <= int(month) <= 12):
        return False
    return HETU_CHECK[int(day + month + year + serial) % 31] == check.upper()


def _looks_like_hetu(match: re.Match) -> bool:
    day, month = int(match.group(1)), int(match.group(2))
    return 1 <= day <= 31 and 1 <= month <= 12


@dataclass
class Redaction:
    text: str
    found: list[str] = field(default_factory=list)

    @property
    def had_personal_data(self) -> bool:
        return bool(self.found)


def redact(text: str) -> Redaction:
    found: list[str] = []

    def sub(pattern: re.Pattern, tag: str, kind: str, keep=None):
        nonlocal text

        def replace(match: re.Match) -> str:
            if keep and keep(match):
                return match.group(0)
            found.append(kind)
            return tag

        text = pattern.sub(replace, text)

    # A mistyped identity code is still personal data, so a plausible date is enough to redact.
    sub(HETU, "[HETU]", "hetu", keep=lambda m: not _looks_like_hetu(m))
    sub(EMAIL, "[SÄHKÖPOSTI]", "email")
    sub(IBAN, "[IBAN]", "iban", keep=lambda m: not re.match(r"^[A-Z]{2}\d{2}", m.group(0).upper()))
    sub(PHONE, "[PUHELIN]", "phone",
        keep=lambda m: re.sub(r"\D", "", m.group(0)) in PUBLIC_NUMBERS or len(re.sub(r"\D", "", m.group(0))) < 6)
    sub(STREET, "[OSOITE]", "address")

    def replace_name(match: re.Match) -> str:
        name = match.group(1) or match.group(2)
        if any(municipality_of_word(word) for word in name.split()):
            return match.group(0)
        found.append("name")
        return match.group(0).replace(name, "[NIMI]")

    text = NAME_INTRO.sub(replace_name, text)
    return Redaction(text=text, found=found)


PLACEHOLDER = re.compile(r"\[(?:HETU|SÄHKÖPOSTI|IBAN|PUHELIN|OSOITE|NIMI)\]")


def without_placeholders(text: str) -> str:
    """Redacted text for searching: the placeholders are not words a service description would contain."""
    return " ".join(PLACEHOLDER.sub(" ", text).split())
