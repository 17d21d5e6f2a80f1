"""Server-side prepared statements on PostgreSQL, for the `Prepared` queries (app.platform.prepared).

psycopg2 sends every statement as text, so PostgreSQL parses, analyses and plans the same small
query on every request. Here each pooled connection is sent `PREPARE kpN AS …` the first time it
runs a query, and `EXECUTE kpN(…)` from then on: PostgreSQL keeps the analysed statement and,
after a few executions, a generic plan when that plans no worse than planning per call
(`plan_cache_mode` auto).

- The query's constants are written into the prepared text (a partial index whose condition is
  such a constant can then serve the generic plan too); only the `Slot`s are parameters, `$1…`,
  their types taken from where they stand.
- Names are per query text and process (`kp1`, `kp2`, …), so a name always means the same text;
  which names a connection holds is kept per connection (weakly: a connection closed by the pool
  takes its set with it; a new one starts empty).
- PREPARE outlives a rolled-back transaction (it is not transactional), so a name once prepared
  stays prepared. Inside a transaction the PREPARE runs in a savepoint, so a query PostgreSQL
  will not prepare (a parameter's type it cannot tell) never aborts the caller's transaction: it
  is then run as text, now and from then on.
- A connection that lost its statements (`DISCARD ALL`, `DEALLOCATE`) or whose plan may no
  longer give the same columns (a migration changed a table under a running process) forgets the
  name and, outside a transaction, prepares it again at once; inside one the error stands (the
  transaction is aborted anyway) and the next use prepares afresh.
- peewee's query hooks see the query's own text and values, as for any other statement, and
  errors come out as peewee's (IntegrityError for a unique key, etc.).
"""
from __future__ import annotations

import itertools
import time
import weakref

import psycopg2
import psycopg2.errorcodes
from peewee import __exception_wrapper__
from psycopg2.extensions import TRANSACTION_STATUS_IDLE, TRANSACTION_STATUS_INTRANS, AsIs

_numbers = itertools.count(1)

# Per connection: the names prepared on it.
_prepared_on: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

# Each query text's statement, for a test to look at the plan PostgreSQL runs (statement_of).
_by_text: weakref.WeakValueDictionary = weakref.WeakValueDictionary()

# Errors that mean "this statement's name is gone or stale on this connection".
LOST = {psycopg2.errorcodes.INVALID_SQL_STATEMENT_NAME,  # prepared statement "kpN" does not exist
        psycopg2.errorcodes.FEATURE_NOT_SUPPORTED}  # cached plan must not change result type


class Statement:
    """One query's text as PostgreSQL prepares it, and the EXECUTE that runs it."""

    __slots__ = ("sql", "params", "slots", "is_slot", "name", "execute_sql", "prepare_sql", "as_text", "__weakref__")

    def __init__(self, sql: str, params: list, slots: list):
        """`params` as peewee gives them with the text; `slots` the name of each that stands
        for a value given at call time, None for each constant."""
        self.sql = sql
        self.params = params
        self.slots = [name for name in slots if name is not None]
        self.is_slot = [name is not None for name in slots]
        self.name = f"kp{next(_numbers)}"
        arguments = ", ".join(["%s"] * len(self.slots))
        self.execute_sql = f"EXECUTE {self.name}({arguments})" if self.slots else f"EXECUTE {self.name}"
        self.prepare_sql: bytes | None = None  # written with the first connection (its encoding)
        self.as_text = False  # PostgreSQL would not prepare it: run as text
        _by_text[sql] = self

    def prepare_text(self, cursor) -> bytes:
        if self.prepare_sql is None:  # as bytes in the connection's encoding, as mogrify gives it
            self.prepare_sql = f"PREPARE {self.name} AS ".encode("ascii") + self.prepared_body(cursor)
        return self.prepare_sql

    def prepared_body(self, cursor) -> bytes:
        """The text PostgreSQL prepares: the constants written in, `$1…` for the Slots."""
        numbers = itertools.count(1)
        literal = [AsIs(f"${next(numbers)}") if slot else param for param, slot in zip(self.params, self.is_slot)]
        return cursor.mogrify(self.sql, literal)

    def execute(self, database, arguments: list):
        """Runs the statement with `arguments` (the Slots' values in order); the cursor."""
        connection = database.connection()
        hooks = database.query_hooks
        start = time.perf_counter() if hooks else None
        try:
            with __exception_wrapper__:
                cursor = self.run(connection, arguments)
        except Exception as exc:
            if start is not None:
                database._notify_hooks(self.sql, self.text_arguments(arguments), start, exc)
            raise
        if start is not None:
            database._notify_hooks(self.sql, self.text_arguments(arguments), start, None)
        return cursor

    def run(self, connection, arguments: list):
        cursor = connection.cursor()
        if self.as_text:
            cursor.execute(self.sql, self.text_arguments(arguments))
            return cursor
        names = _prepared_on.get(connection)
        if names is None:
            names = _prepared_on[connection] = set()
        if self.name not in names and not self.prepare(connection, cursor, names):
            cursor.execute(self.sql, self.text_arguments(arguments))
            return cursor
        try:
            cursor.execute(self.execute_sql, arguments)
        except psycopg2.Error as error:
            if error.pgcode not in LOST:
                raise
            names.discard(self.name)
            if connection.info.transaction_status != TRANSACTION_STATUS_IDLE:
                raise
            if error.pgcode == psycopg2.errorcodes.FEATURE_NOT_SUPPORTED:  # still there, with its old plan
                cursor.execute(f"DEALLOCATE {self.name}")
            if not self.prepare(connection, cursor, names):
                cursor.execute(self.sql, self.text_arguments(arguments))
                return cursor
            cursor.execute(self.execute_sql, arguments)
        return cursor

    def prepare(self, connection, cursor, names: set) -> bool:
        """Prepares the statement on this connection; False when it is to be run as text."""
        status = connection.info.transaction_status
        if status not in (TRANSACTION_STATUS_IDLE, TRANSACTION_STATUS_INTRANS):
            return False  # a failed transaction: the statement as text fails as it should
        text = self.prepare_text(cursor)
        in_transaction = status == TRANSACTION_STATUS_INTRANS
        if in_transaction:
            cursor.execute("SAVEPOINT kp_prepare")
        try:
            cursor.execute(text)
        except psycopg2.Error as error:
            if error.pgcode is None:  # the connection itself failed
                raise
            if in_transaction:
                cursor.execute("ROLLBACK TO SAVEPOINT kp_prepare; RELEASE SAVEPOINT kp_prepare")
            if error.pgcode == psycopg2.errorcodes.DUPLICATE_PREPARED_STATEMENT:  # the same name is the same text
                names.add(self.name)
                return True
            if error.pgcode in (psycopg2.errorcodes.INDETERMINATE_DATATYPE, psycopg2.errorcodes.DATATYPE_MISMATCH,
                                psycopg2.errorcodes.AMBIGUOUS_PARAMETER):
                self.as_text = True  # the query's own nature: never again
            return False
        if in_transaction:
            cursor.execute("RELEASE SAVEPOINT kp_prepare")
        names.add(self.name)
        return True

    def text_arguments(self, arguments: list) -> list:
        values = iter(arguments)
        return [next(values) if slot else param for param, slot in zip(self.params, self.is_slot)]


def statement_of(sql: str) -> Statement | None:
    """The server-side statement of a `Prepared` query's text, while its query is in use."""
    return _by_text.get(sql)
