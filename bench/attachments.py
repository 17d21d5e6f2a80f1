"""Uploading a 10 MB file with an "Övrigt" case over HTTP (multipart parsing, the content check,
sha256, storing, filing), against posting the same form without a file in the same run: median
wall time and peak Python memory (tracemalloc) of each, and their ratio. Both storages: the
database and a storage folder. `python -m bench.attachments [MB]` (default 10; SQLite, or
PORTAL_BENCH_DATABASE_URL for PostgreSQL)."""
from __future__ import annotations

import io
import os
import statistics
import sys
import tempfile
import time
import tracemalloc

from flask import session

from app import create_app
from app.accounts import profiles, sessions
from app.accounts.users import ensure_user
from app.platform.extensions import db

FORM = "/arenden/nytt/ovrigt"
ORDERER = {"orderer-organisation": "Region Uppland", "orderer-organisationsnummer": "232100-0016",
           "orderer-enhet": "Akutmottagningen", "orderer-namn": "Tolvan Tolvansson", "orderer-epost": "tolvan@example.se"}
PROFILE = {"organisation": {"organisationsnamn": "Region Uppland", "organisationsnummer": "232100-0016",
                            "enhet": "Akutmottagningen"},
           "bestallare": {"namn": "Tolvan Tolvansson", "epost": "tolvan@example.se"}, "notifieringar": {"epost": False}}
REPEAT = 5


def logged_in_client(app):
    """A test client holding a real server-side session of a customer with Mina uppgifter."""
    with app.test_request_context(), db.connection_context():
        user = ensure_user("191212121212", "Tolvan Tolvansson")
        profiles.save(user, PROFILE)
        sessions.log_in(user)
        cookie = dict(session)
    client = app.test_client()
    with client.session_transaction() as browser_session:
        browser_session.update(cookie)
    return client


def pdf_of(size: int) -> bytes:
    """A PDF header and random bytes: passes the content check, and no two runs store the same file."""
    return b"%PDF-1.7\n" + os.urandom(size - 9)


def post(client, number: int, size: int) -> None:
    data = {**ORDERER, "beskrivning": "Polisanmälan bifogas.", "form_key": f"bench-form-key-{number:08d}"}
    if size:
        data["bilagor"] = (io.BytesIO(pdf_of(size)), "polisanmalan.pdf", "application/pdf")
    response = client.post(FORM, data=data, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]


def measured(client, size: int, first: int) -> tuple[float, int]:
    """(median seconds, peak bytes) of posting the form with a file of `size` bytes (0: none)."""
    times = []
    for number in range(first, first + REPEAT):
        start = time.perf_counter()
        post(client, number, size)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    post(client, first + REPEAT, size)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return statistics.median(times), peak


def run(storage: str, url: str, size: int) -> None:
    app = create_app({"env": "testing", "secret_key": "bench-" + "x" * 40, "database_url": url,
                      "wtf_csrf_enabled": False, "cases_per_user": 100_000, "attachment_storage": storage})
    client = logged_in_client(app)
    post(client, 0, 0)  # warm up: the form class, templates, the first connection
    base_time, base_peak = measured(client, 0, 1)
    file_time, file_peak = measured(client, size, 100)
    where = "folder" if storage else "database"
    mb = size / (1024 * 1024)
    print(f"{where:>8}: without file {base_time * 1000:7.1f} ms, peak {base_peak / 2**20:6.1f} MB | "
          f"with {mb:.0f} MB file {file_time * 1000:7.1f} ms, peak {file_peak / 2**20:6.1f} MB | "
          f"time x{file_time / base_time:.1f}, peak memory {file_peak / size:.1f}x the file")


def main() -> None:
    size = int(float(sys.argv[1]) * 1024 * 1024) if len(sys.argv) > 1 else 10 * 1024 * 1024
    with tempfile.TemporaryDirectory() as folder:
        for storage in ("", f"{folder}/filer"):
            url = os.environ.get("PORTAL_BENCH_DATABASE_URL") or f"sqlite:///{folder}/bench-{len(storage)}.db"
            run(storage, url, size)


if __name__ == "__main__":
    main()
