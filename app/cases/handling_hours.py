"""When the ombud handles cases: weekdays that are not Swedish public holidays (helgfria
vardagar; Midsommarafton, Julafton and Nyårsafton count as holidays), between the hours in
config. Used to tell a customer who files at night or on a holiday when handling starts, and to
show stored UTC times in Swedish local time; and helgfria vardagar between two days, which
Statistik's handling time and the day counters are counted in."""
from __future__ import annotations

import functools
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

# Imported here, with the app, not at the first lookup: holidays' registry loads every country's
# module then (about 0.2 s), which would otherwise land on the first request that asks.
from holidays.countries.sweden import Sweden

STOCKHOLM = ZoneInfo("Europe/Stockholm")
WEEKDAYS = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")
MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september",
          "oktober", "november", "december")


def parse_hours(text: str) -> tuple[time, time]:
    """"09:00-16.00" (the user guide writes both separators) -> (09:00, 16:00)."""
    start, end = (part.strip().replace(".", ":") for part in text.split("-", 1))
    return time.fromisoformat(start), time.fromisoformat(end)


@functools.lru_cache(maxsize=8)
def holidays_of(year: int) -> Sweden:
    """Public holidays plus Midsommarafton, Julafton and Nyårsafton, worked out once a year."""
    return Sweden(years=year, categories=("public", "de_facto"))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in holidays_of(day.year)


class WorkingDays:
    """Helgfria vardagar between two days by lookup: the running count of working days is worked
    out once per day in the span, so each (start, end) pair costs a subtraction."""

    def __init__(self, first: date, last: date):
        self.first = first
        self.running: list[int] = []
        count = 0
        for offset in range((last - first).days + 1):
            count += is_working_day(first + timedelta(days=offset))
            self.running.append(count)

    def between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end`: filed on a Friday and closed
        the Monday after is one day; closed the day it was filed is none."""
        if end <= start:
            return 0
        return self.running[(end - self.first).days] - self.running[(start - self.first).days]


def working_days_between(start: date, end: date) -> int:
    return WorkingDays(start, max(start, end)).between(start, end)


def next_start(moment: datetime, hours_text: str) -> datetime | None:
    """None while the ombud is working; otherwise when handling starts next (Stockholm time).
    `moment` is naive UTC, as the models store it."""
    opens, closes = parse_hours(hours_text)
    here = local(moment)
    if is_working_day(here.date()) and opens <= here.time() < closes:
        return None
    day = here.date() if here.time() < opens else here.date() + timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, opens, tzinfo=STOCKHOLM)


def local(moment: datetime) -> datetime:
    """A stored naive-UTC time in Swedish local time (summer time included)."""
    return moment.replace(tzinfo=timezone.utc).astimezone(STOCKHOLM)


def local_text(moment: datetime, pattern: str = "%Y-%m-%d %H:%M") -> str:
    return local(moment).strftime(pattern)


def spoken(moment: datetime) -> str:
    """"måndag 30 november kl. 09:00"."""
    return f"{WEEKDAYS[moment.weekday()]} {moment.day} {MONTHS[moment.month - 1]} kl. {moment:%H:%M}"
