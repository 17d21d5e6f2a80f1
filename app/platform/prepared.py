"""Queries whose SQL text is built once per database and then run with fresh values.

peewee builds the SQL text of every query anew by walking its expression tree; for the small
queries every page sends (the session lookup, the bell's count, a case by its number) that walk
costs more than the database's answer. A `Prepared` query is written with peewee as usual, with
`Slot("name")` where a value goes; its text is built on first use for the database in use
(SQLite's and PostgreSQL's differ) and kept, and each call sends it with the values named.

Values are sent as given, without the field's conversion: pass what the column holds (an id,
not a model; text; a naive UTC datetime). `created` is Model.create with its INSERT kept the same
way, one per model and set of columns, each value converted by its field as peewee would.

On PostgreSQL the statement is also prepared on the server (`server_side.py`): each pooled
connection parses and plans it once and then only executes it, instead of parsing, analysing and
planning the same text on every request. SQLite keeps its own statement cache and runs the text.
The rows are mapped as peewee maps them, with the mapping's set-up (which column goes to which
model and field) worked out once per query and database instead of on every call.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import cache

from peewee import Node, PostgresqlDatabase

from app.platform import server_side
from app.platform.extensions import db


class SlotValue:
    """Stands in the parameter list for a value given at call time."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name


class Slot(Node):
    """Where a value goes in a prepared query: a parameter placeholder named `name`."""

    def __init__(self, name: str):
        self.name = name

    def __sql__(self, ctx):
        return ctx.value(SlotValue(self.name), converter=False)


class Prepared:
    """A query built by `build()` (with Slots for its values), compiled once per database.

    `plan_each_time`: not prepared on the server, so PostgreSQL plans it for the values of each
    call. For the case lists, whose best plan depends on whose list it is (a customer with 1 000
    cases of 100 000, or with three): a generic plan, made once for any owner, may walk the
    whole table in id order for the one with few (measured: 3 000 rows read instead of 21)."""

    def __init__(self, build: Callable, *, plan_each_time: bool = False):
        self.build = build
        self.plan_each_time = plan_each_time
        # For the database in use: (database, query, sql, params, server-side statement or None)
        self.compiled: tuple | None = None
        self.mapping: tuple | None = None  # (database, what the row mapping's set-up worked out)

    def compile(self) -> tuple:
        """The text for the database in use; built again only when that changes (a process has
        one; a test run opens many, and keeps none of the old ones alive through here)."""
        database = db.obj
        entry = self.compiled
        if entry is None or entry[0] is not database:
            query = self.build()
            sql, params = database.get_sql_context().sql(query).query()
            statement = None
            if (isinstance(database, PostgresqlDatabase) and not self.plan_each_time
                    and getattr(database, "prepare_statements", True)):
                statement = server_side.Statement(sql, params, [param.name if isinstance(param, SlotValue) else None
                                                                for param in params])
            entry = self.compiled = (database, query, sql, params, statement)
        return entry

    def cursor(self, values: dict):
        database, query, sql, params, statement = self.compile()
        if statement is not None:
            return query, statement.execute(database, [values[name] for name in statement.slots])
        return query, database.execute_sql(sql, [values[p.name] if isinstance(p, SlotValue) else p for p in params])

    def rows(self, **values) -> list:
        """Model instances (or whatever the query's row type is), as iterating the query gives:
        peewee's own row mapping for this query, its set-up done once per query and database
        (which column goes to which model and field depends on the query alone)."""
        query, cursor = self.cursor(values)
        found = cursor.fetchall()
        if not found:
            cursor.close()
            return []
        wrapper = query._get_cursor_wrapper(cursor)
        mapping = self.mapping
        if mapping is not None and mapping[0] is self.compiled[0]:
            wrapper.__dict__.update(mapping[1])
        else:
            before = dict(wrapper.__dict__)
            wrapper.initialize()
            self.mapping = (self.compiled[0], {name: value for name, value in wrapper.__dict__.items()
                                               if name not in before or before[name] is not value})
        cursor.close()
        process = wrapper.process_row
        return [process(row) for row in found]

    def first(self, **values):
        found = self.rows(**values)
        return found[0] if found else None

    def scalar(self, **values):
        _query, cursor = self.cursor(values)
        row = cursor.fetchone()
        return row[0] if row else None

    def execute(self, **values) -> int:
        """Runs a write (UPDATE, DELETE); how many rows it changed."""
        _query, cursor = self.cursor(values)
        return cursor.rowcount

    def inserted_id(self, **values):
        """Runs an INSERT of one row; the new row's id (RETURNING where the database has it)."""
        _query, cursor = self.cursor(values)
        return cursor.fetchone()[0] if db.obj.returning_clause else cursor.lastrowid


def created(model, **values):
    """What `model.create(**values)` does — defaults filled in, one INSERT, the instance with its
    new id — with the INSERT's text built once per model and set of columns."""
    instance = model(**values)
    fields = model._meta.fields
    row = instance.__data__
    instance._pk = insert_of(model, tuple(row)).inserted_id(**{name: fields[name].db_value(value)
                                                               for name, value in row.items()})
    instance._dirty.clear()
    return instance


@cache
def insert_of(model, names: tuple) -> Prepared:
    return Prepared(lambda: model.insert({model._meta.fields[name]: Slot(name) for name in names}))
