"""Rate limits per client IP and per session, counted in the database so every worker process
shares them. Fixed one-minute windows: simple, and enough to stop flooding of BankID orders.
"""
from __future__ import annotations

import secrets
import time
from functools import wraps

from flask import abort, current_app, g, request, session

from app.platform.database import unhurried_commit
from app.platform.extensions import db
from app.platform.models import RateCounter
from app.platform.prepared import Prepared, Slot

WINDOW_SECONDS = 60


def window_now() -> int:
    return int(time.time()) // WINDOW_SECONDS


def hit(key: str) -> int:
    """Count one request for `key` in the current window; returns the count so far. One
    statement (an insert that adds one on conflict) in a transaction that does not wait for the
    disk: a rate limit sits in front of submissions, and a lost count after a crash harms no one."""
    window = window_now()
    with unhurried_commit():
        count = add_one(key, window)
        if count == 1:
            # A new window for this key: a good moment to drop windows nobody counts any more.
            RateCounter.delete().where(RateCounter.window_start < window - 1).execute()
    return count


ADD_ONE = Prepared(lambda: RateCounter.insert(key=Slot("key"), window_start=Slot("window"), count=1)
                   .on_conflict(conflict_target=[RateCounter.key, RateCounter.window_start],
                                update={RateCounter.count: RateCounter.count + 1}))
COUNT = Prepared(lambda: RateCounter.select(RateCounter.count)
                 .where((RateCounter.key == Slot("key")) & (RateCounter.window_start == Slot("window"))))
ADD_ONE_RETURNING = Prepared(lambda: ADD_ONE.build().returning(RateCounter.count).tuples())


def count_now(key: str) -> int:
    """How many times `key` was counted in the current window, without counting this look."""
    row = RateCounter.get_or_none((RateCounter.key == key) & (RateCounter.window_start == window_now()))
    return row.count if row is not None else 0


def seconds_left_in_window() -> int:
    """For Retry-After: when the current window ends (at least one second)."""
    return max(1, WINDOW_SECONDS - int(time.time()) % WINDOW_SECONDS)


def add_one(key: str, window: int) -> int:
    if db.returning_clause:  # PostgreSQL: the new count comes back with the insert
        return ADD_ONE_RETURNING.scalar(key=key, window=window)
    ADD_ONE.execute(key=key, window=window)
    return COUNT.scalar(key=key, window=window)


def check_user(name: str, per_user_config: str) -> None:
    """Answer 429 when the logged-in user exceeds the configured per-minute limit for `name`;
    for calls made only when the costly part of a request is about to run (a PDF rendering)."""
    user = getattr(g, "user", None)
    if user is not None and hit(f"{name}:user:{user.id}") > current_app.config[per_user_config]:
        abort(429)


def session_key() -> str:
    """A stable per-browser key that carries no personal data."""
    if "rate_key" not in session:
        session["rate_key"] = secrets.token_hex(8)
    return session["rate_key"]


def limited_per_user(name: str, per_user_config: str):
    """Answer 429 when the logged-in user exceeds the configured per-minute limit for an action
    class; per user, so colleagues behind one office IP do not block each other."""
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            check_user(name, per_user_config)
            return view(*args, **kwargs)
        return wrapper
    return decorate


def limited(name: str, per_ip_config: str, per_session_config: str):
    """Answer 429 when this IP or this browser session exceeds the configured per-minute limit."""
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            config = current_app.config
            checks = ((f"{name}:ip:{request.remote_addr}", config[per_ip_config]),
                      (f"{name}:session:{session_key()}", config[per_session_config]))
            if any(hit(key) > limit for key, limit in checks):
                abort(429)
            return view(*args, **kwargs)
        return wrapper
    return decorate
