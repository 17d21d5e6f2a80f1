"""Generated cases in bulk, for the statistics' tests and the benchmark at 1 000 000 cases:
deterministic (a seed), inserted many rows per statement, with filing and closing times spread
over the weeks before `now` as a busy ombud's would be. Never imported in production."""
from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from peewee import SqliteDatabase

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


# --- the same spread made by the database itself, for the benchmark at 1 000 000 cases -----------

# Pseudo-random numbers from the row number alone, so both databases make the very same cases
# without a seedable random(), and an expression may be evaluated any number of times: x = (n + c)·a
# mod p, then x² mod p, which breaks the straight lines a linear step alone leaves between the
# streams (p = 2³¹−1, a prime; x² < 2⁶³ fits a 64-bit integer). Good enough to spread cases over
# days, not for anything else.
MODULUS = 2147483647
STREAMS = {"type": (1103515245, 11), "filed": (950706376, 29), "days": (742938285, 37),
           "hours": (1226874159, 53), "closes": (62089911, 71), "status": (397204094, 97)}


def stream(name: str, below: int) -> str:
    """SQL for a number in 0 .. below-1 drawn for row n from the named stream."""
    multiplier, offset = STREAMS[name]
    drawn = f"(((n + {offset}) * {multiplier}) % {MODULUS})"
    return f"((({drawn} * {drawn}) % {MODULUS}) % {below})"


# Per database: the row numbers 1..count, the moment bound as a parameter, a moment some seconds
# before / after another, and the statement as the driver takes it (psycopg2 wants %s, and a
# literal % doubled).
SQLITE_SQL = {
    "numbers": "WITH RECURSIVE numbers(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM numbers WHERE n < {count})",
    "now": "?",
    "minus_seconds": "datetime({moment}, '-' || ({seconds}) || ' seconds')",
    "plus_seconds": "datetime({moment}, '+' || ({seconds}) || ' seconds')",
    "driver_text": lambda sql: sql,
    "moment": lambda moment: moment.isoformat(" "),  # the text peewee stores
}
POSTGRESQL_SQL = {
    "numbers": "WITH numbers AS (SELECT n::bigint AS n FROM generate_series(1, {count}) AS s(n))",
    "now": "CAST(? AS TIMESTAMP)",
    "minus_seconds": "({moment} - ({seconds}) * interval '1 second')",
    "plus_seconds": "({moment} + ({seconds}) * interval '1 second')",
    "driver_text": lambda sql: sql.replace("%", "%%").replace("?", "%s"),
    "moment": lambda moment: moment,
}


def bulk_insert_sql(dialect: dict, count: int, days: int) -> str:
    """One INSERT … SELECT making `count` cases spread as sample_rows spreads them: filed over the
    `days` before the moment bound first (and second), 70 % SITHS orders, closed 0–30 days and
    0–7 hours after filing unless that lies ahead or the 1-in-10 draw keeps them open; the owner
    bound third."""
    now = dialect["now"]
    filed = dialect["minus_seconds"].format(moment=now, seconds=stream("filed", days * 86400))
    closes = dialect["plus_seconds"].format(
        moment="filed_at", seconds=f"{stream('days', 31)} * 86400 + {stream('hours', 8)} * 3600")
    # Every piece is a constant of this module or an int; the values are bound.
    sql = (
        f"{dialect['numbers'].format(count=int(count))}, "  # noqa: S608
        f"drawn AS (SELECT n, {filed} AS filed_at, {stream('type', 10)} AS type_draw, "
        f"{stream('closes', 10)} AS closes_draw, {stream('status', 2)} AS status_draw FROM numbers), "
        f"timed AS (SELECT drawn.*, {closes} AS closes_at FROM drawn), "
        f"shaped AS (SELECT timed.*, (closes_at < {now} AND closes_draw < 9) AS is_closed FROM timed) "
        'INSERT INTO "case" (number, owner_id, form_key, case_type_slug, case_type_title, schema_text, '
        "schema_sha256, data, orderer, organisation_name, organisation_number, status, version, created_at, "
        "updated_at, closed_at) "
        "SELECT 'B-' || n, ?, 'b-' || n, "
        "CASE WHEN type_draw < 7 THEN 'bestallning-av-siths-kort' ELSE 'ovrigt' END, "
        "CASE WHEN type_draw < 7 THEN 'Beställning av SITHS-kort' ELSE 'Övrigt' END, "
        "'{}', '', '{}', '{}', 'Region Uppland', '232100-0016', "
        f"CASE WHEN is_closed THEN '{CLOSED}' WHEN status_draw = 0 THEN '{IN_PROGRESS}' ELSE '{SUBMITTED}' END, "
        "1, filed_at, CASE WHEN is_closed THEN closes_at ELSE filed_at END, "
        "CASE WHEN is_closed THEN closes_at END FROM shaped"
    )
    return dialect["driver_text"](sql)


def insert_sample_cases_in_sql(count: int, owner: User, now: datetime, days: int = 730) -> None:
    """`count` generated cases made by the database in one statement (a million in seconds, where
    insert_sample_cases takes minutes), then the status and day counters recounted."""
    dialect = SQLITE_SQL if isinstance(db.obj, SqliteDatabase) else POSTGRESQL_SQL
    moment = dialect["moment"](now.replace(microsecond=0))
    with db.atomic():
        db.execute_sql(bulk_insert_sql(dialect, count, days), (moment, moment, owner.id))
    recount_statuses()
    recount_case_days()
