"""Statistik for the handlers: cases filed per week by case type, handling time (filed → closed,
in helgfria vardagar: median and 90th percentile per case type) and the open backlog by age.

Every figure is an aggregate query over the day counters of app.cases.case_days (cases by type,
Swedish filing day and Swedish closing day, moved in the transaction of every filing, closing,
reopening and gallring), so the database hands back a few rows per case type and day however
many cases there are: handling time is summed per working-day count in SQL (each counter row
holds its helgfria vardagar), and the backlog's ages are counted in Python from the open cases'
filing days, with the holiday calendar of app.cases.handling_hours.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta, timezone

from peewee import SQL, fn

from app.cases import documents
from app.cases.case_days import OPEN_DAY
from app.cases.handling_hours import STOCKHOLM, WorkingDays
from app.cases.types import case_types
from app.platform.models import CaseDay, utcnow
from renderers import charts

PERIODS = (4, 13, 26, 52)  # weeks a handler can choose to look back
DEFAULT_WEEKS = 26
# The backlog's age groups in helgfria vardagar since filing: (label, lowest age, highest age or None).
AGE_BUCKETS = (("0–1 dagar", 0, 1), ("2–5 dagar", 2, 5), ("6–10 dagar", 6, 10),
               ("11–20 dagar", 11, 20), ("Över 20 dagar", 21, None))


def as_date(value) -> date:
    """SQLite hands a day back as text, PostgreSQL as a date."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def today() -> date:
    return utcnow().replace(tzinfo=timezone.utc).astimezone(STOCKHOLM).date()


def counter_sums(where, *by) -> list[tuple]:
    """(type, *values, cases) per group of the day counters that `where` selects."""
    columns = [CaseDay.case_type_slug, *by]
    groups = [SQL(str(number)) for number in range(1, len(columns) + 1)]
    query = (CaseDay.select(*columns, fn.SUM(CaseDay.count)).where(where & (CaseDay.count != 0))
             .group_by(*groups).tuples())
    return [(slug, *values, int(n)) for slug, *values, n in query if n]


def day_sums(where, *by) -> list[tuple]:
    """counter_sums grouped by days, as dates."""
    return [(slug, *(as_date(day) for day in days), n) for slug, *days, n in counter_sums(where, *by)]


# --- percentiles ---------------------------------------------------------------------------------

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
    rows = day_sums(CaseDay.filed_on.between(period.first_day, period.last_day), CaseDay.filed_on)
    weeks = [period.first_day + timedelta(weeks=number) for number in range(period.weeks)]
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(weeks))
    for slug, filed_on, n in rows:
        counts[slug][(filed_on - period.first_day).days // 7] += n
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
    rows = counter_sums(CaseDay.closed_on.between(period.first_day, period.last_day), CaseDay.working_days)
    spread: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for slug, working_days, n in rows:
        spread[slug][int(working_days)] += n
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
    rows = day_sums(CaseDay.closed_on == OPEN_DAY, CaseDay.filed_on)
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(AGE_BUCKETS))
    if rows:
        days = WorkingDays(min(filed_on for _, filed_on, _ in rows), max(now_day, *(row[1] for row in rows)))
        for slug, filed_on, n in rows:
            counts[slug][bucket_of(days.between(filed_on, now_day))] += n
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
