"""Server-side, revocable sessions. The signed cookie carries only a random token; its hash
names a Session row. Every request checks the row, the idle and absolute limits, that the user
is still active and that their role is the one they logged in with — so logout, deactivation
or a role change end access on the very next request, and a copied cookie is worthless after.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import wraps

from flask import abort, current_app, g, redirect, request, session, url_for

from app.messaging import notifications
from app.platform.database import unhurried_commit
from app.platform.extensions import db
from app.platform.models import Session, User, utcnow
from app.platform.prepared import Prepared, Slot

SESSION_KEY = "sid"
TOUCH_EVERY = timedelta(seconds=60)  # how stale last_seen_at may get before it is written


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def limits() -> tuple[timedelta, timedelta]:
    config = current_app.config
    return (timedelta(minutes=config["SESSION_IDLE_MINUTES"]),
            timedelta(hours=config["SESSION_ABSOLUTE_HOURS"]))


def log_in(user: User) -> None:
    """A fresh session for `user`: whatever the browser carried before is dropped (fixation)."""
    session.clear()
    token = secrets.token_urlsafe(32)
    with db.atomic():
        Session.delete().where(Session.created_at < utcnow() - limits()[1]).execute()  # long dead anyway
        Session.create(token_hash=token_hash(token), user=user, role=user.role)
        User.update(last_login_at=utcnow()).where(User.id == user.id).execute()
    session[SESSION_KEY] = token
    session.permanent = True


def log_out() -> None:
    token = session.get(SESSION_KEY)
    if token:
        Session.delete().where(Session.token_hash == token_hash(token)).execute()
    session.clear()


def ended_idle(row: Session | None, now) -> bool:
    """A session that ended only because it was left idle (its person still active, in the same
    role, within the absolute limit): the browser still names the same person for one purpose,
    keeping what it posts after the end as that person's own draft (app.views.kept)."""
    idle, absolute = limits()
    return (row is not None and now - row.last_seen_at > idle and now - row.created_at <= absolute
            and row.user.active and row.user.role == row.role)


def is_expired(row: Session, now) -> bool:
    idle, absolute = limits()
    return now - row.last_seen_at > idle or now - row.created_at > absolute


def still_valid(row: Session | None, now) -> bool:
    return (row is not None and not is_expired(row, now)
            and row.user.active and row.user.role == row.role)


# The bell's unread count comes with the session (every logged-in page shows it): one statement
# less on every page.
SESSION_BY_TOKEN = Prepared(lambda: Session.select(Session, User, notifications.unread_count_of(Session.user)
                                                   .alias(notifications.COUNTED))
                            .join(User).where(Session.token_hash == Slot("token_hash")).limit(1))


def current_session() -> Session | None:
    token = session.get(SESSION_KEY)
    if not token:
        return None
    return SESSION_BY_TOKEN.first(token_hash=token_hash(token))


def load_user() -> None:
    """Before each request: g.user is the logged-in user or None, and g.ended_user the person
    whose session in this browser ended by idling. Such a row is kept (it can never log anyone
    in again: its clock does not move) until its absolute limit, when log_in sweeps it."""
    g.user = g.ended_user = None
    if SESSION_KEY not in session:
        return
    row, now = current_session(), utcnow()
    if ended_idle(row, now):
        g.ended_user = row.user
        return
    if not still_valid(row, now):
        if row is not None:
            Session.delete().where(Session.id == row.id).execute()
        session.clear()
        return
    if now - row.last_seen_at > min(TOUCH_EVERY, limits()[0] / 10):  # a short idle limit is kept as exactly
        with unhurried_commit():  # the one write a page view may make, once a minute
            Session.update(last_seen_at=now).where(Session.id == row.id).execute()
    g.user = row.user
    notifications.counted_with_session(getattr(row, notifications.COUNTED))


def login_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.user is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)
    return wrapper


def handler_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.user is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if not g.user.is_handler:
            abort(403)
        return view(*args, **kwargs)
    return wrapper


def safe_next(target: str | None, default: str) -> str:
    """Only same-site paths: '/x' yes; '//evil', '/\\evil', 'https://…', 'javascript:' no."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ch in target for ch in "\\\r\n\t") or ":" in target.split("?", 1)[0]:
        return default
    return target


def init_app(app) -> None:
    app.before_request(load_user)
