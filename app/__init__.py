"""Kundportalen: the Flask application factory, a short list of init steps.

Subsystems are imported inside create_app, so importing any one part of the portal (or the
pure packages beside it) never drags in the whole application. The development tools
(app.dev) are imported only when the config asks for them.
"""
from __future__ import annotations

from flask import Flask


def create_app(overrides: dict | None = None) -> Flask:
    from app import api, views
    from app.accounts import login, profiles, sessions, users
    from app.cases import retention, types
    from app.messaging import worker
    from app.platform import database, health, inputs, logs, metrics, security
    from app.platform.config import load_config
    from app.platform.extensions import csrf

    app = Flask(__name__)
    app.config.from_mapping(load_config(overrides))
    logs.init_app(app)  # first: every later step's lines carry the request id
    metrics.init_app(app)
    security.init_app(app)
    inputs.init_app(app)  # before any route is added
    database.init_app(app)
    health.init_app(app)
    sessions.init_app(app)  # before CSRF, so an expired-token page knows who is logged in
    login.init_app(app)
    csrf.init_app(app)
    types.init_app(app)
    api.init_app(app)  # its OpenAPI document is built from the case types, once
    profiles.init_app(app)
    users.init_app(app)
    worker.init_app(app)  # the outbox: e-mails and webhooks
    retention.init_app(app)
    views.init_app(app)
    if wants_development_tools(app.config):
        from app import dev

        dev.init_app(app)
    return app


def wants_development_tools(config) -> bool:
    """The dev server command and the mounted BankID simulator; production refuses both
    (app.platform.security), so there app.dev is never imported."""
    return config["ENV"] == "development" or bool(config.get("BANKID_SIMULATOR"))
