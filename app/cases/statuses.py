"""The statuses a case goes through and their counters: one StatusCount row per status, moved
inside the transaction that changes a case, so the handlers' queue shows totals without counting
every case on every page."""
from __future__ import annotations

from peewee import fn

from app.platform.extensions import db
from app.platform.models import Case, StatusCount
from app.platform.prepared import Prepared, Slot

SUBMITTED = "Inskickat"
IN_PROGRESS = "Under handläggning"
CLOSED = "Avslutat"
STATUSES = (SUBMITTED, IN_PROGRESS, CLOSED)


MOVE_COUNT = Prepared(lambda: StatusCount.update(count=StatusCount.count + Slot("delta"))
                      .where(StatusCount.status == Slot("status")))


def count_status(status: str, delta: int) -> None:
    """Move the status counter inside the caller's transaction (made when it is missing)."""
    if not MOVE_COUNT.execute(delta=delta, status=status):
        StatusCount.upsert({"status": status}, {"count": StatusCount.count + delta}, {"count": delta})


def recount_statuses() -> None:
    """Rebuild the counters from the cases (after an import or a restore)."""
    with db.atomic():
        StatusCount.delete().execute()
        for row in Case.select(Case.status, fn.COUNT(Case.id).alias("n")).group_by(Case.status):
            StatusCount.create(status=row.status, count=row.n)


ALL_COUNTS = Prepared(lambda: StatusCount.select(StatusCount.status, StatusCount.count).tuples())


def status_counts() -> dict:
    _query, cursor = ALL_COUNTS.cursor({})
    found = dict(cursor.fetchall())
    return {status: found.get(status, 0) for status in STATUSES}
