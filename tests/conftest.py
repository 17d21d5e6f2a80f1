"""Shared fixtures: a fresh app per test on a temporary SQLite database, and on PostgreSQL
too when PORTAL_TEST_DATABASE_URL names a server (CI sets it); each PostgreSQL test gets a
schema of its own that is dropped afterwards."""
from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

import psycopg2
import pytest
from hypothesis import settings

from app import create_app

# In CI the property tests replay a fixed set of examples, so a green run means the same on every
# machine; local runs (and `make fuzz`) keep exploring new ones.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

# Fixture modules every test may use (smtp_server; the BankID tests' sim, bankid, html_403_server).
pytest_plugins = ["tests.bankid_fixtures", "tests.smtp_fixtures", "tests.client_fixtures", "tests.webhook_fixtures"]

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
KITCHEN_SINK_DIR = FIXTURES / "kitchen-sink"
POSTGRES_URL = os.environ.get("PORTAL_TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'portal.db'}"


@contextlib.contextmanager
def postgresql_schema():
    """A throwaway schema on the test server, selected through the connection's search_path."""
    if not POSTGRES_URL:
        pytest.skip("PORTAL_TEST_DATABASE_URL is not set (CI sets it; see README)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(POSTGRES_URL)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        admin.cursor().execute(f'DROP SCHEMA "{schema}" CASCADE')
        admin.close()


@pytest.fixture
def postgresql_url():
    with postgresql_schema() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def database_url(request):
    return request.getfixturevalue(f"{request.param}_url")


def make_app(database_url: str, **overrides):
    settings = {
        "env": "testing",
        "secret_key": "test-" + uuid.uuid4().hex * 2,
        "database_url": database_url,
        "form_preview": True,
        "wtf_csrf_enabled": False,
        **overrides,
    }
    return create_app(settings)


@pytest.fixture
def app(sqlite_url):
    return make_app(sqlite_url)


@pytest.fixture
def any_db_app(database_url):
    """The app on each backend in turn (SQLite always, PostgreSQL when configured)."""
    return make_app(database_url)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def csrf_app(sqlite_url):
    return make_app(sqlite_url, wtf_csrf_enabled=True)


@pytest.fixture
def simulator_url():
    """A BankID simulator on a free loopback port, for the portal's real client to talk to."""
    from tests.bankid_fixtures import running_simulator

    with running_simulator() as base_url:
        yield base_url


@pytest.fixture
def within_one_minute():
    """Rate limits count per clock minute; a test that starts well inside one never straddles
    two (the clock still runs)."""
    from freezegun import freeze_time

    with freeze_time("2026-11-29 10:00:05", tick=True):
        yield
