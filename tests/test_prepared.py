"""Prepared queries (app.platform.prepared): the same rows as peewee's own query on both
databases, with the row mapping's set-up kept; on PostgreSQL prepared on the server once per
connection, and still right when a connection lost its statements, inside transactions, and
for a query PostgreSQL will not prepare."""
from __future__ import annotations

import pytest
from peewee import SQL, NodeList, Select

from app.platform import server_side
from app.platform.extensions import db
from app.platform.models import AuditEntry, User, utcnow
from app.platform.prepared import Prepared, Slot
from tests.conftest import make_app
from tests.statement_counter import counting


@pytest.fixture
def people(database_url):
    app = make_app(database_url)
    with app.app_context(), db.connection_context():
        ada = User.create(personnummer="191212121212", name="Ada", role="handler")
        bo = User.create(personnummer="198112289874", name="Bo")
        AuditEntry.create(actor=ada, case=None, action="visa", created_at=utcnow())
        AuditEntry.create(actor=bo, case=None, action="pdf", created_at=utcnow())
        yield app, ada, bo


BY_NAME = Prepared(lambda: User.select().where((User.name == Slot("name")) & (User.active == True)))  # noqa: E712
TRAIL = Prepared(lambda: AuditEntry.select(AuditEntry, User).join(User)
                 .where(AuditEntry.actor == Slot("actor")).order_by(AuditEntry.id))


def prepared_here() -> dict:
    """The server's prepared statements on this connection: name -> text."""
    return dict(db.execute_sql("SELECT name, statement FROM pg_prepared_statements").fetchall())


def on_postgresql() -> bool:
    return "Postgresql" in type(db.obj).__name__


def test_rows_are_what_peewee_gives(people):
    _app, ada, bo = people
    for _ in range(3):  # the first call sets the mapping up, the others reuse it
        assert [(user.id, user.name, user.role) for user in BY_NAME.rows(name="Bo")] == [(bo.id, "Bo", "customer")]
        trail = TRAIL.rows(actor=ada.id)
        expected = list(AuditEntry.select(AuditEntry, User).join(User).where(AuditEntry.actor == ada.id))
        assert [(entry.id, entry.action, entry.actor.name) for entry in trail] == \
               [(entry.id, entry.action, entry.actor.name) for entry in expected]
        assert BY_NAME.rows(name="Ingen") == []
        assert not trail[0]._dirty


def test_each_connection_prepares_once_and_hooks_see_the_query(people):
    if not on_postgresql():
        pytest.skip("server-side statements are PostgreSQL's")
    BY_NAME.rows(name="Ada")
    statement = BY_NAME.compiled[4]
    with counting() as seen:
        for _ in range(3):
            assert [user.name for user in BY_NAME.rows(name="Ada")] == ["Ada"]
    assert seen.sql == [BY_NAME.compiled[2]] * 3  # the query's own text, not EXECUTE
    assert seen.params == [("Ada", True)] * 3  # with its constants, as the text needs
    text = prepared_here()[statement.name]
    assert "$1" in text and "true" in text.lower()  # the constant written in, the slot a parameter


def test_a_connection_that_lost_its_statements_prepares_again(people):
    if not on_postgresql():
        pytest.skip("server-side statements are PostgreSQL's")
    assert BY_NAME.first(name="Ada").name == "Ada"
    db.execute_sql("DEALLOCATE ALL")
    assert BY_NAME.first(name="Ada").name == "Ada"  # outside a transaction: prepared again at once
    db.execute_sql("DEALLOCATE ALL")
    with pytest.raises(Exception):  # noqa: B017 - inside one the error stands (it aborts the transaction anyway)
        with db.atomic():
            BY_NAME.first(name="Ada")
    assert BY_NAME.first(name="Ada").name == "Ada"  # and the next use prepares afresh


def test_a_prepare_inside_a_rolled_back_transaction_stays(people):
    if not on_postgresql():
        pytest.skip("server-side statements are PostgreSQL's")
    fresh = Prepared(lambda: User.select(User.name).where(User.personnummer == Slot("pnr")).tuples())
    with db.atomic() as transaction:
        assert fresh.rows(pnr="198112289874") == [("Bo",)]
        transaction.rollback()
    assert fresh.compiled[4].name in prepared_here()
    assert fresh.rows(pnr="198112289874") == [("Bo",)]


def test_a_query_postgresql_will_not_prepare_runs_as_text_without_harming_the_transaction(people):
    if not on_postgresql():
        pytest.skip("server-side statements are PostgreSQL's")
    untyped = Prepared(lambda: Select(columns=[NodeList((Slot("value"), SQL("IS NULL")))]))  # no type to take
    with db.atomic():
        assert untyped.scalar(value=None) is True
        assert BY_NAME.first(name="Bo").name == "Bo"  # the transaction goes on
    assert untyped.compiled[4].as_text
    assert untyped.scalar(value=3) is False
    assert untyped.compiled[4].name not in prepared_here()


def test_errors_are_peeweees_own(people):
    from peewee import IntegrityError

    _app, ada, _bo = people
    insert = Prepared(lambda: User.insert(personnummer=Slot("pnr"), name=Slot("name"), role="customer",
                                          active=True, created_at=utcnow()))
    with pytest.raises(IntegrityError), db.atomic():
        insert.inserted_id(pnr=ada.personnummer, name="Ada igen")
    assert User.select().where(User.name == "Ada igen").count() == 0


def test_names_are_unique_per_query_text():
    first, second = server_side.Statement("SELECT 1", [], []), server_side.Statement("SELECT 1", [], [])
    assert first.name != second.name and first.execute_sql == f"EXECUTE {first.name}"


def test_behind_a_pooler_in_transaction_mode_nothing_is_prepared(postgresql_url):
    app = make_app(postgresql_url, database_prepare=False)
    with app.app_context(), db.connection_context():
        User.create(personnummer="191212121212", name="Ada")
        with counting() as seen:
            assert BY_NAME.first(name="Ada").name == "Ada"
        assert BY_NAME.compiled[4] is None and seen.count == 1
        assert prepared_here() == {}
