"""Probes for the load balancer and the orchestrator.

- `/healthz`: the process answers (no database, no template): restart it when this fails.
- `/readyz`: the database answers, every table the code expects is there and every migration
  of this release is applied: send traffic only when this is 200; a stopped PostgreSQL makes it
  503 within the pool's timeout, and it is 200 again as soon as the database is back, without
  restarting the portal. A pending migration makes it 503 until `flask db upgrade` has run.
  Once ready, the schema check is skipped for SCHEMA_CHECK_SECONDS (a probe then costs one
  `SELECT 1`); while not ready, every probe checks again, so it turns ready at once.
Both answer JSON, are never cached and hold nothing about people.
"""
from __future__ import annotations

import json
import time

from flask import Blueprint, current_app
from peewee import DatabaseError, InterfaceError

from app.platform.database import without_database
from app.platform.extensions import db
from app.platform.migrations import migrations_dir, pending
from app.platform.models import MODELS

# How long a found-current schema is believed without asking again (a rollback by hand shows
# within this).
SCHEMA_CHECK_SECONDS = 30.0

bp = Blueprint("health", __name__)


def probe(ready: bool, **details):
    """JSON in plain UTF-8 (not escaped to ASCII), so an operator's curl shows the Swedish as written."""
    body = json.dumps({"status": "ok" if ready else "ej redo", **details}, ensure_ascii=False)
    response = current_app.response_class(body, status=200 if ready else 503, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def missing_tables(present: set[str]) -> list[str]:
    return sorted(model._meta.table_name for model in MODELS if model._meta.table_name not in present)


@bp.get("/healthz")
@without_database
def healthz():
    return probe(True)


def schema_problem() -> dict:
    """Why the schema does not fit this release ({} when it does)."""
    present = set(db.get_tables())
    missing = missing_tables(present)
    if missing:
        return {"databas": "tabeller saknas", "saknade": missing}
    waiting = pending(migrations_dir(current_app.config), present)
    if waiting:
        return {"databas": "migreringar väntar",
                "meddelande": "Databasen har inte uppgraderats till den här versionen: kör flask db upgrade.",
                "väntande": waiting}
    return {}


def schema_known_current() -> bool:
    return time.monotonic() < current_app.extensions.get("schema_current_until", 0.0)


@bp.get("/readyz")
@without_database
def readyz():
    known_current = schema_known_current()
    try:
        with db.connection_context():
            db.execute_sql("SELECT 1")
            problem = {} if known_current else schema_problem()
    except (DatabaseError, InterfaceError):
        return probe(False, databas="svarar inte")
    if problem:
        return probe(False, **problem)
    if not known_current:
        current_app.extensions["schema_current_until"] = time.monotonic() + SCHEMA_CHECK_SECONDS
    return probe(True, databas="ok")


def init_app(app) -> None:
    app.register_blueprint(bp)
