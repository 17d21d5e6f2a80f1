"""What the request-cost tests and `make loadtest` file and seed: a SITHS order with any number
of rows (made-up, Luhn-valid personnummer), and cases inserted in bulk for one owner."""
from __future__ import annotations

from app.platform.extensions import db
from app.platform.models import Case, User, utcnow

SITHS = "/arenden/nytt/bestallning-av-siths-kort"
ORDERER = {
    "orderer-organisation": "Region Uppland",
    "orderer-organisationsnummer": "232100-0016",
    "orderer-enhet": "Akutmottagningen",
    "orderer-namn": "Tolvan Tolvansson",
    "orderer-epost": "tolvan@example.se",
}
BULK_STATUSES = ("Inskickat", "Under handläggning", "Avslutat")


def luhn_digit(nine: str) -> str:
    total = 0
    for index, char in enumerate(nine):
        product = int(char) * (2 if index % 2 == 0 else 1)
        total += product // 10 + product % 10
    return str((10 - total % 10) % 10)


def made_up_personnummer(n: int) -> str:
    """A Luhn-valid number born 1 January 1980 + n days' worth of serials: 19800101-0nnX."""
    serial = f"{n % 1000:03d}"
    nine = "800101" + serial
    return f"19800101-{serial}{luhn_digit(nine)}"


def siths_rows(count: int) -> dict:
    rows = {}
    for n in range(count):
        rows.update({f"personer-{n}-namn": f"Person {n} Testsson",
                     f"personer-{n}-personnummer": made_up_personnummer(n + 1),
                     f"personer-{n}-epost": f"person{n}@example.se",
                     f"personer-{n}-kortutlamningskontor": "uppsala",
                     f"personer-{n}-_row": ""})
    return rows


def siths_order(rows: int, form_key: str) -> dict:
    return {**ORDERER, **siths_rows(rows), "form_key": form_key}


def bulk_cases(owner_id: int, count: int, start: int = 0, chunk: int = 5000) -> None:
    """`count` small cases for one owner, numbered B-…, a third of them closed; the status
    counters are the caller's (recount_statuses)."""
    now = utcnow()
    for first in range(start, start + count, chunk):
        rows = [dict(number=f"B-{n:07d}", owner=owner_id, form_key=f"bulk{n}", case_type_slug="ovrigt",
                     case_type_title="Övrigt", schema_text="{}", schema_sha256="0" * 64, data={}, orderer={},
                     organisation_name=f"Region {n % 500}", organisation_number=f"23{n % 500:04d}-0016",
                     status=BULK_STATUSES[n % 3], closed_at=now if n % 3 == 2 else None,
                     created_at=now, updated_at=now)
                for n in range(first, min(first + chunk, start + count))]
        with db.atomic():
            Case.insert_many(rows).execute()


def user_id(personnummer: str) -> int:
    return User.get(User.personnummer == personnummer).id
