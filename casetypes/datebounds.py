"""Date bounds, which JSON Schema lacks: `x-ui.minDate` / `x-ui.maxDate` on a date (or
date-time) field, each "today", an offset from today ("today+30d", "today-1y"; d, w, m, y) or a
fixed ISO date ("2026-01-31"). "today" is the Swedish calendar day when the value is judged.

The server judges them through jsonschema's extension API (a validator for the "x-ui" keyword,
see validator.py), so a bound holds however a case arrives; the form also gives the browser the
same bounds as the input's min and max attributes.
"""
from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from jsonschema import ValidationError

SWEDISH_TIME = ZoneInfo("Europe/Stockholm")
BOUND = re.compile(r"today(?:(?P<sign>[+-])(?P<count>\d{1,4})(?P<unit>[dwmy]))?\Z", re.ASCII)
BOUND_HINTS = ("minDate", "maxDate")
MESSAGES = {
    "minDate": "Ange ett datum som är {date} eller senare.",
    "maxDate": "Ange ett datum som är {date} eller tidigare.",
}


def today() -> date:
    return datetime.now(SWEDISH_TIME).date()


def shifted_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), the month's last day when it has no such day."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    year = min(max(year, 1), 9999)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


OFFSETS = {
    "d": lambda day, count: day + timedelta(days=count),
    "w": lambda day, count: day + timedelta(weeks=count),
    "m": shifted_months,
    "y": lambda day, count: shifted_months(day, 12 * count),
}


def bound_date(text, on: date | None = None) -> date | None:
    """The date a bound names, on the day `on` (today); None for a bound it cannot read."""
    if not isinstance(text, str):
        return None
    match = BOUND.match(text)
    if match is None:
        try:
            return date.fromisoformat(text) if len(text) == 10 else None
        except ValueError:
            return None
    day = on or today()
    if not match["sign"]:
        return day
    count = int(match["count"]) * (1 if match["sign"] == "+" else -1)
    try:
        return OFFSETS[match["unit"]](day, count)
    except OverflowError:
        return None


def date_of(value) -> date | None:
    """The calendar day of a date or date-time value (the Swedish day for a date-time)."""
    if not isinstance(value, str):
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(SWEDISH_TIME).date() if moment.tzinfo else moment.date()


def bounds_of(hints, on: date | None = None) -> dict:
    """{"minDate": date, "maxDate": date} for the bounds a field's hints set."""
    if not isinstance(hints, dict):
        return {}
    found = {name: bound_date(hints.get(name), on) for name in BOUND_HINTS}
    return {name: day for name, day in found.items() if day is not None}


def too_early(day: date, limit: date) -> bool:
    return day < limit


def too_late(day: date, limit: date) -> bool:
    return day > limit


OUT_OF_BOUNDS = {"minDate": too_early, "maxDate": too_late}


def date_bounds(validator, hints, instance, schema):
    """jsonschema keyword validator for "x-ui": the date bounds; every other hint is
    presentation only. The message is the field's own (x-ui.errors.minDate) or ours."""
    if not any(name in hints for name in BOUND_HINTS):
        return  # most "x-ui" hints are presentation only: nothing to judge
    day = date_of(instance)
    if day is None:
        return
    own = hints.get("errors", {}) if isinstance(hints.get("errors"), dict) else {}
    for name, limit in bounds_of(hints).items():
        if OUT_OF_BOUNDS[name](day, limit):
            message = own.get(name) or MESSAGES[name].format(date=limit.isoformat())
            yield ValidationError(message, validator="x-ui", validator_value=hints)
