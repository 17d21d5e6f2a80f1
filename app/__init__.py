"""Kundportalen: the Flask application factory, a short list of init steps."""
from __future__ import annotations

from flask import Flask

from . import database, devserver, forms_registry, inputs, mailer, profiles, retention, security, simulator_mount, users, views
from .auth import sessions
from .config import load_config
from .extensions import csrf


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(load_config(overrides))
    security.init_app(app)
    inputs.init_app(app)  # before any route is added
    database.init_app(app)
    sessions.init_app(app)  # before CSRF, so an expired-token page knows who is logged in
    csrf.init_app(app)
    forms_registry.init_app(app)
    profiles.init_app(app)
    users.init_app(app)
    mailer.init_app(app)
    devserver.init_app(app)
    retention.init_app(app)
    views.init_app(app)
    simulator_mount.init_app(app)
    return app
