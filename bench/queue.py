"""The handlers' queue with many cases: keyset pages against OFFSET pages of the same query in
the same run, plus the status counts and a search. `python -m bench.queue [N]` (default
300 000 cases on SQLite; set PORTAL_BENCH_DATABASE_URL for PostgreSQL)."""
from __future__ import annotations

import os
import sys
import tempfile
import time

from peewee import fn

from app import create_app
from app.cases import handling
from app.cases.filing import unread_case_ids
from app.cases.statuses import recount_statuses, status_counts
from app.platform.extensions import db
from app.platform.models import Case, User, utcnow
from bench.timing import median_seconds

CHUNK = 5000
PAGE = handling.QUEUE_PAGE_SIZE


def fill(count: int) -> User:
    owner = User.create(personnummer="191212121212", name="Tolvan Tolvansson")
    statuses = ("Inskickat", "Under handläggning", "Avslutat", "Avslutat")
    now = utcnow()
    for start in range(0, count, CHUNK):
        rows = [dict(number=f"B-{n:07d}", owner=owner.id, form_key=f"k{n}", case_type_slug="ovrigt",
                     case_type_title="Övrigt", schema_text="{}", schema_sha256="0" * 64, data={}, orderer={},
                     organisation_name=f"Region {n % 500}", organisation_number=f"23{n % 500:04d}-0016",
                     status=statuses[n % 4], created_at=now, updated_at=now)
                for n in range(start, min(start + CHUNK, count))]
        with db.atomic():
            Case.insert_many(rows).execute()
    return owner


def offset_page(handler, criteria, page_number: int):
    """The same page the OFFSET way, with the same unread markers, for comparison."""
    cases = list(handling.filtered(criteria).order_by(Case.id).offset(page_number * PAGE).limit(PAGE + 1))
    return cases, unread_case_ids(handler, [case.id for case in cases[:PAGE]])


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300_000
    with tempfile.TemporaryDirectory() as folder:
        url = os.environ.get("PORTAL_BENCH_DATABASE_URL", f"sqlite:///{folder}/queue.db")
        app = create_app({"env": "testing", "secret_key": "bench-" + "x" * 40, "database_url": url})
        with app.app_context(), db.connection_context():
            started = time.perf_counter()
            handler = fill(count)
            recount_statuses()
            print(f"{count} cases on {url.split(':')[0]} in {time.perf_counter() - started:.1f} s")
            criteria = handling.QueueFilter()
            open_cases = handling.filtered(criteria).count()
            deep = (open_cases // PAGE) - 1
            cursor = handling.filtered(criteria).order_by(Case.id).offset(deep * PAGE - 1).limit(1).get().id
            figures = {
                "first page, keyset": median_seconds(lambda: handling.queue(handler, criteria, None, PAGE)),
                "first page, OFFSET": median_seconds(lambda: offset_page(handler, criteria, 0)),
                f"page {deep}, keyset": median_seconds(lambda: handling.queue(handler, criteria, cursor, PAGE)),
                f"page {deep}, OFFSET": median_seconds(lambda: offset_page(handler, criteria, deep)),
                "status counts": median_seconds(status_counts),
                "counting by GROUP BY": median_seconds(lambda: list(Case.select(Case.status, fn.COUNT(Case.id)).group_by(Case.status).tuples())),
                "search 'region 42'": median_seconds(lambda: handling.queue(handler, handling.QueueFilter(query="region 42"), None, PAGE)),
            }
            for name, value in figures.items():
                print(f"  {name:<22} {value * 1000:9.2f} ms")
            ratio = figures[f"page {deep}, OFFSET"] / figures[f"page {deep}, keyset"]
            print(f"  deep page: keyset is {ratio:.0f}x faster than OFFSET")


if __name__ == "__main__":
    main()
