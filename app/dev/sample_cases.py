"""Generated cases in bulk, for the statistics' tests and the benchmark at 1 000 000 cases:
deterministic (a seed), inserted many rows per statement, with filing and closing times spread
over the weeks before `now` as a busy ombud's would be. Never imported in production."""
from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from app.cases.case_days import recount_case_days
from app.cases.statuses import CLOSED, IN_PROGRESS, SUBMITTED, recount_statuses
from app.platform.extensions import db
from app.platform.models import Case, User

BATCH = 1000  # rows per INSERT: under SQLite's limit of bound parameters
CASE_TYPES = (("bestallning-av-siths-kort", "Beställning av SITHS-kort"), ("ovrigt", "Övrigt"))


def sample_rows(count: int, owner_id: int, now: datetime, days: int, seed: int) -> Iterator[dict]:
    """`count` cases filed over the `days` before `now`; most closed 0–30 days after filing (those
    whose closing would lie in the future are still open)."""
    chance = random.Random(seed)
    for index in range(count):
        slug, title = CASE_TYPES[0] if chance.random() < 0.7 else CASE_TYPES[1]
        created = now - timedelta(seconds=chance.randrange(days * 86400))
        closed = created + timedelta(days=chance.randrange(31), hours=chance.randrange(8))
        is_closed = closed < now and chance.random() < 0.9
        yield {
            "number": f"G-{seed}-{index}", "owner": owner_id, "form_key": f"g-{seed}-{index}",
            "case_type_slug": slug, "case_type_title": title, "schema_text": "{}", "schema_sha256": "",
            "data": "{}", "orderer": "{}", "organisation_name": "Region Uppland",
            "organisation_number": "232100-0016",
            "status": CLOSED if is_closed else (IN_PROGRESS if chance.random() < 0.5 else SUBMITTED),
            "version": 1, "created_at": created, "updated_at": closed if is_closed else created,
            "closed_at": closed if is_closed else None,
        }


def insert_sample_cases(count: int, owner: User, now: datetime, days: int = 182, seed: int = 1) -> None:
    """Insert the generated cases and recount the status and day counters."""
    rows = sample_rows(count, owner.id, now, days, seed)
    while batch := [row for _, row in zip(range(BATCH), rows, strict=False)]:
        with db.atomic():
            Case.insert_many(batch).execute()
    recount_statuses()
    recount_case_days()
