"""Cases counted by type, Swedish filing day and Swedish closing day: one CaseDay row per
combination, moved inside the transaction that files, closes, reopens or deletes a case (as the
status counters are), so Statistik adds up a few thousand rows instead of reading every case.
A case still open counts under the closing day OPEN_DAY. Each row also holds the helgfria
vardagar between its two days, so handling time is summed per working-day count in SQL.
`recount_case_days` rebuilds them all from the cases with one GROUP BY (after a bulk import, a
restore, or `flask init-db`)."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime

from peewee import SQL, SqliteDatabase, fn

from app.cases.handling_hours import WorkingDays, local, working_days_between
from app.platform.extensions import db
from app.platform.models import Case, CaseDay
from app.platform.prepared import Prepared, Slot

OPEN_DAY = date(9999, 12, 31)  # the closing day of a case not closed (a unique key cannot hold NULL)
BATCH = 1000


def swedish_day(moment: datetime | None) -> date:
    return OPEN_DAY if moment is None else local(moment).date()


MOVE_COUNT = Prepared(lambda: CaseDay.update(count=CaseDay.count + Slot("delta")).where(
    (CaseDay.case_type_slug == Slot("case_type_slug")) & (CaseDay.filed_on == Slot("filed_on"))
    & (CaseDay.closed_on == Slot("closed_on"))))


def count_case_day(slug: str, filed_at: datetime, closed_at: datetime | None, delta: int) -> None:
    """Move one counter inside the caller's transaction (made when it is missing)."""
    match = {"case_type_slug": slug, "filed_on": swedish_day(filed_at), "closed_on": swedish_day(closed_at)}
    if not MOVE_COUNT.execute(delta=delta, **{name: getattr(CaseDay, name).db_value(value) for name, value in match.items()}):
        CaseDay.upsert(match, {"count": CaseDay.count + delta},
                       {"count": delta, "working_days": handling_days(match["filed_on"], match["closed_on"])})


def handling_days(filed_on: date, closed_on: date, calendar: WorkingDays | None = None) -> int:
    """A row's helgfria vardagar from filing to closing; an open case's row holds 0."""
    if closed_on == OPEN_DAY:
        return 0
    return calendar.between(filed_on, closed_on) if calendar else working_days_between(filed_on, closed_on)


def recount_case_days() -> None:
    """Rebuild every counter from the cases: one pass over (type, filed, closed) in SQL, grouped
    by the hour (a Swedish day is whole hours of UTC), the Swedish days worked out per group."""
    counts: Counter = Counter()
    for slug, created, closed, n in hourly_groups():
        counts[(slug, swedish_day(created), swedish_day(closed))] += n
    calendar = calendar_for(counts)
    with db.atomic():
        CaseDay.delete().execute()
        rows = [{"case_type_slug": slug, "filed_on": filed, "closed_on": closed, "count": n,
                 "working_days": handling_days(filed, closed, calendar)}
                for (slug, filed, closed), n in counts.items()]
        for start in range(0, len(rows), BATCH):
            CaseDay.insert_many(rows[start:start + BATCH]).execute()


def calendar_for(counts: Counter) -> WorkingDays | None:
    """One working-day lookup over every day the closed rows span (thousands of pairs)."""
    days = [day for _, filed, closed in counts for day in (filed, closed) if closed != OPEN_DAY]
    return WorkingDays(min(days), max(days)) if days else None


def hourly_groups():
    """(type, filed hour, closed hour or None, count), as naive-UTC datetimes."""
    filed, closed = hour_of(Case.created_at), hour_of(Case.closed_at)
    query = (Case.select(Case.case_type_slug, filed, closed, fn.COUNT(SQL("*")))
             .group_by(SQL("1"), SQL("2"), SQL("3")).tuples())
    for slug, filed_hour, closed_hour, n in query:
        yield slug, as_hour(filed_hour), None if closed_hour is None else as_hour(closed_hour), n


def hour_of(column):
    """The UTC hour of a timestamp column, in the database's dialect."""
    if isinstance(db.obj, SqliteDatabase):
        return fn.substr(column, 1, 13)  # 'YYYY-MM-DD HH' of peewee's stored text
    return fn.date_trunc("hour", column)


def as_hour(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(f"{value}:00")
