"""Opening the database named by DATABASE_URL and tying its connection to each request.

SQLite gets WAL, a busy timeout, foreign keys and IMMEDIATE write transactions so concurrent
writers queue instead of failing; PostgreSQL gets a bounded connection pool.
"""
from __future__ import annotations

import contextlib
import logging
import time
from urllib.parse import urlsplit

import click
from flask import request
from peewee import PostgresqlDatabase, SqliteDatabase
from playhouse.db_url import parse as parse_db_url
from playhouse.pool import PooledPostgresqlDatabase

from app.platform.config import resolve_path
from app.platform.extensions import db
from app.platform.migrations import migrate_if_fresh, migrations_dir, register_commands, upgrade

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "busy_timeout": 5000,
    "foreign_keys": 1,
    "synchronous": "normal",
}


def open_sqlite(url: str, **pool_settings) -> SqliteDatabase:
    raw_path = url.split(":///", 1)[1] if ":///" in url else ":memory:"
    path = raw_path if raw_path == ":memory:" else str(resolve_path(raw_path))
    if path != ":memory:":
        resolve_path(raw_path).parent.mkdir(parents=True, exist_ok=True)
    return SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, timeout=5, lock_type="IMMEDIATE")


class PostgresqlPool(PooledPostgresqlDatabase):
    """peewee's pool asks PostgreSQL `SELECT 1` every time a request takes a connection, to
    find one the server dropped: a round trip on every request. Here only a connection that
    lay unused over PING_AFTER seconds is asked; one just given back was alive a moment ago,
    and if the server went away since, its first statement fails (a quick 503), psycopg2 marks
    it broken and the pool drops it when it is given back."""

    PING_AFTER = 1.0

    def __init__(self, *args, **kwargs):
        self.given_back: dict[int, float] = {}  # connection's key -> time.monotonic() when last given back
        super().__init__(*args, **kwargs)

    def _is_closed(self, conn) -> bool:
        given_back = self.given_back.pop(self.conn_key(conn), None)
        if (given_back is not None and time.monotonic() - given_back < self.PING_AFTER and not conn.closed
                and self._adapter.txn_status(conn) == self._adapter.txn_idle):
            return False
        return super()._is_closed(conn)

    def _close(self, conn, close_conn=False):
        super()._close(conn, close_conn)
        if not close_conn:
            self.given_back[self.conn_key(conn)] = time.monotonic()


def open_postgresql(url: str, pool_size: int = 20, pool_timeout: float = 5.0,
                    prepare: bool = True) -> PooledPostgresqlDatabase:
    """A bounded pool: when every connection is busy a request waits `pool_timeout` seconds,
    then gets a quick 503 instead of hanging (app.views.errors). `prepare`: the `Prepared`
    queries are prepared on the server (app.platform.server_side), not sent as text each time."""
    params = parse_db_url(url)
    name = params.pop("database")
    database = PostgresqlPool(name, max_connections=pool_size, timeout=pool_timeout, stale_timeout=300, **params)
    database.prepare_statements = prepare
    return database


OPENERS = {
    "sqlite": open_sqlite,
    "postgres": open_postgresql,
    "postgresql": open_postgresql,
}


def open_database(url: str, **pool_settings):
    scheme = urlsplit(url).scheme
    if scheme not in OPENERS:
        raise ValueError(f"DATABASE_URL: okänt databasschema {scheme!r}")
    return OPENERS[scheme](url, **pool_settings)


@contextlib.contextmanager
def unhurried_commit():
    """A transaction whose commit does not wait for the disk, for rows worth nothing after a
    crash (rate-limit counters, a session's last-seen time). On PostgreSQL a commit otherwise
    waits for the WAL to be flushed, several milliseconds on an ordinary disk, for every such
    row; the transaction is still atomic and isolated, only its last moments before a crash
    may be lost. SQLite in WAL mode with synchronous=normal already commits this way."""
    outermost = not db.in_transaction()  # never relax a transaction someone else began
    with db.atomic():
        if outermost and isinstance(db.obj, PostgresqlDatabase):
            db.execute_sql("SET LOCAL synchronous_commit TO OFF")
        yield


def without_database(view):
    """Marks a view that must answer without a database connection (the health probe)."""
    view.without_database = True
    return view


def init_app(app) -> None:
    # peewee logs every query with its parameters at DEBUG: personnummer would end up in logs.
    logging.getLogger("peewee").setLevel(logging.INFO)
    db.initialize(open_database(app.config["DATABASE_URL"], pool_size=app.config["DATABASE_POOL_SIZE"],
                                pool_timeout=app.config["DATABASE_POOL_TIMEOUT"],
                                prepare=app.config["DATABASE_PREPARE"]))

    @app.before_request
    def _connect():
        if not getattr(app.view_functions.get(request.endpoint), "without_database", False):
            db.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(_exc):
        if not db.is_closed():
            db.close()

    register_commands(app)  # flask db status | upgrade | create | generate

    @app.cli.command("init-db")
    def init_db_command():
        """Apply the pending migrations (`db upgrade`), then rebuild the counters."""
        from app.cases.case_days import recount_case_days  # the cases own their counters
        from app.cases.statuses import recount_statuses

        upgrade(migrations_dir(app.config))
        with db.connection_context():
            recount_statuses()
            recount_case_days()
        click.echo("Databasen är klar.")

    # A database with no tables yet gets the whole migration history at start (development, tests,
    # a first deploy); one already set up is only ever moved by `flask db upgrade`.
    if app.config.get("CREATE_TABLES", True):
        migrate_if_fresh(migrations_dir(app.config))
