"""Notifications: the bell rows every user reads, and the outbox e-mails customers get.

This module owns the events API the case services call (notify_customer, notify_handlers, notify_handler),
the bell reads (unread_count, recent, mark_read, mark_all_read) and the e-mail texts
(templates under app/templates/email/). Delivery is app.messaging.mailer's job.

The event functions run inside the caller's transaction: they only insert rows on the current
connection and never begin or commit, so a case, its bell rows and its outbox mail are stored
all together or not at all. E-mails say what happened and link to the case page; they never
carry a personnummer, form content or a message body (security.md H1, IMY): everything a
template sees is chosen here, from server values.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import quote, urlsplit

from flask import current_app, g, has_request_context
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from peewee import SQL, fn

from app.platform.models import Case, Notification, OutboxMail, Profile, User, utcnow
from app.platform.prepared import Prepared, Slot, created
from casetypes.formats import is_email

log = logging.getLogger(__name__)

EMAIL_TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates" / "email"
DEFAULT_MESSAGE_ID_DOMAIN = "kundportalen.local"
DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:5000"
HANDLER_ROLE = "handler"


@dataclass(frozen=True)
class CustomerEvent:
    bell: str | None  # the bell text ({number} and {status} filled in); None: e-mail only
    subject: str   # the e-mail subject, same placeholders
    template: str  # the plain-text body under app/templates/email/


CUSTOMER_EVENTS = {
    "message": CustomerEvent(
        bell="Nytt meddelande i ärende {number}",
        subject="Nytt meddelande i ert ärende {number}",
        template="message.txt",
    ),
    "status": CustomerEvent(
        bell="Ärende {number} har fått status {status}",
        subject="Ert ärende {number} har fått status {status}",
        template="status.txt",
    ),
    # The receipt ("kvittens"): the customer has just seen the confirmation page, so no bell.
    "filed": CustomerEvent(
        bell=None,
        subject="Vi har tagit emot ert ärende {number}",
        template="filed.txt",
    ),
}

HANDLER_BELLS = {
    "filed": "Nytt ärende {number}",
    "message": "Nytt meddelande från kund i ärende {number}",
    "assigned": "Ärende {number} har tilldelats dig",
}


def lookup_event(table: dict, event: str, who: str):
    try:
        return table[event]
    except KeyError:
        raise ValueError(f"okänd händelse för {who}: {event!r}") from None


# --- events (called inside the case service's transaction) ---------------------------------

def notify_customer(case: Case, event: str, *, base_url: str | None = None) -> None:
    """Tell the case owner: a bell row (unless the event has none), an outbox e-mail if they
    asked for one.

    base_url must be the portal's canonical address (config PUBLIC_BASE_URL, the default when
    it is left out), never one built from the request's Host header (security.md H1).
    """
    spec = lookup_event(CUSTOMER_EVENTS, event, "kund")
    placeholders = {"number": case.number, "status": case.status}
    if spec.bell:
        add_bell(case.owner_id, case, spec.bell.format(**placeholders))
    recipient = email_recipient(case)
    if recipient is None:
        return
    body = render_email(spec.template, email_context(case, canonical_base_url(base_url)))
    queue_mail(recipient, spec.subject.format(**placeholders), body)


# One statement: the rows come from the handlers' select inside the database.
BELL_EVERY_HANDLER = Prepared(lambda: Notification.insert_from(
    User.select(User.id, Slot("case"), Slot("text"), Slot("created_at"))
    .where((User.role == HANDLER_ROLE) & (User.active == True)),  # noqa: E712
    [Notification.user, Notification.case, Notification.text, Notification.created_at]))


def notify_handlers(case: Case, event: str) -> None:
    """A bell row for every active handler; handlers get no e-mail."""
    text = lookup_event(HANDLER_BELLS, event, "handläggare").format(number=case.number)
    BELL_EVERY_HANDLER.execute(case=case.id, text=text, created_at=Notification.created_at.db_value(utcnow()))
    bell_rows_changed()


def notify_handler(case: Case, user_id: int, event: str) -> None:
    """A bell row for one handler (a case assigned to them); handlers get no e-mail."""
    add_bell(user_id, case, lookup_event(HANDLER_BELLS, event, "handläggare").format(number=case.number))


def add_bell(user_id: int, case: Case, text: str) -> None:
    created(Notification, user=user_id, case=case.id, text=text, created_at=utcnow())
    bell_rows_changed()


PROFILE_OF = Prepared(lambda: Profile.select().where(Profile.user == Slot("user")).limit(1))


def email_recipient(case: Case) -> str | None:
    """The owner's address if they want e-mail and it is one plain, valid address.

    The address was validated when the profile was saved; it is checked again because an
    outbox row becomes SMTP headers, and a line break there is header injection.
    """
    profile = PROFILE_OF.first(user=case.owner_id)
    if profile is None or not profile.notify_by_email or not profile.email:
        return None
    if not is_email(profile.email):
        # The address itself is personal data and stays out of the log.
        log.warning("Ogiltig e-postadress i profilen för användare %s; inget e-brev om ärende %s",
                    case.owner_id, case.number)
        return None
    return profile.email


def queue_mail(recipient: str, subject: str, body: str) -> OutboxMail:
    return created(OutboxMail, recipient=recipient, subject=subject, body=body,
                   message_id=new_message_id(), status="pending", attempts=0, next_attempt_at=utcnow())


def new_message_id() -> str:
    """Made once at insert and reused by every delivery attempt, so a redelivery after a
    crash is a recognisable duplicate, not a second, different mail."""
    domain = current_app.config.get("MAIL_MESSAGE_ID_DOMAIN") or DEFAULT_MESSAGE_ID_DOMAIN
    return f"<outbox-{uuid.uuid4()}@{domain}>"


# --- e-mail text ----------------------------------------------------------------------------

@cache
def email_environment() -> Environment:
    """Plain-text templates: autoescape is off for .txt (HTML entities in a text mail would be
    noise) and on for anything HTML-like. That is safe only because email_context hands the
    templates server values alone, never what a customer typed."""
    return Environment(
        loader=FileSystemLoader(EMAIL_TEMPLATE_DIR),
        autoescape=select_autoescape(enabled_extensions=("html", "htm", "xml"), default=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_email(template: str, context: dict) -> str:
    return email_environment().get_template(template).render(context)


def email_context(case: Case, base_url: str) -> dict:
    """Everything a template may show. Deliberately not the case's data, orderer or
    messages: no personnummer, no form content, no message body."""
    config = current_app.config
    return {
        "case_number": case.number,
        "case_type_title": case.case_type_title,
        "status": case.status,
        "case_url": case_url(base_url, case.number),
        "portal_name": config.get("PORTAL_NAME", "Kundportalen"),
        "handling_hours": config.get("HANDLING_HOURS", ""),
        "support_email": config.get("SUPPORT_EMAIL", ""),
        "support_phone": config.get("SUPPORT_PHONE", ""),
    }


def case_url(base_url: str, number: str) -> str:
    return f"{base_url}/arenden/{quote(number, safe='')}"


def canonical_base_url(base_url: str | None) -> str:
    """The configured public address, checked: http(s), a host, no line breaks or query."""
    url = (base_url or current_app.config.get("PUBLIC_BASE_URL") or DEFAULT_PUBLIC_BASE_URL).rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment \
            or any(ch in url for ch in "\r\n\t "):
        raise ValueError("PUBLIC_BASE_URL måste vara en http(s)-adress utan frågedel")
    return url


# --- the bell -------------------------------------------------------------------------------

BELL_COUNT_CAP = 100  # the bell shows "99+" beyond: counting stops there, however many are unread


def unread_count_of(user_id):
    """The unread count's question for a user id (a Slot, or a column of an enclosing query:
    the session lookup asks it for the page's bell, see counted_with_session)."""
    return Notification.select(fn.COUNT(SQL("1"))).from_(
        Notification.select(Notification.id)
        .where((Notification.user == user_id) & Notification.read_at.is_null())
        .limit(BELL_COUNT_CAP).alias("unread"))


UNREAD_COUNT = Prepared(lambda: unread_count_of(Slot("user")))
COUNTED = "bell_unread"  # where a request keeps the count read with its session


def counted_with_session(count: int) -> None:
    """The user's unread count as the session lookup read it at the start of the request: the
    bell shows it unless this request changes bell rows (see bell_rows_changed)."""
    g.setdefault(COUNTED, count)


def bell_rows_changed() -> None:
    """Every write of bell rows calls this: a count read earlier in the request is stale."""
    if has_request_context():
        g.pop(COUNTED, None)
UNREAD_ABOUT_CASE = Prepared(lambda: Notification.select(Notification.id).where(
    (Notification.user == Slot("user")) & Notification.read_at.is_null() & (Notification.case == Slot("case"))).limit(1))


def unread_count(user: User) -> int:
    """The user's unread notifications, counted up to BELL_COUNT_CAP: a handler gets one for
    every filed case, and the bell is on every page, so the count must not grow with them.
    In a request, the count the session lookup read, while this request has written no bell rows."""
    counted = g.get(COUNTED) if has_request_context() else None
    return UNREAD_COUNT.scalar(user=user.id) if counted is None else counted


def bell_text(count: int) -> str:
    return f"{BELL_COUNT_CAP - 1}+" if count >= BELL_COUNT_CAP else str(count)


def has_unread_about(user: User, case: Case) -> bool:
    return UNREAD_ABOUT_CASE.scalar(user=user.id, case=case.id) is not None


@cache
def recent_query(limit: int) -> Prepared:
    """The list's statement per length (the LIMIT written in: a plan that knows it)."""
    return Prepared(lambda: Notification.select().where(Notification.user == Slot("user"))
                    .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit))


def recent(user: User, limit: int = 20) -> list[Notification]:
    """The user's newest notifications first (id breaks ties within one timestamp)."""
    return recent_query(limit).rows(user=user.id)


def own(user: User, notification_id: int) -> Notification | None:
    """One of the user's own notifications; None for anyone else's."""
    return Notification.get_or_none((Notification.id == notification_id) & (Notification.user == user))


def mark_read(user: User, notification_id: int) -> bool:
    """Mark one of the user's own notifications read. False (and nothing changed) when the id
    is not theirs, so another user's id reveals nothing."""
    own = (Notification.user == user) & (Notification.id == notification_id)
    bell_rows_changed()
    if Notification.update(read_at=utcnow()).where(own & Notification.read_at.is_null()).execute():
        return True
    return Notification.select().where(own).exists()  # already read: still theirs


def mark_case_read(user: User, case: Case) -> int:
    """The user's unread notifications about this case, marked read (they opened the case)."""
    bell_rows_changed()
    return (Notification.update(read_at=utcnow())
            .where((Notification.user == user) & (Notification.case == case) & Notification.read_at.is_null())
            .execute())


def mark_all_read(user: User) -> int:
    bell_rows_changed()
    return (Notification.update(read_at=utcnow())
            .where((Notification.user == user) & Notification.read_at.is_null())
            .execute())
