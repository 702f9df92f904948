"""Synthetic event log for demos, tests and benchmarks: believable Kainuu traffic, no real residents.

Conversations arrive by weekday and hour (office-hours peaks, evenings, quiet nights), come from
the eight municipalities by population (Kajaani biggest) or name none, are mostly in Finnish, and
end in the decisions and reasons the real bot logs. Unanswered turns carry Finnish texts built
from templates around recurring themes, one of which (flu vaccination) grows in the last weeks so
topic trends have something to show. Conversation ids start with "sim-" so the data is easy to
tell apart (and to delete) if it is ever loaded into a real database.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Engine

from bot.analytics.store import TurnEvent, event_row
from bot.db.tables import events
from bot.service_hours import DEFAULT_HOURS, HELSINKI, ServiceHours

MUNICIPALITY_POPULATION = {  # residents, rounded (Statistics Finland 2023)
    "Kajaani": 36_600, "Sotkamo": 10_200, "Kuhmo": 8_000, "Suomussalmi": 7_600,
    "Paltamo": 3_200, "Puolanka": 2_400, "Hyrynsalmi": 2_100, "Ristijärvi": 1_200,
}
INESSIVE = {"Kajaani": "Kajaanissa", "Sotkamo": "Sotkamossa", "Kuhmo": "Kuhmossa", "Suomussalmi": "Suomussalmella",
            "Paltamo": "Paltamossa", "Puolanka": "Puolangalla", "Hyrynsalmi": "Hyrynsalmella",
            "Ristijärvi": "Ristijärvellä"}
WEEKDAY_WEIGHT = (1.3, 1.15, 1.05, 1.0, 0.9, 0.45, 0.5)
HOUR_WEIGHT = (0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.6, 1.5, 2.6, 2.8, 2.6, 2.3, 2.2, 2.3, 2.1, 1.9,
               1.6, 1.4, 1.5, 1.8, 1.9, 1.6, 1.0, 0.5)
LANGS = (("fi", 0.92), ("en", 0.05), ("sv", 0.03))
DOCS = ("hammashoito", "terveysasema-kajaani", "neuvola", "rokotukset", "reseptin-uusiminen", "laboratorio",
        "kotihoito", "asiakasmaksut", "sairausmatkat", "fysioterapia", "mielenterveyspalvelut-aikuiset",
        "toimeentulotuki", "vastaanottoajan-peruminen", "palveluneuvonta", "apuvalineet", "keskussairaala")

# theme → (templates, documents a resident would have been shown). {kunta} is "" or " Kajaanissa".
THEMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "pysäköinti": (("missä voi pysäköidä keskussairaalan luona", "maksaako parkkipaikka sairaalalla",
                    "onko terveysaseman pihalla parkkipaikkoja{kunta}", "pysäköinti keskussairaala hinta",
                    "mihin auton voi jättää kun menee sairaalaan"), ("keskussairaala",)),
    "rokotus": (("milloin saa influenssarokotteen{kunta}", "missä voi käydä koronarokotuksessa{kunta}",
                 "influenssarokote ajanvaraus", "saako ilmaisen influenssarokotteen yli 65-vuotias",
                 "rokotusaika lapselle influenssa{kunta}", "kausi-influenssarokotus milloin alkaa"), ("rokotukset",)),
    "laskut": (("lasku tuli kotiin, voiko sen maksaa osissa", "asiakasmaksu on liian suuri mitä teen",
                "en ole saanut laskua käynnistä", "miksi minulta laskutettiin peruttu aika",
                "maksukatto täyttyi mutta laskuja tulee"), ("asiakasmaksut",)),
    "tulokset": (("missä näen laboratoriotulokset", "koska verikokeen tulokset tulevat",
                  "haluan nähdä röntgenkuvien lausunnon", "tulokset eivät näy omakannassa"), ("laboratorio",)),
    "ajanvaraus": (("miten varaan ajan netistä{kunta}", "ajanvaraus ei toimi omasotessa",
                    "voiko lääkäriajan varata verkossa", "nettiajanvaraus hammaslääkärille{kunta}"),
                   ("hammashoito", "terveysasema-kajaani")),
    "sairausmatka": (("miten tilaan kela-taksin sairaalaan", "sairausmatkan korvaus hakemus",
                      "taksi lääkäriin{kunta} mistä tilaan", "saako matkakulut takaisin"), ("sairausmatkat",)),
    "hammasjono": (("miksi hammaslääkäriin on niin pitkä jono{kunta}", "hammaslääkärijono kuinka kauan",
                    "en saa hammaslääkäriaikaa mistään", "hammashoitoon pääsy kestää kuukausia"), ("hammashoito",)),
    "kotihoito": (("äidin kotihoito ei käynyt tänään", "kotihoidon käynnit myöhässä{kunta}",
                   "miten haen isälle kotihoitoa", "kotihoidon asiakasmaksu kuinka paljon"), ("kotihoito",)),
    "hoitotarvikkeet": (("diabetesliuskat mistä saa", "hoitotarvikejakelu aukioloajat{kunta}",
                         "vaipat hoitotarvikkeena miten", "insuliinikynän neulat ilmaiseksi"), ("apuvalineet",)),
}
DECLINE_THEMES = {
    "off_topic": ("onko hyvinvointialueella kesätöitä", "mikä on sää huomenna{kunta}", "kerro vitsi",
                  "paljonko bussilippu maksaa"),
    "medical_advice": ("montako buranaa saa ottaa päivässä", "onko tämä ihottuma vaarallinen",
                       "voiko antibiootin kanssa juoda alkoholia"),
    "clinical_action": ("uusitko reseptini", "tarvitsen sairauslomatodistuksen", "kirjoita lähete fysioterapiaan"),
    "personal_records": ("mitkä ovat minun laboratoriotulokseni", "milloin minun aikani on", "näytä potilastietoni"),
    "opinion_politics": ("miksi terveysasema suljetaan{kunta}", "mitä mieltä olet sote-uudistuksesta"),
}
HUMAN_TEXTS = ("haluan puhua ihmisen kanssa", "voinko soittaa jollekin", "palveluneuvoja kiitos",
               "yhdistä oikealle ihmiselle", "en halua jutella botin kanssa")
PERSONAL_DATA_TEXTS = ("soitatteko minulle numeroon [PUHELIN]", "hetuni on [HETU], missä tulokseni",
                       "olen [NIMI] ja tarvitsen ajan{kunta}", "laittakaa vastaus osoitteeseen [SÄHKÖPOSTI]")
ANSWERED = {  # document → questions it answers (a rated answer's question comes from here)
    "hammashoito": ("hammaslääkärin ajanvaraus{kunta}", "hammashoitolan puhelinnumero{kunta}"),
    "neuvola": ("neuvolan yhteystiedot{kunta}", "miten pääsen neuvolaan raskauden alussa"),
    "reseptin-uusiminen": ("reseptin uusiminen", "miten uusin reseptin"),
    "terveysasema-kajaani": ("terveysaseman aukioloajat{kunta}", "lääkärin vastaanotto{kunta}"),
    "fysioterapia": ("fysioterapiaan hakeutuminen", "pääseekö fysioterapiaan ilman lähetettä"),
    "asiakasmaksut": ("paljonko lääkärikäynti maksaa", "asiakasmaksut terveysasemalla"),
    "kotihoito": ("kotihoidon hakeminen", "kotihoito omaiselle{kunta}"),
    "laboratorio": ("laboratorion aukioloajat{kunta}", "verikokeisiin ajanvaraus"),
}
OTHER_LANG_TEXTS = {"en": ("where can I park at the hospital", "how do I book a dentist", "I want to talk to a person"),
                    "sv": ("var kan jag parkera vid sjukhuset", "hur bokar jag tid till tandläkare")}
PREFIXES = ("", "", "", "hei ", "moi, ", "kysyisin ", "hei, ", "hyvää päivää, ", "tiedätkö ", "saisinko tietoa: ",
            "apua, ", "anteeksi mutta ")
SUFFIXES = ("", "", "?", "?", " kiitos", "??", " kiitos etukäteen", ".", " t. asukas", " pikaisesti", " :(")
DECLINE_KINDS = (("off_topic", 0.35), ("medical_advice", 0.25), ("clinical_action", 0.2),
                 ("personal_records", 0.15), ("opinion_politics", 0.05))
SAFETY = (("chest_pain", "emergency"), ("breathing", "emergency"), ("stroke", "emergency"),
          ("suicide", "crisis"), ("social_emergency", "emergency"))


@dataclass
class SimulationSummary:
    events: int
    conversations: int
    seconds: float


class _Generator:
    def __init__(self, rng: random.Random, first_day: date, days: int, end_ts: float) -> None:
        self.rng = rng
        self.first_day, self.days, self.end_ts = first_day, days, end_ts
        self.start_ts = datetime.combine(first_day, datetime.min.time(), HELSINKI).timestamp()
        self.municipalities = list(MUNICIPALITY_POPULATION)
        self.population = list(MUNICIPALITY_POPULATION.values())

    def choose(self, weighted):
        items, weights = zip(*weighted)
        return self.rng.choices(items, weights)[0]

    def start_time(self, day: date) -> float:
        """A conversation start on `day`: the hour follows the daily rhythm (Helsinki clock), never after the end."""
        rng = self.rng
        while True:
            hour = rng.choices(range(24), HOUR_WEIGHT)[0]
            ts = datetime(day.year, day.month, day.day, hour, tzinfo=HELSINKI).timestamp() + rng.random() * 3600
            if ts <= self.end_ts:
                return ts

    def day_quotas(self, count: int) -> list[tuple[date, int]]:
        """`count` events shared over the days by weekday weight (the last day only up to its end)."""
        days = [self.first_day + timedelta(days=i) for i in range(self.days)]
        weights = [WEEKDAY_WEIGHT[day.weekday()] for day in days]
        end = datetime.fromtimestamp(self.end_ts, HELSINKI)
        elapsed = sum(HOUR_WEIGHT[:end.hour]) + HOUR_WEIGHT[end.hour] * end.minute / 60
        weights[-1] *= elapsed / sum(HOUR_WEIGHT)
        total = sum(weights)
        quotas = [int(count * w / total) for w in weights]
        by_remainder = sorted(range(len(days)), key=lambda i: count * weights[i] / total - quotas[i], reverse=True)
        for i in by_remainder[:count - sum(quotas)]:
            quotas[i] += 1
        return list(zip(days, quotas))

    def text(self, templates, municipality: str | None, lang: str) -> str:
        rng = self.rng
        if lang != "fi":
            return rng.choice(OTHER_LANG_TEXTS[lang])
        place = f" {INESSIVE[municipality]}" if municipality and rng.random() < 0.7 else ""
        body = rng.choice(templates).replace("{kunta}", place)
        if rng.random() < 0.25:  # residents type fast: a missing letter, no umlauts
            cut = rng.randrange(len(body))
            body = body[:cut] + body[cut + 1:] if rng.random() < 0.6 else body.replace("ä", "a").replace("ö", "o")
        return f"{rng.choice(PREFIXES)}{body}{rng.choice(SUFFIXES)}"

    def theme(self, ts: float) -> str:
        """Recurring themes; flu vaccination grows in the last three weeks of the period."""
        progress = (ts - self.start_ts) / (self.days * 86_400)
        weights = {name: 1.0 for name in THEMES}
        weights["rokotus"] = 0.3 + (4.0 * (progress - 0.75) / 0.25 if progress > 0.75 else 0.0)
        weights["hammasjono"], weights["ajanvaraus"] = 1.6, 1.4
        return self.rng.choices(list(weights), list(weights.values()))[0]

    def conversation(self, conversation: str, day: date) -> list[TurnEvent]:
        rng = self.rng
        ts = self.start_time(day)
        lang = self.choose(LANGS)
        municipality = rng.choices(self.municipalities, self.population)[0] if rng.random() < 0.55 else None
        turns = min(1 + int(rng.expovariate(0.7)), 8)
        out: list[TurnEvent] = []
        question = None
        for _ in range(turns):
            ts += rng.uniform(8, 120)
            event = self.turn(conversation, ts, lang, municipality, previous=out[-1] if out else None,
                              question=question)
            if event.decision == "answer" and event.feedback is None and event.sources:
                question = self.text(ANSWERED.get(event.sources[0]["id"], ANSWERED["terveysasema-kajaani"]),
                                     municipality, lang)
            out.append(event)
        return out

    def turn(self, conversation: str, ts: float, lang: str, municipality: str | None,
             previous: TurnEvent | None, question: str | None) -> TurnEvent:
        rng = self.rng
        event = TurnEvent(conversation=conversation, decision="answer", lang=lang, municipality=municipality,
                          ts=ts, latency_ms=round(rng.lognormvariate(6.2, 0.35), 1))
        if previous is not None and previous.decision == "answer" and previous.feedback is None and rng.random() < 0.3:
            positive = rng.random() < 0.72
            event.intent, event.intent_confidence = ("feedback_positive" if positive else "feedback_negative",
                                                     round(rng.uniform(0.9, 1.0), 3))
            event.feedback = 1 if positive else 0
            event.sources = previous.sources[:1]
            if not positive:
                event.decision, event.reason = "fallback", "negative_feedback"
                event.text_redacted = question
            return event
        roll = rng.random()
        if roll < 0.002:
            event.reason, event.decision = rng.choice(SAFETY)
            return event
        if roll < 0.62:
            event.intent, event.intent_confidence = "service_question", round(rng.uniform(0.6, 0.99), 3)
            event.confidence = round(rng.uniform(0.55, 0.97), 3)
            doc = rng.choice(list(ANSWERED) if rng.random() < 0.8 else DOCS)
            event.sources = [{"id": doc, "score": event.confidence}]
            if rng.random() < 0.02:
                event.reason = "personal_data"
                event.text_redacted = self.text(PERSONAL_DATA_TEXTS, municipality, "fi")
            return event
        if roll < 0.74:
            event.decision = "clarify"
            event.reason = "municipality_unknown" if rng.random() < 0.25 else "low_confidence"
            event.intent, event.intent_confidence = "service_question", round(rng.uniform(0.4, 0.9), 3)
            event.confidence = round(rng.uniform(0.35, 0.55), 3)
            event.sources = [{"id": doc, "score": None} for doc in rng.sample(DOCS, 3)]
            event.text_redacted = self.text(THEMES[self.theme(ts)][0], municipality, lang)
            return event
        if roll < 0.87:
            event.decision = "fallback"
            kind = rng.random()
            event.reason = "no_match" if kind < 0.45 else "low_confidence" if kind < 0.93 else "technical_error"
            theme = self.theme(ts)
            templates, docs = THEMES[theme]
            event.text_redacted = self.text(templates, municipality, lang)
            if event.reason != "technical_error":
                event.intent, event.intent_confidence = "service_question", round(rng.uniform(0.3, 0.8), 3)
                event.confidence = round(rng.uniform(0.0, 0.35), 3)
            if event.reason == "low_confidence":
                event.sources = [{"id": docs[0], "score": event.confidence}]
            return event
        if roll < 0.95:
            kind = self.choose(DECLINE_KINDS)
            event.decision, event.reason = "decline", f"out_of_scope:{kind}"
            event.intent, event.intent_confidence = kind, round(rng.uniform(0.8, 0.99), 3)
            event.text_redacted = self.text(DECLINE_THEMES[kind], municipality, lang)
            return event
        event.decision, event.reason = "handoff", "human_requested"
        event.intent, event.intent_confidence = "ask_human", round(rng.uniform(0.85, 0.99), 3)
        event.text_redacted = self.text(HUMAN_TEXTS, municipality, lang)
        return event


def generate_days(count: int, days: int = 90, seed: int = 1, end_ts: float | None = None) -> Iterator[list[TurnEvent]]:
    """`count` turn events over the `days` before `end_ts` (default now): one list per day, oldest first,
    so a million events never sit in memory at once."""
    if count < 0 or days < 1:
        raise ValueError("the number of events must be >= 0 and days >= 1")
    rng = random.Random(seed)
    end_ts = time.time() if end_ts is None else end_ts
    first_day = datetime.fromtimestamp(end_ts, HELSINKI).date() - timedelta(days=days - 1)
    generator = _Generator(rng, first_day, days, end_ts)
    for day, quota in generator.day_quotas(count):
        out: list[TurnEvent] = []
        while len(out) < quota:
            out.extend(generator.conversation(f"sim-{rng.getrandbits(80):020x}", day))
        out = out[:quota]
        for event in out:  # the last conversation of the period may run a few minutes past its end
            event.ts = min(event.ts, end_ts)
        out.sort(key=lambda e: e.ts)
        yield out


def generate(count: int, days: int = 90, seed: int = 1, end_ts: float | None = None) -> list[TurnEvent]:
    return [event for day in generate_days(count, days, seed, end_ts) for event in day]


def simulate(engine: Engine, count: int, days: int = 90, seed: int = 1, hours: ServiceHours = DEFAULT_HOURS,
             chunk: int = 20_000, end_ts: float | None = None) -> SimulationSummary:
    """Generate and insert `count` events, a day at a time in chunks (one transaction each)."""
    started = time.perf_counter()
    inserted, conversations = 0, set()
    for day in generate_days(count, days, seed, end_ts):
        conversations.update(event.conversation for event in day)
        for first in range(0, len(day), chunk):
            with engine.begin() as connection:
                connection.execute(events.insert(), [event_row(event, hours) for event in day[first:first + chunk]])
        inserted += len(day)
    return SimulationSummary(inserted, len(conversations), round(time.perf_counter() - started, 1))
