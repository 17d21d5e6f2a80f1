"""Schema migrations: the numbered files in migrations/ are the schema's history, applied in order
by peewee's own migration runner (playhouse.migrations) and recorded by name in the table
`schema_migration`. This module owns running them (`flask db status | upgrade | create |
generate`, and `init-db`), the fresh-database path at start, and the answer readyz asks for:
which of the code's migrations the database has not had yet.

Why playhouse.migrations and not peewee-migrate: it ships inside the pinned peewee (same author,
same release), keeps its history model per runner (peewee-migrate rebinds one module-global model
to whichever database it saw last, which two apps in one process would cross), never patches
peewee globally (peewee-migrate replays applied migrations under `mock.patch` of `Model.select`
and `Database.execute_sql`, which would hit every other thread), runs each migration in a
transaction with SQLite's foreign keys off during table rebuilds, and writes migration files from
a diff of the models against a live database (`flask db generate`).
"""
from __future__ import annotations

import contextlib
import fcntl
import time
from pathlib import Path

import click
from peewee import PostgresqlDatabase
from playhouse.migrations import Migration, Runner, template
from playhouse.schema_diff import diff_models

from app.platform.config import resolve_path
from app.platform.extensions import db
from app.platform.models import MODELS

HISTORY_TABLE = "schema_migration"
# Any fixed number: the PostgreSQL advisory lock that lets one `db upgrade` run at a time.
UPGRADE_LOCK_KEY = 7_015_015


def migrations_dir(config) -> Path:
    """The folder of migration files: `migrations/` (config key migrations_dir; tests point it
    at a copy with one more migration, to play a release whose migration is not yet applied)."""
    return resolve_path(config["MIGRATIONS_DIR"])


def runner(directory: Path) -> Runner:
    return Runner(db.obj, str(directory), table_name=HISTORY_TABLE)


def migration_names(directory: Path) -> list[str]:
    """The code's migrations, in the order they apply."""
    return [migration.name for migration in Migration.load_directory(str(directory))]


def applied_names(tables: set[str] | None = None) -> set[str]:
    """One small query (a table of one row per migration); no table yet: nothing applied.
    `tables`: the database's tables when the caller has just listed them."""
    if HISTORY_TABLE not in (set(db.get_tables()) if tables is None else tables):
        return set()
    return {row[0] for row in db.execute_sql('SELECT "name" FROM "schema_migration"')}  # HISTORY_TABLE


def pending(directory: Path, tables: set[str] | None = None) -> list[str]:
    """The code's migrations the database has not had. Names the database has and the code does
    not (a newer release migrated it during a rolling deploy) do not count: migrations add
    before they remove, so the older code still runs on the newer schema."""
    done = applied_names(tables)
    return [name for name in migration_names(directory) if name not in done]


@contextlib.contextmanager
def postgresql_upgrade_lock():
    """Session-level advisory lock: a second `db upgrade` (another host's deploy, an instance
    starting on a fresh database) waits, then finds nothing left to do."""
    db.execute_sql("SELECT pg_advisory_lock(%s)", (UPGRADE_LOCK_KEY,))
    try:
        yield
    finally:
        db.execute_sql("SELECT pg_advisory_unlock(%s)", (UPGRADE_LOCK_KEY,))


@contextlib.contextmanager
def sqlite_upgrade_lock():
    """A lock file beside the database file (SQLite's own locks cannot span several migrations:
    its table rebuilds need foreign keys off, which only works outside a transaction)."""
    path = db.obj.database
    if path == ":memory:":
        yield
        return
    with open(f"{path}.migrate-lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def upgrade_lock():
    return postgresql_upgrade_lock() if isinstance(db.obj, PostgresqlDatabase) else sqlite_upgrade_lock()


def upgrade(directory: Path) -> list[str]:
    """Apply the pending migrations in order, each in its own transaction; returns their names."""
    with db.connection_context(), upgrade_lock():
        return runner(directory).up()


def is_fresh() -> bool:
    """No table of ours and no migration history: a database nobody has set up."""
    ours = {model._meta.table_name for model in MODELS} | {HISTORY_TABLE}
    return not ours & set(db.get_tables())


def migrate_if_fresh(directory: Path) -> list[str]:
    """At start: a fresh database gets the whole history (what `db upgrade` would do); one that
    is set up is never changed here, however far behind (readyz says so; `db upgrade` moves it)."""
    with db.connection_context():
        if not is_fresh():
            return []
        with upgrade_lock():  # two instances starting on one fresh database: the second waits
            return runner(directory).up() if is_fresh() else []


def status_lines(directory: Path) -> list[str]:
    """`[x] 0001_initial  2026-12-04 06:30:00` applied, `[ ] …` pending, `[?] …` applied by
    code newer than this (no file here)."""
    with db.connection_context():
        rows = runner(directory).status()
    return [f"[{mark(row)}] {row.name}" + (f"  {row.applied:%Y-%m-%d %H:%M:%S}" if row.applied else "")
            for row in rows]


def mark(row: Migration) -> str:
    return " " if not row.applied else ("x" if row.path else "?")


def generated_body(name: str) -> str | None:
    """A migration file's text from what the models have and the database lacks (tables,
    columns, indexes); None when they match. Review it: types and defaults are not compared."""
    with db.connection_context():
        diff = diff_models(db.obj, MODELS)
    if not diff:
        return None
    return f'"""{name}"""\n' + template(diff)


def register_commands(app) -> None:
    directory = migrations_dir(app.config)

    @app.cli.group("db")
    def db_group():
        """Schema migrations (migrations/): status, upgrade, create, generate."""

    @db_group.command("status")
    def status_command():
        """Applied [x] and pending [ ] migrations; exit 1 while any is pending."""
        for line in status_lines(directory):
            click.echo(line)
        waiting = pending_now(directory)
        click.echo(f"Väntande migreringar: {len(waiting)}." if waiting else "Databasen är aktuell.")
        if waiting:
            raise SystemExit(1)

    @db_group.command("upgrade")
    def upgrade_command():
        """Apply the pending migrations (run before starting instances of a new release)."""
        started = time.monotonic()
        done = upgrade(directory)
        for name in done:
            click.echo(f"Körd: {name}")
        click.echo(f"Databasen är aktuell ({len(done)} migreringar körda, {time.monotonic() - started:.2f} s).")

    @db_group.command("create")
    @click.argument("name")
    def create_command(name):
        """Write the next numbered migration file, empty, to fill in by hand."""
        click.echo(runner(directory).create(name))

    @db_group.command("generate")
    @click.argument("name")
    def generate_command(name):
        """Write the next migration from what the models have and the (upgraded) database lacks."""
        body = generated_body(name)
        if body is None:
            click.echo("Modellerna och databasen stämmer överens; ingen migrering skriven.")
            return
        click.echo(runner(directory).create(name, body=body))


def pending_now(directory: Path) -> list[str]:
    with db.connection_context():
        return pending(directory)

