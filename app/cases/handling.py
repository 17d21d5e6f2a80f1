"""Work on filed cases: the handlers' queue, taking, closing and reopening cases (the status
transitions, with their counters), assigning cases to handlers and handing them back, messages
in both directions, and the audit trail of who looked at what.

Every change is one transaction with its notifications, so a status change or a message never
exists without its bell row and e-mail, nor the other way round. Status changes carry the
version the handler saw: if another handler changed the case in between, nothing is
overwritten and the caller is told. An assignment change moves the same version, so a page
shown before someone else assigned the case cannot close it unseen either.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from peewee import JOIN, IntegrityError, Select, fn

from app.cases import documents, history
from app.cases.case_days import count_case_day
from app.cases.filing import (
    LIST_COLUMNS,
    OPENING_BELL,
    OPENING_MARK,
    Page,
    keyset_page,
    opening_columns,
    prepared_page,
)
from app.cases.statuses import CLOSED, IN_PROGRESS, STATUSES, SUBMITTED, count_status
from app.messaging import notifications, webhooks
from app.platform.extensions import db
from app.platform.models import (
    OPEN_IN_QUEUE,
    AuditEntry,
    Case,
    Message,
    Notification,
    QueueSearch,
    ReadMark,
    StatusChange,
    User,
    utcnow,
)
from app.platform.prepared import Prepared, Slot, created
from casetypes.formats import reshape_organisationsnummer

MESSAGE_MAX_LENGTH = 5000
QUEUE_PAGE_SIZE = 25

# The changes a handler can make, by the button's value: (allowed from, to).
TRANSITIONS = {
    "take": ((SUBMITTED,), IN_PROGRESS),
    "close": ((SUBMITTED, IN_PROGRESS), CLOSED),
    "reopen": ((CLOSED,), IN_PROGRESS),
}


class Conflict(Exception):
    """The case changed since the page was shown; nothing was saved."""


class NotAllowed(Exception):
    """The action does not apply to the case as it stands."""


class EmptyMessage(ValueError):
    pass


CASE_BY_NUMBER = Prepared(lambda: Case.select().where(Case.number == Slot("number")).limit(1))


def case_by_number(number: str) -> Case | None:
    """Any case by its ärendenummer: the handlers see every case."""
    return CASE_BY_NUMBER.first(number=number)


CASE_TO_OPEN = Prepared(lambda: Case.select(Case, *opening_columns(Slot("reader")))
                        .where(Case.number == Slot("number")).limit(1))


def case_to_open(number: str, reader: User) -> Case | None:
    """case_by_number, with what opening it needs to know (filing.opening_columns) in the same
    statement."""
    return CASE_TO_OPEN.first(number=number, reader=reader.id)


# --- audit -------------------------------------------------------------------------------------

# What each audit event says in the trail; an event without a text here cannot be recorded.
AUDIT_TEXTS = {
    "visa": "Visade ärendet",
    "pdf": "Laddade ner PDF",
    "csv": "Exporterade CSV",
    "api-visa": "Hämtade ärendet via API",
    "api-pdf": "Hämtade PDF via API",
    "api-status": "Ändrade status via API",
    "api-meddelande": "Skrev meddelande via API",
    "api-bilaga": "Hämtade en bilaga via API",
    "api-lista": "Listade ärenden via API",
    "bilaga": "Laddade ner en bilaga",
}


def audit(actor: User, case: Case | None, action: str) -> AuditEntry:
    if action not in AUDIT_TEXTS:
        raise ValueError(f"unknown audit event: {action}")
    return created(AuditEntry, actor=actor, case=case, action=action)


VIEW_AUDITED_ONCE_IN = timedelta(minutes=1)


def audited_view(actor: User, case: Case) -> list[AuditEntry]:
    """The case's audit trail (newest first) after this look: "Visade ärendet" is written once a
    minute per handler and case (a reload, or the page shown again after a reply, is the same
    look). The trail the page shows anyway tells whether it was written lately, so a look
    costs that one read, and a write at most once a minute."""
    trail = audit_trail(case)
    since = utcnow() - VIEW_AUDITED_ONCE_IN
    if any(entry.actor_id == actor.id and entry.action == "visa" and entry.created_at >= since for entry in trail):
        return trail
    return [audit(actor, case, "visa"), *trail]


def audit_text(action: str) -> str:
    """The trail's Swedish wording; rows written before a text existed show their code."""
    return AUDIT_TEXTS.get(action, action)


AUDIT_TRAIL = Prepared(lambda: AuditEntry.select(AuditEntry, User).join(User)
                       .where(AuditEntry.case == Slot("case")).order_by(AuditEntry.id.desc()))


def audit_trail(case: Case) -> list[AuditEntry]:
    return AUDIT_TRAIL.rows(case=case.id)


# --- status ------------------------------------------------------------------------------------

def change_status(case: Case, action: str, actor: User, seen_version: int, closing_message: str = "") -> Case:
    allowed_from, target = TRANSITIONS.get(action, ((), None))
    if case.status not in allowed_from:
        raise NotAllowed(action)
    now = utcnow()
    with db.atomic():
        updated = (Case.update(status=target, version=Case.version + 1, updated_at=now,
                               closed_at=now if target == CLOSED else None)
                   .where((Case.id == case.id) & (Case.version == seen_version)).execute())
        if not updated:
            raise Conflict()
        fresh = Case.get_by_id(case.id)
        history.record_status(fresh, case.status, target, actor, now)
        if action == TAKING and fresh.assignee_id is None:
            fresh = claim(fresh, actor, now)
        count_status(case.status, -1)
        count_status(target, 1)
        if case.closed_at != fresh.closed_at:  # closed or reopened: Statistik's day counters move
            count_case_day(case.case_type_slug, case.created_at, case.closed_at, -1)
            count_case_day(fresh.case_type_slug, fresh.created_at, fresh.closed_at, 1)
        documents.forget_pdfs(fresh)  # its header shows the status
        if closing_message.strip():
            add_message(fresh, actor, closing_message, internal=False, notify=False)
        notifications.notify_customer(fresh, "status")
        webhooks.case_status_changed(fresh, case.status)
    return fresh


def status_history(case: Case) -> list[StatusChange]:
    """The status changes alone (what the API reports), oldest first."""
    return history.history_rows(case, (history.STATUS,))


def case_history(case: Case) -> list[history.HistoryLine]:
    """The handler's "Statushistorik": status and assignment changes, as Swedish lines."""
    return history.case_history(case)


# --- assignment --------------------------------------------------------------------------------

# "Ta ärendet" starts the handling and makes the case the taker's own, when nobody has it: taking
# a case is saying "I handle this", and the queue's "Mina ärenden" should then show it. A case a
# colleague was given stays theirs: taking never silently moves someone else's case.
TAKING = "take"


ACTIVE_HANDLERS = Prepared(lambda: User.select().where((User.role == notifications.HANDLER_ROLE)
                                                       & (User.active == True))  # noqa: E712
                          .order_by(User.name, User.id))


def active_handlers() -> list[User]:
    """Whom a case can be assigned to: active handlers, by name."""
    return ACTIVE_HANDLERS.rows()


def active_handler(user_id: int | None) -> User | None:
    if user_id is None:
        return None
    return User.get_or_none((User.id == user_id) & (User.role == notifications.HANDLER_ROLE)
                            & (User.active == True))  # noqa: E712


def assign(case: Case, actor: User, assignee: User | None, seen_version: int) -> Case:
    """Give the case to `assignee` (None: hand it back to nobody), with a history row and, when
    someone else is given it, a bell notification to them. A case already so assigned is left
    as it is. Conflict when the case changed since the page was shown."""
    if case.version != seen_version:
        raise Conflict()
    if case.assignee_id == (assignee.id if assignee else None):
        return case
    now = utcnow()
    with db.atomic():
        updated = (Case.update(assignee=assignee, version=Case.version + 1, updated_at=now)
                   .where((Case.id == case.id) & (Case.version == seen_version)).execute())
        if not updated:
            raise Conflict()
        fresh = Case.get_by_id(case.id)
        history.record_assignment(fresh, assignee, actor, now)
        if assignee is not None and assignee.id != actor.id:
            notifications.notify_handler(fresh, assignee.id, "assigned")
    return fresh


def claim(case: Case, actor: User, now) -> Case:
    """Inside a status change's transaction: the case becomes the actor's (it had nobody)."""
    Case.update(assignee=actor).where((Case.id == case.id) & Case.assignee.is_null()).execute()
    fresh = Case.get_by_id(case.id)
    history.record_assignment(fresh, actor, actor, now)
    return fresh


# --- messages ----------------------------------------------------------------------------------

def clean_body(body: str) -> str:
    text = (body or "").replace("\r\n", "\n").strip()
    if not text:
        raise EmptyMessage("Skriv ett meddelande.")
    if len(text) > MESSAGE_MAX_LENGTH:
        raise EmptyMessage(f"Meddelandet får vara högst {MESSAGE_MAX_LENGTH} tecken.")
    return text


def add_message(case: Case, author: User, body: str, *, internal: bool, notify: bool = True,
                form_key: str | None = None) -> Message:
    """A message in the case's thread; the other side is notified unless it is an internal note."""
    text = clean_body(body)
    with db.atomic():
        message = Message.create(case=case, author=author, body=text, internal=internal, form_key=form_key)
        mark_read(case, author)
        if not internal:  # a closing message too: it is news to a receiver, though the customer's e-mail covers it
            webhooks.message_created(case, message, author.role)
        if notify and not internal:
            notify_other_side(case, author)
    return message


def notify_other_side(case: Case, author: User) -> None:
    if author.speaks_for_ombud:
        notifications.notify_customer(case, "message")
    else:
        notifications.notify_handlers(case, "message")


def posted_already(case: Case, form_key: str) -> bool:
    """Whether this message form was stored already (sent twice: its files are with it)."""
    return Message.select().where((Message.form_key == form_key) & (Message.case == case)).exists()


def post_once(case: Case, author: User, body: str, *, internal: bool, form_key: str) -> Message:
    """add_message, but a resubmitted form (same key) returns the message it already made."""
    existing = Message.get_or_none(Message.form_key == form_key)
    if existing is not None and existing.case_id == case.id:
        return existing
    try:
        return add_message(case, author, body, internal=internal, form_key=form_key)
    except IntegrityError:
        return Message.get(Message.form_key == form_key)


THREADS = {
    True: Prepared(lambda: Message.select(Message, User).join(User)
                   .where(Message.case == Slot("case")).order_by(Message.id)),
    False: Prepared(lambda: Message.select(Message, User).join(User)
                    .where((Message.case == Slot("case")) & (Message.internal == False))  # noqa: E712
                    .order_by(Message.id)),
}
# What opening a case needs to know, in one statement: the reader's read mark, and whether a
# bell row of theirs about the case is unread.
OPENING = Prepared(lambda: Select(columns=[
    ReadMark.select(ReadMark.read_at).where((ReadMark.case == Slot("case")) & (ReadMark.user == Slot("user"))).limit(1),
    fn.EXISTS(Notification.select(Notification.id).where(
        (Notification.user == Slot("user")) & Notification.read_at.is_null() & (Notification.case == Slot("case"))))]))


def thread(case: Case, *, include_internal: bool) -> list[Message]:
    return THREADS[include_internal].rows(case=case.id)


def mark_read(case: Case, user: User) -> None:
    """Writing in a thread reads it: the read mark moves to now, the case's bell rows are read."""
    now = utcnow()
    ReadMark.upsert({"case": case, "user": user}, {"read_at": now}, {"read_at": now})
    notifications.mark_case_read(user, case)


def read_on_opening(case: Case, user: User, shown: list[Message]) -> None:
    """Opening a case reads it, like mark_read, but writes only when there is something new:
    a message from someone else after the read mark, or an unread bell row about the case.
    Looking at a case again costs one read (two indexed look-ups) and no write, none at all when
    the case was read with them (case_to_open, filing.owned_case_to_open)."""
    if hasattr(case, OPENING_BELL):
        mark, unread_bell = getattr(case, OPENING_MARK), getattr(case, OPENING_BELL)
    else:
        _query, cursor = OPENING.cursor({"case": case.id, "user": user.id})
        mark, unread_bell = cursor.fetchone()
    read_at = ReadMark.read_at.python_value(mark)  # SQLite answers a subquery's time as text
    if read_at is None or any(is_news(message, user, read_at) for message in shown):
        now = utcnow()
        ReadMark.upsert({"case": case, "user": user}, {"read_at": now}, {"read_at": now})
    if unread_bell:
        notifications.mark_case_read(user, case)


def is_news(message: Message, reader: User, read_at) -> bool:
    """What the unread markers count (filing.unread_case_ids): someone else's message, not an
    internal note, written after the reader's mark."""
    return message.author_id != reader.id and not message.internal and message.created_at > read_at


# --- the queue ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class QueueFilter:
    status: str = "open"  # open (not closed) | a status | all
    case_type: str = ""
    query: str = ""  # ärendenummer, organisationsnummer or part of the organisation's name
    assigned: str = ""  # "" anyone's | "mina" the handler's own | "ingen" nobody's


# The assignment filters, by their value in the address; an unknown value filters nothing.
ASSIGNED_FILTERS = {
    "mina": lambda handler: Case.assignee == handler,
    "ingen": lambda handler: Case.assignee.is_null(),
}


STATUS_FILTERS = {
    "open": lambda: OPEN_IN_QUEUE,  # the partial index of the cases not closed, in id order
    "all": lambda: True,
    **{status: (lambda status=status: Case.status == status) for status in STATUSES},
}


def matches_query(text: str):
    text = text.strip()
    number = reshape_organisationsnummer(text) or text  # typed as the customer may: 12 digits, no dash
    return ((Case.number == text) | (Case.organisation_number == number)
            | fn.LOWER(Case.organisation_name).contains(text.lower()))


def filtered(criteria: QueueFilter, handler: User | None = None, *, listing: bool = False):
    """The cases the filters let through, each with its assignee's name (one LEFT JOIN);
    `listing`: only the columns a list shows (filing.LIST_COLUMNS), not the documents."""
    assignee = User.alias()
    query = (Case.select(*(LIST_COLUMNS if listing else (Case,)), assignee.id, assignee.name)
             .join(assignee, JOIN.LEFT_OUTER, on=(Case.assignee == assignee.id), attr="assignee")
             .where(STATUS_FILTERS.get(criteria.status, STATUS_FILTERS["open"])()))
    if criteria.assigned in ASSIGNED_FILTERS and handler is not None:
        query = query.where(ASSIGNED_FILTERS[criteria.assigned](handler))
    if criteria.case_type:
        query = query.where(Case.case_type_slug == criteria.case_type)
    if criteria.query.strip():
        query = query.where(matches_query(criteria.query))
    return query


def queue(handler: User, criteria: QueueFilter, after: int | None = None, size: int = QUEUE_PAGE_SIZE) -> Page:
    """Oldest first, so unhandled cases come up in the order they arrived. Without a search
    term (the queue as it is mostly opened) the page's statement is a prepared one."""
    if criteria.query.strip():
        return keyset_page(filtered(criteria, handler, listing=True), handler, after, size, newest_first=False)
    # A bounded set of shapes: unknown filter values filter nothing, as filtered() treats them.
    status = criteria.status if criteria.status in STATUS_FILTERS else "open"
    assigned = criteria.assigned if criteria.assigned in ASSIGNED_FILTERS else ""

    def build_filter():
        # The same filters with Slots where the values go (filtered() only tests them for truth).
        shape = QueueFilter(status=status, case_type=Slot("case_type") if criteria.case_type else "",
                            assigned=assigned)
        return filtered(shape, Slot("handler"), listing=True)

    return prepared_page(("queue", status, bool(criteria.case_type), assigned), build_filter,
                         {"case_type": criteria.case_type, "handler": handler.id}, handler, after, size,
                         newest_first=False, same_plan_for_everyone=not (criteria.case_type or assigned))


# --- searches kept out of the address ---------------------------------------------------------

SEARCH_MAX_LENGTH = 200
SEARCH_KEPT_FOR = timedelta(hours=24)
SEARCH_TOKEN_TEXT = re.compile(r"[A-Za-z0-9_-]{16}\Z", re.ASCII)


def save_search(handler: User, text: str) -> str:
    """Keep a search term for its handler; the token stands for it in the queue's address.
    Searches older than a day go at the same time."""
    token = secrets.token_urlsafe(12)
    with db.atomic():
        forget_old_searches()
        QueueSearch.create(token=token, user=handler, text=text.strip()[:SEARCH_MAX_LENGTH])
    return token


def forget_old_searches(now=None) -> int:
    """Delete searches older than a day (a term may be a personnummer); also run by
    `retention run`, so they go even when nobody searches again."""
    return QueueSearch.delete().where(QueueSearch.created_at < (now or utcnow()) - SEARCH_KEPT_FOR).execute()


def saved_search(handler: User, token: str) -> str | None:
    """The handler's own search behind a token; None when it is unknown, another's or too old."""
    if not SEARCH_TOKEN_TEXT.match(token):
        return None
    found = QueueSearch.get_or_none((QueueSearch.token == token) & (QueueSearch.user == handler)
                                    & (QueueSearch.created_at >= utcnow() - SEARCH_KEPT_FOR))
    return found.text if found else None
