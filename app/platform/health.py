"""Probes for the load balancer and the orchestrator.

- `/healthz`: the process answers (no database, no template): restart it when this fails.
- `/readyz`: the database answers and every table the code expects is there: send traffic
  only when this is 200; a stopped PostgreSQL makes it 503 within the pool's timeout, and it is
  200 again as soon as the database is back, without restarting the portal.
Both answer JSON, are never cached and hold nothing about people.
"""
from __future__ import annotations

from flask import Blueprint, jsonify
from peewee import DatabaseError, InterfaceError

from app.platform.database import without_database
from app.platform.extensions import db
from app.platform.models import MODELS

bp = Blueprint("health", __name__)


def probe(ready: bool, **details):
    response = jsonify({"status": "ok" if ready else "ej redo", **details})
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def missing_tables() -> list[str]:
    present = set(db.get_tables())
    return sorted(model._meta.table_name for model in MODELS if model._meta.table_name not in present)


@bp.get("/healthz")
@without_database
def healthz():
    return probe(True)


@bp.get("/readyz")
@without_database
def readyz():
    try:
        with db.connection_context():
            db.execute_sql("SELECT 1")
            missing = missing_tables()
    except (DatabaseError, InterfaceError):
        return probe(False, databas="svarar inte")
    if missing:
        return probe(False, databas="tabeller saknas", saknade=missing)
    return probe(True, databas="ok")


def init_app(app) -> None:
    app.register_blueprint(bp)
