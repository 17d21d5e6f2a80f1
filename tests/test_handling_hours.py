"""Handling hours: helgfria vardagar between the configured hours, Stockholm time."""
from datetime import datetime

import pytest

from app.cases.handling_hours import next_start, parse_hours, spoken

HOURS = "09:00-16.00"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_the_guides_notation_is_read():
    assert [t.isoformat() for t in parse_hours(HOURS)] == ["09:00:00", "16:00:00"]


def test_during_working_hours_nothing_is_said():
    assert next_start(utc("2026-11-30 10:00"), HOURS) is None  # Monday 11:00 in Stockholm


@pytest.mark.parametrize("filed_utc, expected", [
    ("2026-11-29 12:00", "måndag 30 november kl. 09:00"),      # Sunday
    ("2026-11-30 16:30", "tisdag 1 december kl. 09:00"),       # Monday 17:30 Stockholm
    ("2026-11-30 06:00", "måndag 30 november kl. 09:00"),      # Monday 07:00 Stockholm
    ("2026-12-23 16:00", "måndag 28 december kl. 09:00"),      # Julafton, Juldagen, Annandag, weekend
    ("2026-06-18 15:30", "måndag 22 juni kl. 09:00"),          # midsommar (summer time, UTC+2)
    ("2026-12-30 20:00", "måndag 4 januari kl. 09:00"),        # Nyårsafton, Nyårsdagen, then a weekend
])
def test_after_hours_and_holidays_say_when(filed_utc, expected):
    assert spoken(next_start(utc(filed_utc), HOURS)) == expected


def test_stored_utc_times_show_in_swedish_time():
    from app.cases.handling_hours import local_text
    assert local_text(utc("2026-11-29 23:30")) == "2026-11-30 00:30"   # winter, UTC+1
    assert local_text(utc("2026-06-18 22:15")) == "2026-06-19 00:15"   # summer, UTC+2
