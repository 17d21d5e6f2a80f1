"""Counting what one request costs the database: every SQL statement the portal sends through
peewee (its query hooks see each one, on SQLite and PostgreSQL alike), the writes among them
and the transactions begun. The request-cost tests hold each page to a budget with it."""
from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field

from app.platform.extensions import db

WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
TABLE = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)


@dataclass
class Statements:
    """What the database was asked during a `counting` block."""
    sql: list[str] = field(default_factory=list)
    params: list[tuple] = field(default_factory=list)
    transactions: int = 0

    @property
    def count(self) -> int:
        return len(self.sql)

    @property
    def writes(self) -> list[str]:
        return [text for text in self.sql if WRITE.match(text)]

    @property
    def written_tables(self) -> list[str]:
        """The table each write went to, in order ("session", "auditentry", …)."""
        return [TABLE.match(text).group(1).lower() for text in self.writes]

    def __str__(self) -> str:
        return "\n".join(f"  {text[:160]}" for text in self.sql)


@contextlib.contextmanager
def counting():
    """Collect every statement run on the portal's database (the one the last created app
    opened) until the block ends."""
    database = db.obj
    seen = Statements()

    def hook(event) -> None:
        seen.sql.append(event.sql)
        seen.params.append(tuple(event.params or ()))

    def begin(*args, **kwargs):
        seen.transactions += 1
        return original_begin(*args, **kwargs)

    original_begin = database.begin
    database.query_hooks.append(hook)
    database.begin = begin
    try:
        yield seen
    finally:
        database.query_hooks.remove(hook)
        del database.begin  # the class's own method again
