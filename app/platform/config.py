"""Configuration: built-in defaults, then config.toml, then the file named by PORTAL_CONFIG,
then PORTAL_<KEY> environment variables, then the overrides handed to create_app.

Keys are lower-case in files and upper-case in ``app.config``.
"""
from __future__ import annotations

import os
import tomllib
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ENV_PREFIX = "PORTAL_"

DEFAULTS = {
    "env": "production",
    "secret_key": None,
    "database_url": "sqlite:///instance/portal.db",
    "database_pool_size": 20,
    "database_pool_timeout": 5.0,
    # PostgreSQL: the small queries every page sends are prepared on the server once per pooled
    # connection (app.platform.server_side); false behind a pooler in transaction mode
    # (PgBouncer), which hands each statement to whichever server connection is free.
    "database_prepare": True,
    "migrations_dir": "migrations",  # app.platform.migrations
    "forms_dir": "forms",
    "portal_name": "Kundportalen",
    "form_preview": False,
    "support_email": "",
    "support_phone": "",
    "operator_name": "",
    "privacy_email": "",
    "accessibility_reviewed": "",
    "accessibility_supervisor_url": "https://www.digg.se/tdosanmalan",
    "handling_hours": "09:00-16.00",
    "max_content_length": 2 * 1024 * 1024,
    # The case form is posted as multipart/form-data (it carries the tables' import files), and
    # Werkzeug refuses more parts than this with 413: a 200-row table posts about 1 400 fields,
    # over Flask's default of 1 000. The body stays bounded by max_content_length.
    "max_form_parts": 20_000,
    "public_base_url": "http://127.0.0.1:5000",
    "trusted_hosts": [],
    "trusted_proxies": 0,
    "retention_days": 0,
    "pdf_engine": "weasyprint",
    "pdf_timeout": 20.0,
    "session_idle_minutes": 30,
    "session_absolute_hours": 12,
    "bankid_url": "https://appapi2.test.bankid.com/rp/v6.0/",
    "bankid_cert": "",
    "bankid_key": "",
    "bankid_ca": "",
    "bankid_connect_timeout": 5.0,
    "bankid_read_timeout": 10.0,
    "bankid_simulator": False,
    "bankid_app_url": "",
    "login_start_per_ip": 20,
    "login_start_per_session": 6,
    "login_poll_per_ip": 600,
    "login_poll_per_session": 90,
    "login_qr_per_session": 150,
    "cases_per_user": 20,
    "messages_per_user": 30,
    "status_changes_per_user": 30,
    "searches_per_user": 60,
    "pdfs_per_user": 30,
    "api_requests_per_token": 600,
    "api_failed_tokens_per_address": 20,
    # Attachments (app/cases/attachments.py): "" keeps files in the database, else a folder.
    "attachment_storage": "",
    "attachment_max_case_bytes": 50 * 1024 * 1024,
    "message_attachment_max_bytes": 10 * 1024 * 1024,
    "message_max_attachments": 5,
    # The largest request a form with file fields may send (every other request: max_content_length).
    "upload_max_request_bytes": 60 * 1024 * 1024,
    "drafts_per_user": 60,
    "draft_days": 30,
    "drafts_per_customer": 20,
    "draft_max_bytes": 1_000_000,
    "log_format": "json",  # json | text | none (leave logging as the host process set it)
    "log_level": "INFO",
    "access_log": True,  # one line per answered request: route name, method, status, ms
    "metrics_token": "",  # Bearer token for /metrics from other hosts; empty: loopback only
}


def read_toml(path: Path) -> dict:
    with open(path, "rb") as handle:
        return tomllib.load(handle)


def parse_env_value(text: str):
    """Read an environment value as a TOML scalar when it is one (true, 30), else as text."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def env_layer(environ) -> dict:
    return {key[len(ENV_PREFIX):].lower(): parse_env_value(value)
            for key, value in environ.items()
            if key.startswith(ENV_PREFIX) and key != "PORTAL_CONFIG"}


def file_layers(environ) -> list[dict]:
    layers = []
    base = PROJECT_ROOT / "config.toml"
    if base.exists():
        layers.append(read_toml(base))
    extra = environ.get("PORTAL_CONFIG")
    if extra:
        layers.append(read_toml(Path(extra)))
    return layers


def load_config(overrides: dict | None = None, environ=None) -> dict:
    """Merge the layers in order; later layers win. Returns upper-case keys for Flask."""
    environ = os.environ if environ is None else environ
    merged = dict(DEFAULTS)
    for layer in [*file_layers(environ), env_layer(environ), overrides or {}]:
        merged.update({key.lower(): value for key, value in layer.items()})
    return {key.upper(): value for key, value in merged.items()}


def resolve_path(value: str) -> Path:
    """Relative paths in config are relative to the project root, not the working directory."""
    path = Path(value)
    return path if path.is_absolute() else PROJECT_ROOT / path
