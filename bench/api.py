"""/api/v1 with many cases: list pages (first, deep by keyset, filtered) and one case fetched,
through the whole request path (token, rate limit, JSON), against two baselines measured in the
same run: a bare Flask JSON endpoint (the framework's floor) and the handlers' queue page (the
portal's own list of the same cases). `python -m bench.api [N]` (default 100 000 cases on SQLite;
set PORTAL_BENCH_DATABASE_URL for PostgreSQL)."""
from __future__ import annotations

import os
import secrets
import sys
import tempfile
import time

from flask import Flask, jsonify

from app import create_app
from app.accounts.sessions import SESSION_KEY, token_hash
from app.api.tokens import create_token
from app.cases.statuses import recount_statuses
from app.cases.types import case_types
from app.platform.extensions import db
from app.platform.models import Case, Message, Session, StatusChange, User, utcnow
from bench.timing import median_seconds

CHUNK = 5000
SLUG = "bestallning-av-siths-kort"
DOCUMENT = {"personer": [{"namn": "Anna Åkesson", "personnummer": "191212121212", "epost": "anna@example.se",
                          "kortutlamningskontor": "uppsala", "eget_kortkontor": False}]}
ORDERER = {"organisation": {"organisationsnamn": "Region Uppland", "organisationsnummer": "232100-0016"},
           "enhet": {"enhetens_namn": "Akutmottagningen"}, "bestallare": {"namn": "Tolvan", "epost": "t@example.se"}}
STATUSES = ("Inskickat", "Under handläggning", "Avslutat", "Avslutat")


def fill(count: int) -> tuple[User, User]:
    """Bulk inserts: cases of the real case type with a document, each with its filing in the
    history, and a thread of three messages on every hundredth case."""
    owner = User.create(personnummer="191212121212", name="Tolvan Tolvansson")
    handler = User.create(personnummer="194108207210", name="Hanna Handläggare", role="handler")
    case_type = case_types()[SLUG]
    now = utcnow()
    for start in range(0, count, CHUNK):
        numbers = range(start, min(start + CHUNK, count))
        rows = [dict(number=f"B-{n:07d}", owner=owner.id, form_key=f"k{n}", case_type_slug=SLUG,
                     case_type_title=case_type.title, schema_text=case_type.text, schema_sha256=case_type.sha256,
                     data=DOCUMENT, orderer=ORDERER, organisation_name=f"Region {n % 500}",
                     organisation_number=f"23{n % 500:04d}-0016", status=STATUSES[n % 4], created_at=now, updated_at=now)
                for n in numbers]
        with db.atomic():
            Case.insert_many(rows).execute()
            ids = [case.id for case in Case.select(Case.id).where(Case.number.in_([row["number"] for row in rows]))]
            StatusChange.insert_many([dict(case=i, from_status=None, to_status="Inskickat", actor=owner.id, created_at=now)
                                      for i in ids]).execute()
            Message.insert_many([dict(case=i, author=author, body="Hej!", internal=False, created_at=now)
                                 for i in ids[::100] for author in (owner.id, handler.id, owner.id)]).execute()
    return owner, handler


def handler_session(handler: User) -> str:
    """A session row, as a BankID login leaves it; its token goes in the browser's cookie."""
    token = secrets.token_urlsafe(32)
    Session.create(token_hash=token_hash(token), user=handler, role="handler")
    return token


def handler_client(app, token: str):
    client = app.test_client()
    with client.session_transaction() as session:
        session[SESSION_KEY] = token
    return client


def bare_flask():
    app = Flask(__name__)

    @app.get("/x")
    def answer():
        return jsonify({"items": [], "next_cursor": None})

    return app.test_client()


def timed(client, path: str, headers: dict | None = None) -> float:
    def once():
        response = client.get(path, headers=headers or {})
        assert response.status_code == 200, (path, response.status_code)
    once()  # warm
    return median_seconds(once, repeat=15)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as folder:
        url = os.environ.get("PORTAL_BENCH_DATABASE_URL", f"sqlite:///{folder}/api.db")
        app = create_app({"env": "testing", "secret_key": "bench-" + "x" * 40, "database_url": url,
                          "api_requests_per_token": 10**9, "access_log": False, "log_format": "none"})
        with app.app_context(), db.connection_context():
            started = time.perf_counter()
            _owner, handler = fill(count)
            recount_statuses()
            db.execute_sql("ANALYZE")  # the planner's statistics, as a database in service has them
            print(f"{count} cases on {url.split(':')[0]} in {time.perf_counter() - started:.1f} s")
            secret = create_token("bench", "read").secret
            session_token = handler_session(handler)
            last_id = Case.select(Case.id).order_by(Case.id.desc()).first().id
            busy = Case.select().where(Case.id == (last_id - 50) // 100 * 100 + 1).get()  # one with a thread
        bearer = {"Authorization": f"Bearer {secret}"}
        browser = handler_client(app, session_token)
        api = app.test_client()
        deep = last_id - 30
        figures = {
            "bare Flask JSON": timed(bare_flask(), "/x"),
            "queue page, first": timed(browser, "/handlaggare/arenden?status=all"),
            "queue page, deep": timed(browser, f"/handlaggare/arenden?status=all&efter={deep}"),
            "API list, first": timed(api, "/api/v1/cases", bearer),
            "API list, deep": timed(api, f"/api/v1/cases?after={deep}", bearer),
            "API list, 100 rows": timed(api, "/api/v1/cases?limit=100", bearer),
            "API list, filtered": timed(api, f"/api/v1/cases?status=Avslutat&case_type={SLUG}&filed_since=2000-01-01", bearer),
            "API fetch one case": timed(api, f"/api/v1/cases/{busy.number}", bearer),
        }
        for name, value in figures.items():
            print(f"  {name:<20} {value * 1000:8.2f} ms")
        floor, queue = figures["bare Flask JSON"], figures["queue page, first"]
        for name in ("API list, first", "API list, deep", "API list, filtered", "API fetch one case"):
            print(f"  {name:<20} {figures[name] / floor:6.1f}x bare Flask, {figures[name] / queue:5.2f}x the queue page")
        print(f"  deep / first page (API): {figures['API list, deep'] / figures['API list, first']:.2f}")


if __name__ == "__main__":
    main()
