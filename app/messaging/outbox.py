"""The outbox mechanics every outbox table shares (OutboxMail, OutboxWebhook: app.platform.models
OutboxRow): claiming due rows under a lease, recording the outcome, backoff, and the drain loop
a worker run goes through. What a row is and how it is sent is the channel's business
(app.messaging.mailer, app.messaging.webhooks); `flask outbox send` runs every channel.

A claim is safe when several workers run at once: PostgreSQL locks one due row with
SELECT … FOR UPDATE SKIP LOCKED, SQLite (no row locks) wins a row with one conditional UPDATE
whose rowcount says whether it was ours. attempts counts claims and doubles as the fencing
token of a lease, so a worker whose lease expired cannot overwrite the next claimant's outcome.
Delivery is at-least-once: a worker that dies after sending leaves its lease, and when the lease
expires the row goes again with the same id (Message-ID, webhook-id). That is also why a claim
and a "sent" commit without waiting for the disk (unhurried_commit, about 4 ms each on PostgreSQL):
if the database itself crashes and loses the last of them, the row is only sent again, with the
same id, which at-least-once already allows; a worker's crash loses no commit.
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from peewee import PostgresqlDatabase, SqliteDatabase

from app.platform.database import unhurried_commit
from app.platform.extensions import db
from app.platform.models import OutboxRow

RETRY_BASE_SECONDS = 30
RETRY_CAP_SECONDS = 3600
BATCH_LIMIT = 50      # rows one run sends at most, per channel
CLAIM_CANDIDATES = 5  # due rows a SQLite claim tries per SELECT
OUTCOMES = ("sent", "retry", "failed")


@dataclass
class Run:
    """One worker run of one channel: the clock it judges 'due' by, and its limits."""
    now: datetime
    worker: str
    max_attempts: int
    lease: timedelta
    skip: Callable = field(default=lambda model: None)  # a condition leaving rows out of this run's claims
    started: float = field(default_factory=time.monotonic)

    def clock(self) -> datetime:
        """`now` moved on by the time this run has taken so far. A claim is judged and leased
        by it, not by the run's start: a run of 50 mails to a slow server may outlast the lease,
        and a lease dated from the start would be over before its last rows were sent, so
        another worker would take and send them too."""
        return self.now + timedelta(seconds=time.monotonic() - self.started)


# --- claiming -----------------------------------------------------------------------------

def due(model: type[OutboxRow], now: datetime, max_attempts: int):
    waiting = (model.status == "pending") & (model.next_attempt_at <= now)
    abandoned = ((model.status == "sending") & (model.lease_until < now) & (model.attempts < max_attempts))
    return waiting | abandoned


def claimable(model: type[OutboxRow], run: Run, at: datetime):
    condition = due(model, at, run.max_attempts)
    left_out = run.skip(model)
    return condition if left_out is None else condition & ~left_out


def oldest_first(model: type[OutboxRow], query):
    return query.order_by(model.next_attempt_at, model.id)


def take(model: type[OutboxRow], row_id: int, run: Run, at: datetime) -> bool:
    """The claim itself: one conditional UPDATE, so of two racing workers only one changes the row."""
    return model.update(status="sending", lease_until=at + run.lease, attempts=model.attempts + 1).where(
        (model.id == row_id) & due(model, at, run.max_attempts)).execute() == 1


def claim_with_skip_locked(model: type[OutboxRow], run: Run) -> int | None:
    """PostgreSQL: lock one due row, skipping rows another worker holds, in a short transaction."""
    at = run.clock()
    with unhurried_commit():
        row = oldest_first(model, model.select(model.id).where(claimable(model, run, at))) \
            .limit(1).for_update(skip_locked=True).first()
        if row is None:
            return None
        take(model, row.id, run, at)
        return row.id


def claim_by_conditional_update(model: type[OutboxRow], run: Run) -> int | None:
    """SQLite has no row locks: try due rows in turn; the rowcount says whether we won one."""
    # list(): the SELECT must be finished before the UPDATE. A still-open SELECT keeps a read
    # transaction, and upgrading it to a write after another worker wrote fails at once with
    # "database is locked" instead of waiting out the busy timeout.
    while True:
        at = run.clock()
        candidates = [row.id for row in oldest_first(model, model.select(model.id).where(claimable(model, run, at)))
                      .limit(CLAIM_CANDIDATES)]
        if not candidates:
            return None
        won = next((row_id for row_id in candidates if take(model, row_id, run, at)), None)
        if won is not None:
            return won
        # Other workers took all of these; every lost row is gone from the next SELECT.


CLAIMERS = {
    PostgresqlDatabase: claim_with_skip_locked,
    SqliteDatabase: claim_by_conditional_update,
}


def claim_next(model: type[OutboxRow], run: Run):
    claim = next(claim for kind, claim in CLAIMERS.items() if isinstance(db.obj, kind))
    row_id = claim(model, run)
    return None if row_id is None else model.get_by_id(row_id)


def fail_exhausted(model: type[OutboxRow], now: datetime, max_attempts: int) -> int:
    """Rows whose last allowed attempt died with its worker are not claimed again."""
    return model.update(status="failed", lease_until=None, last_error="attempts exhausted").where(
        (model.status == "sending") & (model.lease_until < now) & (model.attempts >= max_attempts)).execute()


# --- recording the outcome ------------------------------------------------------------------

def still_ours(row: OutboxRow):
    """A worker whose lease expired must not overwrite what the next claimant recorded."""
    model = type(row)
    return (model.id == row.id) & (model.status == "sending") & (model.attempts == row.attempts)


def mark_sent(row: OutboxRow, now: datetime) -> None:
    with unhurried_commit():
        type(row).update(status="sent", sent_at=now, lease_until=None, last_error=None).where(still_ours(row)).execute()


def mark_failed(row: OutboxRow, label: str) -> None:
    type(row).update(status="failed", lease_until=None, last_error=label).where(still_ours(row)).execute()


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), RETRY_CAP_SECONDS))


def schedule_retry(row: OutboxRow, now: datetime, label: str) -> timedelta:
    delay = retry_delay(row.attempts)
    type(row).update(status="pending", lease_until=None, last_error=label, next_attempt_at=now + delay) \
        .where(still_ours(row)).execute()
    return delay


# --- a run ----------------------------------------------------------------------------------

def drain(model: type[OutboxRow], run: Run, deliver: Callable, limit: int = BATCH_LIMIT) -> dict:
    """Claim and deliver up to `limit` due rows, one claim at a time; counts per outcome.
    deliver(row) returns the outcome and whether the run should go on."""
    counts = dict.fromkeys(OUTCOMES, 0)
    counts["failed"] += fail_exhausted(model, run.now, run.max_attempts)
    for _ in range(limit):
        row = claim_next(model, run)
        if row is None:
            break
        outcome, go_on = deliver(row)
        counts[outcome] += 1
        if not go_on:
            break
    return counts


@contextmanager
def database_connection():
    """Use the caller's connection if one is open (a test, a request); else open our own."""
    opened_here = db.is_closed()
    if opened_here:
        db.connect()
    try:
        yield
    finally:
        if opened_here:
            db.close()


def naive_utc(moment: datetime) -> datetime:
    """The models store naive UTC; an aware `now` is converted rather than compared wrongly."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


def default_worker_id() -> str:
    return f"pid {os.getpid()} tråd {threading.get_ident()}"
