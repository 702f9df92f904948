"""The words of the event log in one place: decisions, reasons, and what counts as unresolved.

The codes are exactly what bot/chat.py, bot/dialogue.py and actions/actions.py log; the Finnish
labels are what the staff console and the weekly report show. docs/analytics.md explains them.
"""

from __future__ import annotations

DECISIONS: dict[str, str] = {
    "answer": "Vastattu",
    "clarify": "Tarkentava kysymys",
    "fallback": "Ei vastausta",
    "decline": "Rajattu pois",
    "handoff": "Ohjattu ihmiselle",
    "emergency": "Hätätilanne (112)",
    "crisis": "Kriisi (112 ja kriisipuhelin)",
    "smalltalk": "Keskustelu (tervehdys, kiitos, kielen vaihto)",
}

# Why a turn was unresolved. `out_of_scope` always carries its kind: out_of_scope:medical_advice.
REASONS: dict[str, str] = {
    "no_match": "Ei osumaa tietopankissa",
    "low_confidence": "Epävarma osuma",
    "out_of_scope": "Aiheen ulkopuolella",
    "personal_data": "Henkilötietoja viestissä",
    "human_requested": "Pyysi ihmistä",
    "negative_feedback": "Kielteinen palaute",
    "technical_error": "Tekninen virhe",
}

OUT_OF_SCOPE_KINDS: dict[str, str] = {
    "personal_records": "omat tiedot",
    "medical_advice": "lääketieteellinen neuvonta",
    "clinical_action": "reseptit, todistukset, lähetteet",
    "opinion_politics": "mielipiteet ja politiikka",
    "off_topic": "ei liity palveluihin",
}

# Logged with a clarifying question but not a failure in itself.
CLARIFY_REASONS: dict[str, str] = {"municipality_unknown": "Kunta puuttui"}

# Logged with emergency and crisis decisions: the safety category (bot/safety.py).
SAFETY_CATEGORIES: dict[str, str] = {
    "suicide": "itsetuhoisuus",
    "poisoning": "myrkytys",
    "violence_now": "väkivalta nyt",
    "unconscious": "tajuttomuus",
    "breathing": "hengitysvaikeus",
    "bleeding": "verenvuoto",
    "stroke": "aivoverenkiertohäiriö",
    "chest_pain": "rintakipu",
    "social_emergency": "sosiaalipäivystys",
}

UNRESOLVED_DECISIONS = ("fallback", "decline", "handoff")
# Logged for messages a resident writes to an advisor during a live handoff (decision "handoff").
IN_HANDOFF = "in_handoff"
NEGATIVE_FEEDBACK = 0  # chat.py logs feedback as 1 (positive) or 0 (negative); NULL = none given


def is_unresolved(decision: str | None, reason: str | None, feedback: int | None) -> bool:
    """The bot did not settle the resident's matter in this turn.

    A fallback, a refusal or a hand-off; negative feedback on an answer; or personal data in the
    message (the matter needs personal handling). A clarifying question is a step, not an outcome:
    when it fails, the next turn is a fallback and counts there. Emergencies and crises are handled
    correctly by sending the resident to 112, so they are counted apart.
    """
    if reason == IN_HANDOFF:  # the resident is talking with an advisor: counted once, when handed over
        return False
    return (decision in UNRESOLVED_DECISIONS or feedback == NEGATIVE_FEEDBACK
            or reason == "personal_data")


def unresolved_reasons() -> list[str]:
    """Every concrete reason code a staff member may set, out_of_scope expanded by kind."""
    codes = [code for code in REASONS if code != "out_of_scope"]
    codes[2:2] = [f"out_of_scope:{kind}" for kind in OUT_OF_SCOPE_KINDS]
    return codes


def validate_reason(code: str) -> str:
    """`code` if it is a known unresolved reason, else a ValueError listing the allowed ones."""
    if code in unresolved_reasons():
        return code
    raise ValueError(f"unknown reason {code!r}; use one of: {', '.join(unresolved_reasons())}")


def reason_label(code: str | None) -> str:
    """Finnish label for any logged reason code; unknown codes are shown as they are."""
    if not code:
        return ""
    if code.startswith("out_of_scope:"):
        kind = code.split(":", 1)[1]
        return f"{REASONS['out_of_scope']}: {OUT_OF_SCOPE_KINDS.get(kind, kind)}"
    for table in (REASONS, CLARIFY_REASONS, SAFETY_CATEGORIES):
        if code in table:
            return table[code]
    return code


def decision_label(code: str | None) -> str:
    return DECISIONS.get(code or "", code or "")
