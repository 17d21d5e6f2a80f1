"""Schema migrations (migrations/, app.platform.migrations) on SQLite and on PostgreSQL: the
migrations build exactly the schema the models describe; a release whose migration is not yet
applied shows it pending in `flask db status` and makes /readyz 503 until `flask db upgrade`, which
keeps the data and is a no-op the second time; a database an earlier `init-db` made is adopted;
two upgrades at once apply each migration once; `db create` and `db generate` write the next file."""
from __future__ import annotations

import contextlib
import shutil
import threading
import uuid

import pytest
from peewee import SqliteDatabase

from app.platform.extensions import db
from app.platform.migrations import migration_names, upgrade
from app.platform.models import MODELS, Case, User
from tests.conftest import BACKENDS, ROOT, make_app, postgresql_schema
from tests.statement_counter import counting

HISTORY = "schema_migration"

# A release after this one: adds a NOT NULL column with a default (a table rebuild on SQLite) and
# an index. Test-only: it lives in a copy of migrations/.
NEXT_MIGRATION = '''"""Test-only: every user gets a nickname."""
from peewee import CharField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("user", "nickname", CharField(max_length=40, default="")),
        migrator.add_index("user", ("nickname",)),
    )
'''
NEXT_NAME = "0900_user_nickname"


# --- throwaway databases -------------------------------------------------------------------------

@contextlib.contextmanager
def sqlite_file(tmp_path):
    yield f"sqlite:///{tmp_path / (uuid.uuid4().hex + '.db')}"


@pytest.fixture(params=BACKENDS)
def fresh_database(request, tmp_path):
    """Opens a new empty database of the parametrised backend, as many as a test asks for."""
    stack = contextlib.ExitStack()
    opener = {"sqlite": lambda: sqlite_file(tmp_path), "postgresql": postgresql_schema}[request.param]
    yield lambda: stack.enter_context(opener())
    stack.close()


# --- what a schema is, read back from the database -------------------------------------------------

def sqlite_schema() -> set:
    """Every table and index as SQLite keeps its DDL text: columns, types, NOT NULL, keys, foreign
    keys with their ON DELETE, unique and partial indexes with their WHERE."""
    rows = db.execute_sql("SELECT type, name, tbl_name, sql FROM sqlite_master "
                          "WHERE name NOT LIKE 'sqlite_%' AND tbl_name <> ?", (HISTORY,))
    return set(rows)


def postgresql_schema_of_search_path() -> set:
    """Columns (type, length, nullability, default), indexes (their definitions, WHERE included)
    and constraints (keys, foreign keys with ON DELETE, checks) of the current schema, with the
    schema's own name taken out so two schemas compare."""
    schema = db.execute_sql("SELECT current_schema()").fetchone()[0]
    columns = db.execute_sql(
        "SELECT 'column', table_name, column_name, ordinal_position, data_type, character_maximum_length,"
        " is_nullable, column_default FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name <> %s", (HISTORY,))
    indexes = db.execute_sql(
        "SELECT 'index', tablename, indexname, indexdef FROM pg_indexes"
        " WHERE schemaname = current_schema() AND tablename <> %s", (HISTORY,))
    constraints = db.execute_sql(
        "SELECT 'constraint', conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE connamespace = current_schema()::regnamespace AND conrelid::regclass::text <> %s", (HISTORY,))
    return {tuple(str(part).replace(f"{schema}.", "") for part in row)
            for query in (columns, indexes, constraints) for row in query}


def schema_now() -> set:
    with db.connection_context():
        return sqlite_schema() if isinstance(db.obj, SqliteDatabase) else postgresql_schema_of_search_path()


def migrations_copy(tmp_path, *extra: tuple[str, str]):
    """migrations/ as this release has it, plus `extra` (name, text) files: a later release."""
    folder = tmp_path / f"migrations-{uuid.uuid4().hex[:6]}"
    shutil.copytree(ROOT / "migrations", folder, ignore=shutil.ignore_patterns("__pycache__"))
    for name, text in extra:
        (folder / f"{name}.py").write_text(text, encoding="utf-8")
    return folder


def readiness(app):
    answer = app.test_client().get("/readyz")
    return answer.status_code, answer.get_json()


def cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def file_a_case_row(number: str = "2026-000001") -> None:
    """A user and a case written straight to the tables: the data an upgrade must keep."""
    with db.connection_context():
        owner = User.create(personnummer="191212121212", name="Tolvan Tolvansson")
        Case.create(number=number, owner=owner, form_key="k" * 32, case_type_slug="ovrigt",
                    case_type_title="Övrigt", schema_text="{}", schema_sha256="0" * 64,
                    data={"beskrivning": "Åtta kort"}, orderer={"namn": "Tolvan"},
                    organisation_name="Region Uppland", organisation_number="2321000016")


def case_rows() -> list:
    with db.connection_context():
        return list(db.execute_sql('SELECT "number", "data", "owner_id" FROM "case" ORDER BY "id"'))


# --- tests ----------------------------------------------------------------------------------------

def test_the_migrations_build_the_schema_the_models_describe(fresh_database):
    make_app(fresh_database(), create_tables=False)
    with db.connection_context():
        db.create_tables(MODELS)
    from_models = schema_now()

    app = make_app(fresh_database())  # a fresh database is migrated at start, as `db upgrade` would
    from_migrations = schema_now()

    assert from_migrations == from_models, (
        f"only from the migrations: {sorted(from_migrations - from_models)}\n"
        f"only from the models: {sorted(from_models - from_migrations)}\n"
        "A model changed without a migration: write one (README, Operations, Migrations).")
    described = str(sorted(from_models))
    assert all(model._meta.table_name in described for model in MODELS)
    assert "case_owner_id_id" in described and "Avslutat" in described  # the partial indexes
    assert "case_id" in described and "Under handläggning" in described
    assert readiness(app) == (200, {"status": "ok", "databas": "ok"})
    status = cli(app, "db", "status")
    assert status.exit_code == 0 and "Databasen är aktuell." in status.output
    assert [line[:3] for line in status.output.splitlines()[:-1]] == ["[x]"] * len(migration_names(ROOT / "migrations"))


def test_a_pending_migration_shows_in_status_and_readiness_until_upgrade(fresh_database, tmp_path):
    url = fresh_database()
    running = make_app(url)  # this release, its database migrated
    file_a_case_row()
    before = case_rows()
    assert readiness(running)[0] == 200

    next_release = make_app(url, migrations_dir=str(migrations_copy(tmp_path, (NEXT_NAME, NEXT_MIGRATION))))
    status = cli(next_release, "db", "status")  # the start left the set-up database alone
    assert status.exit_code == 1
    assert f"[ ] {NEXT_NAME}" in status.output and "Väntande migreringar: 1." in status.output
    code, answer = readiness(next_release)
    assert code == 503 and answer["databas"] == "migreringar väntar" and answer["väntande"] == [NEXT_NAME]
    assert "flask db upgrade" in answer["meddelande"]
    assert '"databas": "migreringar väntar"' in next_release.test_client().get("/readyz").get_data(as_text=True)

    upgraded = cli(next_release, "db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert f"Körd: {NEXT_NAME}" in upgraded.output and "1 migreringar körda" in upgraded.output
    status_after = cli(next_release, "db", "status")
    assert status_after.exit_code == 0 and f"[x] {NEXT_NAME}" in status_after.output
    assert readiness(next_release) == (200, {"status": "ok", "databas": "ok"})

    again = cli(next_release, "db", "upgrade")
    assert again.exit_code == 0 and "Körd" not in again.output and "0 migreringar körda" in again.output
    assert cli(next_release, "db", "status").output == status_after.output  # same rows, same times

    assert case_rows() == before  # the case, its document and its owner kept through the rebuild
    with db.connection_context():
        assert list(db.execute_sql('SELECT "personnummer", "nickname" FROM "user"')) == [("191212121212", "")]
    # The release before still serves on the newer schema (migrations add before they remove):
    # the migration it does not know is listed with "?" and does not make it unready.
    assert readiness(running)[0] == 200
    assert f"[?] {NEXT_NAME}" in cli(running, "db", "status").output


def test_a_database_made_by_an_earlier_init_db_is_adopted_by_upgrade(fresh_database):
    url = fresh_database()
    make_app(url, create_tables=False)
    with db.connection_context():  # what `init-db` did before migrations: the models' tables ...
        db.create_tables(MODELS)
        db.execute_sql('DROP INDEX "case_owner_id_id"')  # ... without the newest index ...
        db.execute_sql('CREATE INDEX "notification_read_at" ON "notification" ("read_at")')  # ... with an old one
    file_a_case_row()
    before = case_rows()

    app = make_app(url)
    code, answer = readiness(app)
    assert code == 503 and answer["väntande"] == migration_names(ROOT / "migrations")

    result = cli(app, "init-db")  # `make setup` / `make serve`: the migrations, then the counters
    assert result.exit_code == 0 and "Databasen är klar." in result.output
    assert readiness(app)[0] == 200 and case_rows() == before
    with db.connection_context():
        indexes = {index.name for index in db.get_indexes("case")} | {index.name for index in db.get_indexes("notification")}
    assert "case_owner_id_id" in indexes and "notification_read_at" not in indexes


def test_two_upgrades_at_once_apply_each_migration_once(fresh_database):
    app = make_app(fresh_database(), create_tables=False)
    directory = ROOT / "migrations"
    outcomes: list = []

    def run():
        with app.app_context():
            try:
                outcomes.append(upgrade(directory))
            except Exception as error:  # noqa: BLE001 - the test reports what went wrong
                outcomes.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)], outcomes
    assert sorted(outcomes, key=len) == [[], migration_names(directory)]
    with db.connection_context():
        assert db.execute_sql('SELECT COUNT(*) FROM "schema_migration"').fetchone()[0] == len(migration_names(directory))


def test_the_next_migration_is_written_by_create_or_generated_from_the_models(sqlite_url, tmp_path):
    folder = migrations_copy(tmp_path)
    app = make_app(sqlite_url, migrations_dir=str(folder))
    assert "ingen migrering skriven" in cli(app, "db", "generate", "nothing").output

    created = cli(app, "db", "create", "backfill names")
    written = folder / f"{len(migration_names(ROOT / 'migrations')) + 1:04d}_backfill_names.py"
    assert created.output.strip() == str(written) and "def up(migrator, db):" in written.read_text()
    written.unlink()

    with db.connection_context():  # a model index the database lacks, as after editing models.py
        db.execute_sql('DROP INDEX "case_status"')
    generated = cli(app, "db", "generate", "case status index")
    path = generated.output.strip()
    assert path.endswith("_case_status_index.py") and "add_index('case', ('status',))" in open(path).read()
    assert cli(app, "db", "upgrade").exit_code == 0
    assert "ingen migrering skriven" in cli(app, "db", "generate", "nothing").output


def test_a_ready_probe_costs_one_statement_until_the_check_is_due(any_db_app):
    client = any_db_app.test_client()
    with counting() as first:
        assert client.get("/readyz").status_code == 200
    with counting() as second:
        assert client.get("/readyz").status_code == 200
    assert first.count >= 3 and not first.writes  # SELECT 1, the table list, the history
    assert second.sql == ["SELECT 1"], str(second)
