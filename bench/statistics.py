"""Statistik at scale: 1 000 000 generated cases bulk-inserted into a fresh database (SQLite, and
PostgreSQL when PORTAL_TEST_DATABASE_URL names a server), then the handler's statistics page and,
as the baseline measured in the same run, the handler's queue page, each fetched over the app
(a test client, logged in as a handler) several times. Prints the median time per page and the
ratio statistics / queue. Usage:

    .venv/bin/python -m bench.statistics [COUNT] [sqlite|postgresql]
"""
from __future__ import annotations

import os
import secrets
import statistics as stats
import sys
import tempfile
import time
import uuid

import psycopg2

from app import create_app
from app.accounts.sessions import SESSION_KEY, token_hash
from app.accounts.users import ensure_user
from app.dev.sample_cases import insert_sample_cases
from app.platform.extensions import db
from app.platform.models import Session, utcnow

ROUNDS = 5
PAGES = {"queue": "/handlaggare/arenden", "statistics": "/handlaggare/statistik?veckor=26"}


def app_on(url: str):
    return create_app({"env": "testing", "secret_key": "bench-" + uuid.uuid4().hex * 2, "database_url": url,
                       "wtf_csrf_enabled": False, "bankid_simulator": False})


def logged_in_handler(app):
    """A test client holding a handler's session row, as a BankID login leaves it."""
    client = app.test_client()
    token = secrets.token_urlsafe(32)
    with app.app_context(), db.connection_context():
        handler = ensure_user("194108207210", "Bänk Handläggare", "handler")
        Session.create(token_hash=token_hash(token), user=handler, role=handler.role)
    with client.session_transaction() as session:
        session[SESSION_KEY] = token
    return client


def timed(client, path: str) -> list[float]:
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.status_code)
    return times


def measure(name: str, url: str, count: int) -> None:
    app = app_on(url)
    started = time.perf_counter()
    with app.app_context(), db.connection_context():
        owner = ensure_user("191212121212", "Bänk Kund")
        insert_sample_cases(count, owner, utcnow(), days=730, seed=1)
    print(f"{name}: {count} cases inserted in {time.perf_counter() - started:.0f} s")
    client = logged_in_handler(app)
    first = timed(client, PAGES["statistics"])[0]  # the first includes the holiday calendar's build
    medians = {page: stats.median(timed(client, path)) for page, path in PAGES.items()}
    print(f"{name}: statistics page first {first * 1000:.0f} ms, median {medians['statistics'] * 1000:.0f} ms; "
          f"queue page median {medians['queue'] * 1000:.0f} ms; "
          f"statistics / queue = {medians['statistics'] / medians['queue']:.1f}")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    backends = sys.argv[2:] or ["sqlite", "postgresql"]
    if "sqlite" in backends:
        with tempfile.TemporaryDirectory() as folder:
            measure("SQLite", f"sqlite:///{folder}/bench.db", count)
    if "postgresql" not in backends:
        return
    server = os.environ.get("PORTAL_TEST_DATABASE_URL")
    if not server:
        print("PostgreSQL: skipped (PORTAL_TEST_DATABASE_URL is not set)")
        return
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(server)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE SCHEMA "{schema}"')
    try:
        separator = "&" if "?" in server else "?"
        measure("PostgreSQL", f"{server}{separator}options=-csearch_path%3D{schema}", count)
    finally:
        admin.cursor().execute(f'DROP SCHEMA "{schema}" CASCADE')
        admin.close()


if __name__ == "__main__":
    main()
