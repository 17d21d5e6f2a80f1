"""Statistik for the handlers: cases filed per week by case type, handling time (filed → closed,
in helgfria vardagar: median and 90th percentile per case type) and the open backlog by age.

Every figure comes from an aggregate query (GROUP BY in the database) over a covering index of
the case table, so the database hands back at most one row per case type and day, however many
cases there are. Days are Swedish calendar days: the query shifts each stored UTC time by the
Stockholm offset in force at that moment (a CASE over the summer-time periods of the years
asked about), so a case filed at 00:30 Swedish time counts on its Swedish day, on SQLite and
PostgreSQL alike. Working days are then counted in Python from the few distinct (filed day,
closed day) pairs, with the holiday calendar of app.cases.handling_hours.
"""
from __future__ import annotations

import functools
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from peewee import SQL, SqliteDatabase, fn
from peewee import Case as SqlCase

from app.cases import documents
from app.cases.handling_hours import STOCKHOLM, is_working_day
from app.cases.statuses import CLOSED, STATUSES
from app.cases.types import case_types
from app.platform.extensions import db
from app.platform.models import Case, utcnow
from renderers import charts

PERIODS = (4, 13, 26, 52)  # weeks a handler can choose to look back
DEFAULT_WEEKS = 26
OPEN_STATUSES = tuple(status for status in STATUSES if status != CLOSED)
# The backlog's age groups in helgfria vardagar since filing: (label, lowest age, highest age or None).
AGE_BUCKETS = (("0–1 dagar", 0, 1), ("2–5 dagar", 2, 5), ("6–10 dagar", 6, 10),
               ("11–20 dagar", 11, 20), ("Över 20 dagar", 21, None))


# --- Swedish days in SQL ------------------------------------------------------------------------

@functools.lru_cache(maxsize=64)
def summer_time(year: int) -> tuple[datetime, datetime] | None:
    """The naive-UTC span of the year in which Stockholm is two hours ahead (summer time), found
    from the time-zone database: the first and last such day, then the hour within each."""
    days = [datetime(year, 1, 1) + timedelta(days=step) for step in range(366)]
    ahead = [day for day in days if day.year == year and offset_hours(day + timedelta(hours=12)) == 2]
    if not ahead:
        return None
    starts = [moment for moment in hours_of(ahead[0] - timedelta(days=1), 48) if offset_hours(moment) == 2]
    ends = [moment for moment in hours_of(ahead[-1], 48) if offset_hours(moment) == 2]
    return starts[0], ends[-1] + timedelta(hours=1)


def hours_of(start: datetime, count: int) -> list[datetime]:
    return [start + timedelta(hours=step) for step in range(count)]


def offset_hours(moment: datetime) -> int:
    return int(moment.replace(tzinfo=timezone.utc).astimezone(STOCKHOLM).utcoffset().total_seconds() // 3600)


def shifted_day(column, hours: int):
    """The calendar day of `column` moved `hours` ahead, in the dialect of the database."""
    if isinstance(db.obj, SqliteDatabase):
        return fn.date(column, f"+{hours} hours")
    return (column + SQL(f"interval '{hours} hours'")).cast("date")


def local_day(column, first_year: int, last_year: int):
    """The Swedish calendar day of a naive-UTC column, for times in the years given."""
    spans = [span for year in range(first_year, last_year + 1) if (span := summer_time(year))]
    if not spans:
        return shifted_day(column, 1)
    return SqlCase(None, [((column >= start) & (column < end), shifted_day(column, 2)) for start, end in spans],
                   shifted_day(column, 1))


def as_date(value) -> date:
    """SQLite hands a day back as text, PostgreSQL as a date."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def utc_start_of(day: date) -> datetime:
    """The naive-UTC moment a Swedish day begins."""
    return datetime.combine(day, datetime.min.time(), tzinfo=STOCKHOLM).astimezone(timezone.utc).replace(tzinfo=None)


def today() -> date:
    return utcnow().replace(tzinfo=timezone.utc).astimezone(STOCKHOLM).date()


# --- working days ---------------------------------------------------------------------------------

class WorkingDays:
    """Helgfria vardagar between two days by lookup: the running count of working days is worked
    out once per day in the span, so each (filed, closed) pair costs a subtraction."""

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


def percentile(counts: dict[int, int], share: float) -> int:
    """The nearest-rank percentile of values given as {value: how many}: the smallest value with
    at least `share` of all at or below it (the median of 1, 2, 3, 4 is 2)."""
    total = sum(counts.values())
    rank = max(1, math.ceil(share * total))
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if seen >= rank:
            return value
    raise ValueError("no values")


# --- the three figures ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    weeks: int
    first_day: date  # a Monday
    last_day: date  # today


def period_of(weeks: int | None, now_day: date | None = None) -> Period:
    weeks = weeks if weeks in PERIODS else DEFAULT_WEEKS
    last = now_day or today()
    monday = last - timedelta(days=last.weekday())
    return Period(weeks, monday - timedelta(weeks=weeks - 1), last)


@dataclass(frozen=True)
class Series:
    """One figure as a table: a label per row, a column per series, a number per cell."""
    row_labels: list[str]
    columns: list[str]
    values: dict[str, list]  # column -> one value per row


def titles(slugs) -> dict[str, str]:
    """Case-type titles by slug, in the portal's order; a type no longer in forms/ by its slug."""
    known = {slug: case_type.title for slug, case_type in case_types().items()}
    ordered = [slug for slug in known if slug in slugs] + sorted(set(slugs) - set(known))
    return {slug: known.get(slug, slug) for slug in ordered}


def filed_per_week(period: Period) -> Series:
    """How many cases were filed each ISO week of the period, by case type."""
    start, end = utc_start_of(period.first_day), utc_start_of(period.last_day + timedelta(days=1))
    day = local_day(Case.created_at, period.first_day.year, period.last_day.year)
    rows = (Case.select(Case.case_type_slug, day.alias("day"), fn.COUNT(SQL("*")).alias("n"))
            .where((Case.created_at >= start) & (Case.created_at < end))
            .group_by(SQL("1"), SQL("2")).tuples())
    weeks = [period.first_day + timedelta(weeks=number) for number in range(period.weeks)]
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(weeks))
    for slug, filed_on, n in rows:
        counts[slug][(as_date(filed_on) - period.first_day).days // 7] += n
    names = titles(counts)
    return Series([week_label(monday) for monday in weeks], list(names.values()),
                  {title: counts[slug] for slug, title in names.items()})


def week_label(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"v. {week} {year}"


@dataclass(frozen=True)
class HandlingTime:
    title: str
    cases: int
    median: int
    p90: int


def handling_times(period: Period) -> list[HandlingTime]:
    """For the cases closed in the period, by case type: how many, and the median and 90th
    percentile of their handling time in helgfria vardagar."""
    start, end = utc_start_of(period.first_day), utc_start_of(period.last_day + timedelta(days=1))
    oldest = (Case.select(fn.MIN(Case.created_at))
              .where((Case.closed_at >= start) & (Case.closed_at < end)).scalar())
    if oldest is None:
        return []
    filed = local_day(Case.created_at, oldest.year, period.last_day.year)
    closed = local_day(Case.closed_at, period.first_day.year, period.last_day.year)
    rows = list(Case.select(Case.case_type_slug, filed.alias("filed"), closed.alias("closed"),
                            fn.COUNT(SQL("*")).alias("n"))
                .where((Case.closed_at >= start) & (Case.closed_at < end))
                .group_by(SQL("1"), SQL("2"), SQL("3")).tuples())
    days = WorkingDays(oldest.date() - timedelta(days=1), period.last_day + timedelta(days=1))
    spread: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for slug, filed_on, closed_on, n in rows:
        spread[slug][days.between(as_date(filed_on), as_date(closed_on))] += n
    return [HandlingTime(title, sum(spread[slug].values()), percentile(spread[slug], 0.5),
                         percentile(spread[slug], 0.9)) for slug, title in titles(spread).items()]


def handling_series(times: list[HandlingTime]) -> Series:
    return Series([time.title for time in times], ["Avslutade ärenden", "Median", "90:e percentilen"],
                  {"Avslutade ärenden": [time.cases for time in times],
                   "Median": [time.median for time in times],
                   "90:e percentilen": [time.p90 for time in times]})


def backlog_by_age(now_day: date | None = None) -> Series:
    """The cases not yet closed, by how many helgfria vardagar ago they were filed, by case type."""
    now_day = now_day or today()
    is_open = Case.status.in_(OPEN_STATUSES)
    oldest = Case.select(fn.MIN(Case.created_at)).where(is_open).scalar()
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(AGE_BUCKETS))
    if oldest is not None:
        day = local_day(Case.created_at, oldest.year, now_day.year)
        rows = (Case.select(Case.case_type_slug, day.alias("day"), fn.COUNT(SQL("*")).alias("n"))
                .where(is_open).group_by(SQL("1"), SQL("2")).tuples())
        days = WorkingDays(oldest.date() - timedelta(days=1), now_day + timedelta(days=1))
        for slug, filed_on, n in rows:
            counts[slug][bucket_of(days.between(as_date(filed_on), now_day))] += n
    names = titles(counts)
    return Series([label for label, _, _ in AGE_BUCKETS], list(names.values()),
                  {title: counts[slug] for slug, title in names.items()})


def bucket_of(age: int) -> int:
    return next(index for index, (_, low, high) in enumerate(AGE_BUCKETS)
                if age >= low and (high is None or age <= high))


# --- the page: each figure as a chart, a table and a CSV ------------------------------------------

@dataclass(frozen=True)
class Figure:
    key: str  # its name in the CSV's address
    heading: str
    caption: str  # the table's caption, and what the chart's text alternative says
    row_heading: str  # the table's first column
    series: Series
    chart: charts.Chart


def weekly_figure(period: Period) -> Figure:
    series = filed_per_week(period)
    return Figure("inkomna", "Inkomna ärenden per vecka",
                  f"Inkomna ärenden per vecka och ärendetyp, de senaste {period.weeks} veckorna", "Vecka", series,
                  charts.Chart("Inkomna ärenden per vecka", "Antal ärenden", series.row_labels, series.values,
                               stacked=True))


def handling_figure(period: Period) -> Figure:
    series = handling_series(handling_times(period))
    shown = {name: series.values[name] for name in ("Median", "90:e percentilen")}
    return Figure("handlaggningstid", "Handläggningstid",
                  f"Handläggningstid i helgfria vardagar för ärenden avslutade de senaste {period.weeks} veckorna, "
                  "per ärendetyp", "Ärendetyp", series,
                  charts.Chart("Handläggningstid (helgfria vardagar)", "Helgfria vardagar", series.row_labels, shown))


def backlog_figure(period: Period) -> Figure:
    series = backlog_by_age(period.last_day)
    return Figure("balans", "Öppna ärenden efter ålder",
                  "Ärenden som inte är avslutade, efter hur många helgfria vardagar sedan de kom in, per ärendetyp",
                  "Ålder", series,
                  charts.Chart("Öppna ärenden efter ålder", "Antal ärenden", series.row_labels, series.values,
                               stacked=True))


FIGURES = {"inkomna": weekly_figure, "handlaggningstid": handling_figure, "balans": backlog_figure}


def figures(period: Period) -> list[Figure]:
    return [build(period) for build in FIGURES.values()]


def chart_image(figure: Figure) -> str:
    return charts.data_uri(charts.bar_chart_svg(figure.chart))


def figure_csv(figure: Figure) -> bytes:
    """The figure's table as CSV, formula-safe like the case tables' export."""
    columns = (figure.row_heading, *figure.series.columns)
    rows = tuple((label, *(figure.series.values[column][index] for column in figure.series.columns))
                 for index, label in enumerate(figure.series.row_labels))
    return documents.table_csv(columns, rows)
