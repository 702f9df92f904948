"""When human service advisors work: weekdays and hours in Europe/Helsinki, closed on Finnish public holidays.

Used by human handoff (is an advisor reachable now?) and by analytics (off-hours share of contacts).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

HELSINKI = ZoneInfo("Europe/Helsinki")


@lru_cache(maxsize=16)
def _finnish_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("FI", years=year)


@dataclass(frozen=True)
class ServiceHours:
    """Opening hours such as "mon-fri 8-16": `weekdays` are 0=Monday…6=Sunday; hours are [open, close)."""

    weekdays: frozenset[int] = frozenset(range(5))
    open_hour: int = 8
    close_hour: int = 16
    closed_on_holidays: bool = True

    @classmethod
    def parse(cls, spec: str) -> "ServiceHours":
        """Parse "mon-fri 8-16", "mon,wed,fri 9-15" or "always" (the SERVICE_HOURS setting)."""
        if spec.strip().lower() == "always":  # demos and tests: advisors may answer at any hour
            return cls(frozenset(range(7)), 0, 24, closed_on_holidays=False)
        names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        try:
            days_part, hours_part = spec.strip().lower().split()
            days: set[int] = set()
            for piece in days_part.split(","):
                if "-" in piece:
                    first, last = (names.index(p) for p in piece.split("-"))
                    days.update(range(first, last + 1))
                else:
                    days.add(names.index(piece))
            open_hour, close_hour = (int(h) for h in hours_part.split("-"))
        except ValueError as error:
            raise ValueError(f"service hours must look like 'mon-fri 8-16', got {spec!r}") from error
        if not (0 <= open_hour < close_hour <= 24):
            raise ValueError(f"service hours must open before they close within 0-24, got {spec!r}")
        return cls(frozenset(days), open_hour, close_hour)

    def is_open(self, ts: float | None = None) -> bool:
        moment = datetime.fromtimestamp(time.time() if ts is None else ts, HELSINKI)
        if moment.weekday() not in self.weekdays:
            return False
        if self.closed_on_holidays and moment.date() in _finnish_holidays(moment.year):
            return False
        return self.open_hour <= moment.hour < self.close_hour

    def describe(self, lang: str = "fi") -> str:
        """"ma–pe klo 8–16" / "mån–fre kl. 8–16" / "Mon–Fri 8–16" for the residents' messages."""
        names = {"sv": ["mån", "tis", "ons", "tor", "fre", "lör", "sön"],
                 "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]}.get(lang, ["ma", "ti", "ke", "to", "pe", "la", "su"])
        clock = {"sv": "kl. ", "en": ""}.get(lang, "klo ")
        days = sorted(self.weekdays)
        if days == list(range(days[0], days[-1] + 1)):
            day_text = f"{names[days[0]]}–{names[days[-1]]}"
        else:
            day_text = ", ".join(names[d] for d in days)
        return f"{day_text} {clock}{self.open_hour}–{self.close_hour}"


DEFAULT_HOURS = ServiceHours()


def is_off_hours(ts: float, hours: ServiceHours = DEFAULT_HOURS) -> bool:
    return not hours.is_open(ts)
