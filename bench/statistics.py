"""Statistik at scale: 1 000 000 generated cases made by the database itself (one INSERT … SELECT,
app.dev.sample_cases.insert_sample_cases_in_sql) in a fresh SQLite file, and in a schema of its own
on PostgreSQL when PORTAL_TEST_DATABASE_URL names a server (dropped afterwards). Then, fetched
through the app as a logged-in handler:

- cold: the first request for the statistics page in a new process (the app just created, as a
  gunicorn worker after a restart: lazy imports, templates, the holiday calendar, the first
  connection), each in its own interpreter, median of COLD_RUNS, with the app's start beside it;
- warm: the median of ROUNDS requests for each period (4, 26 and 52 weeks), and the handler's queue
  page measured the same way as the baseline.

Prints the figures; the goal is under one second, cold or warm. Usage:

    .venv/bin/python -m bench.statistics [COUNT] [sqlite|postgresql ...]
"""
from __future__ import annotations

import json
import os
import secrets
import statistics as stats
import subprocess
import sys
import tempfile
import time
import uuid

import psycopg2

from app import create_app
from app.accounts.sessions import SESSION_KEY, token_hash
from app.accounts.users import ensure_user
from app.dev.sample_cases import insert_sample_cases_in_sql
from app.platform.extensions import db
from app.platform.models import Session, utcnow

ROUNDS = 7
COLD_RUNS = 3
QUEUE = "/handlaggare/arenden"
STATISTICS = "/handlaggare/statistik?veckor={weeks}"
PERIODS = (4, 26, 52)


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


def seconds_for(client, path: str) -> float:
    started = time.perf_counter()
    response = client.get(path)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, (path, response.status_code)
    return elapsed


def warm_median(client, path: str) -> float:
    seconds_for(client, path)  # not counted: this process's first
    return stats.median(seconds_for(client, path) for _ in range(ROUNDS))


def cold_child(url: str) -> None:
    """Run in a new interpreter: create the app, log in, fetch the statistics page once; prints
    the two times as JSON for the parent."""
    started = time.perf_counter()
    app = app_on(url)
    created = time.perf_counter() - started
    client = logged_in_handler(app)
    first = seconds_for(client, STATISTICS.format(weeks=26))
    print(json.dumps({"start": created, "first": first}))


def cold_figures(url: str) -> dict:
    runs = []
    for _ in range(COLD_RUNS):
        output = subprocess.run([sys.executable, "-m", "bench.statistics", "--cold", url], check=True,
                                capture_output=True, text=True).stdout
        runs.append(json.loads(output.strip().splitlines()[-1]))
    return {name: stats.median(run[name] for run in runs) for name in ("start", "first")}


def measure(name: str, url: str, count: int) -> None:
    app = app_on(url)
    started = time.perf_counter()
    with app.app_context(), db.connection_context():
        owner = ensure_user("191212121212", "Bänk Kund")
        insert_sample_cases_in_sql(count, owner, utcnow(), days=730)
    print(f"{name}: {count} cases made and counted in {time.perf_counter() - started:.0f} s")
    cold = cold_figures(url)
    print(f"{name}: cold (new process) statistics page {cold['first'] * 1000:.0f} ms "
          f"(median of {COLD_RUNS}; the app's start before it {cold['start'] * 1000:.0f} ms)")
    client = logged_in_handler(app)
    queue = warm_median(client, QUEUE)
    for weeks in PERIODS:
        page = warm_median(client, STATISTICS.format(weeks=weeks))
        print(f"{name}: warm statistics page, {weeks} weeks, median {page * 1000:.0f} ms "
              f"= {page / queue:.1f} × the queue page ({queue * 1000:.0f} ms)")


def on_postgresql(count: int) -> None:
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


def main() -> None:
    if sys.argv[1:2] == ["--cold"]:
        cold_child(sys.argv[2])
        return
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    backends = sys.argv[2:] or ["sqlite", "postgresql"]
    if "sqlite" in backends:
        with tempfile.TemporaryDirectory() as folder:
            measure("SQLite", f"sqlite:///{folder}/bench.db", count)
    if "postgresql" in backends:
        on_postgresql(count)


if __name__ == "__main__":
    main()
