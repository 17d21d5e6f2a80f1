"""The statistics worked out the slow, obvious way from the cases themselves (every case read,
every day between filing and closing looked at), to hold the aggregate queries of
app.cases.statistics to: used by tests/test_desk.py and the browser test of the statistics page."""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone

from app.cases.handling_hours import STOCKHOLM, is_working_day
from app.cases.statuses import CLOSED
from app.platform.models import Case


def swedish_day(moment: datetime) -> date:
    return moment.replace(tzinfo=timezone.utc).astimezone(STOCKHOLM).date()


def working_days_after(start: date, end: date) -> int:
    return sum(1 for offset in range(1, (end - start).days + 1) if is_working_day(start + timedelta(days=offset)))


def nearest_rank(values: list[int], share: float) -> int:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


def expected(first_day: date, last_day: date) -> dict:
    """{"inkomna": {(week monday, slug): n}, "handlaggningstid": {slug: (n, median, p90)},
    "balans": {(bucket index, slug): n}} from every case row."""
    filed: Counter = Counter()
    durations: dict[str, list[int]] = defaultdict(list)
    backlog: Counter = Counter()
    for case in Case.select(Case.case_type_slug, Case.created_at, Case.closed_at, Case.status):
        filed_on = swedish_day(case.created_at)
        if first_day <= filed_on <= last_day:
            filed[(filed_on - timedelta(days=filed_on.weekday()), case.case_type_slug)] += 1
        if case.closed_at is not None and first_day <= swedish_day(case.closed_at) <= last_day:
            durations[case.case_type_slug].append(working_days_after(filed_on, swedish_day(case.closed_at)))
        if case.status != CLOSED:
            age = working_days_after(filed_on, last_day)
            bucket = 0 if age <= 1 else 1 if age <= 5 else 2 if age <= 10 else 3 if age <= 20 else 4
            backlog[(bucket, case.case_type_slug)] += 1
    times = {slug: (len(values), nearest_rank(values, 0.5), nearest_rank(values, 0.9))
             for slug, values in durations.items()}
    return {"inkomna": filed, "handlaggningstid": times, "balans": backlog}
