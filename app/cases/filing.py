"""Filing a case with its ärendenummer, and reading cases back for their owner (Mina sidor) —
the keyset pages and unread markers the handlers' queue (app.cases.handling) uses too.

Filing is one transaction: the number, the case (with its frozen schema and the orderer's
snapshot), its first status and the handlers' notifications all land together or not at all,
and the form's draft (app.cases.drafts) goes in the same commit.
A form key, unique per owner, makes a double click or a resubmitted page find the case the
first post created instead of filing another.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from peewee import JOIN, SQL, IntegrityError, fn

from app.cases import attachments, drafts
from app.cases.case_days import count_case_day
from app.cases.statuses import CLOSED, SUBMITTED, count_status
from app.messaging import notifications, webhooks
from app.platform.extensions import db
from app.platform.models import (
    NOT_CLOSED,
    Case,
    CaseCounter,
    Message,
    Notification,
    ReadMark,
    StatusChange,
    User,
    utcnow,
)
from app.platform.prepared import Prepared, Slot, created
from casetypes import CaseType

PAGE_SIZE = 20


class DuplicateSubmission(Exception):
    def __init__(self, case: Case):
        super().__init__(case.number)
        self.case = case


def new_form_key() -> str:
    return secrets.token_urlsafe(24)


FORM_KEY_TEXT = re.compile(r"[A-Za-z0-9_-]{16,64}\Z", re.ASCII)  # what new_form_key makes, with room


def posted_form_key(text: str | None) -> str:
    """The form key a page posted back, or a fresh one when it is missing or not one of ours
    (a forged key must not reach a 64-character column)."""
    return text if text and FORM_KEY_TEXT.match(text) else new_form_key()


NEXT_NUMBER = Prepared(lambda: CaseCounter.insert(year=Slot("year"), last_number=1)
                       .on_conflict(conflict_target=[CaseCounter.year],
                                    update={CaseCounter.last_number: CaseCounter.last_number + 1})
                       .returning(CaseCounter.last_number).tuples())


def next_number(year: int) -> str:
    """The next ärendenummer of the year, inside the caller's write transaction: the UPDATE
    takes the counter row's lock (PostgreSQL) or runs under the IMMEDIATE lock (SQLite)."""
    if db.returning_clause:  # PostgreSQL: one statement, the new number comes back with it
        number = NEXT_NUMBER.scalar(year=year)
    else:
        CaseCounter.upsert({"year": year}, {"last_number": CaseCounter.last_number + 1}, {"last_number": 1})
        number = CaseCounter.get(CaseCounter.year == year).last_number
    return f"{year}-{number:05d}"


EXISTING = Prepared(lambda: Case.select().where((Case.owner == Slot("owner")) & (Case.form_key == Slot("form_key")))
                    .limit(1))


def existing(owner: User, form_key: str) -> Case | None:
    return EXISTING.first(owner=owner.id, form_key=form_key)


def file_case(owner: User, case_type: CaseType, document: dict, orderer: dict, form_key: str) -> Case:
    """Store a validated case; raises DuplicateSubmission when this form was filed already.
    The unique (owner, form key) index finds a second post of the same form (nothing is looked
    up first: a double click is rare, a filing is not), and its transaction is rolled back
    whole, the case number with it."""
    try:
        with db.atomic():
            now = utcnow()
            case = created(
                Case, number=next_number(now.year), owner=owner, form_key=form_key,
                case_type_slug=case_type.slug, case_type_title=case_type.title,
                schema_text=case_type.text, schema_sha256=case_type.sha256, data=document,
                orderer=orderer, organisation_name=orderer["organisation"],
                organisation_number=orderer["organisationsnummer"], created_at=now, updated_at=now)
            created(StatusChange, case=case, from_status=None, to_status=SUBMITTED, actor=owner, created_at=now)
            count_status(SUBMITTED, 1)
            count_case_day(case.case_type_slug, case.created_at, None, 1)
            created(ReadMark, case=case, user=owner, read_at=now)
            attachments.file_with_case(case, case_type, document)
            notifications.notify_handlers(case, "filed")
            notifications.notify_customer(case, "filed")  # the receipt, by e-mail if they asked
            drafts.forget_filed(owner, form_key)  # a filed draft is gone with the same commit
            webhooks.case_filed(case)
    except IntegrityError:
        found = existing(owner, form_key)
        if found is None:
            raise
        raise DuplicateSubmission(found) from None
    return case


OWNED_CASE = Prepared(lambda: Case.select().where((Case.number == Slot("number")) & (Case.owner == Slot("owner"))).limit(1))


def owned_case(owner: User, number: str) -> Case | None:
    """The owner's case by number; None for anyone else's (the caller answers 404)."""
    return OWNED_CASE.first(number=number, owner=owner.id)


# What opening a case needs to know besides the case (handling.read_on_opening), asked in the
# case's own statement when a case page is opened: the reader's read mark, and whether a bell
# row of theirs about the case is unread. Each becomes an attribute of the case read.
OPENING_MARK = "opening_read_at"
OPENING_BELL = "opening_unread_bell"


def opening_columns(reader) -> tuple:
    """The two columns for the case in the query and `reader` (a user's id or a Slot)."""
    mark = ReadMark.select(ReadMark.read_at).where((ReadMark.case == Case.id) & (ReadMark.user == reader)).limit(1)
    bell = fn.EXISTS(Notification.select(Notification.id).where(
        (Notification.user == reader) & Notification.read_at.is_null() & (Notification.case == Case.id)))
    return mark.alias(OPENING_MARK), bell.alias(OPENING_BELL)


OWNED_CASE_TO_OPEN = Prepared(lambda: Case.select(Case, *opening_columns(Slot("owner")))
                              .where((Case.number == Slot("number")) & (Case.owner == Slot("owner"))).limit(1))


def owned_case_to_open(owner: User, number: str) -> Case | None:
    """owned_case, with what opening it needs to know (opening_columns) in the same statement."""
    return OWNED_CASE_TO_OPEN.first(number=number, owner=owner.id)


@dataclass(frozen=True)
class CaseRow:
    case: Case
    unread: bool


@dataclass(frozen=True)
class Page:
    rows: list
    next_cursor: int | None


def unread_case_ids(user: User, case_ids: list[int]) -> set[int]:
    """Cases with a message from someone else after the user's read mark."""
    if not case_ids:
        return set()
    marks = {mark.case_id: mark.read_at for mark in
             ReadMark.select().where((ReadMark.user == user) & (ReadMark.case.in_(case_ids)))}
    latest = (Message.select(Message.case, fn.MAX(Message.created_at).alias("newest"))
              .where(Message.case.in_(case_ids) & (Message.author != user) & (Message.internal == False))  # noqa: E712
              .group_by(Message.case))
    return {m.case_id for m in latest if m.case_id not in marks or m.newest > marks[m.case_id]}


# What a list of cases shows: not the document, the orderer or the frozen schema, which are
# most of a case row's bytes and would be read, sent and parsed for every line.
LIST_COLUMNS = (Case.id, Case.number, Case.owner, Case.case_type_slug, Case.case_type_title,
                Case.organisation_name, Case.organisation_number, Case.status, Case.version,
                Case.assignee, Case.created_at, Case.updated_at, Case.closed_at)


def has_news_for(reader):
    """A column for each listed case: is there a message from someone else (not an internal
    note) after the reader's read mark, or any such message when there is no mark? The same
    rule as unread_case_ids, asked inside the page's own query. `reader`: a user's id or a Slot."""
    mark = ReadMark.alias()
    news = (Message.select(SQL("1"))
            .join(mark, JOIN.LEFT_OUTER, on=((mark.case == Message.case) & (mark.user == reader)))
            .where((Message.case == Case.id) & (Message.author != reader) & (Message.internal == False)  # noqa: E712
                   & (mark.id.is_null() | (Message.created_at > mark.read_at)))
            # OFFSET 0 keeps it a look-up per listed case (the message index, ~0.005 ms each):
            # without it PostgreSQL may choose to read every message in the system once and
            # hash them, which grows with all messages (5 times slower at 750 messages already).
            .offset(0))
    return fn.EXISTS(news).alias("has_news")


def page_select(query, reader, cursor, limit, *, newest_first: bool):
    """The page's one statement: the query's columns (LIST_COLUMNS, a list's) and the unread
    markers, in id order after the cursor. Values may be Slots (a prepared page) or plain values."""
    if cursor is not None:
        query = query.where(Case.id < cursor if newest_first else Case.id > cursor)
    return (query.select_extend(has_news_for(reader))
            .order_by(Case.id.desc() if newest_first else Case.id).limit(limit))


def page_of(cases: list, size: int) -> Page:
    shown = cases[:size]
    return Page([CaseRow(case, bool(case.has_news)) for case in shown],
                shown[-1].id if len(cases) > size else None)


def keyset_page(query, reader: User, cursor: int | None, size: int, *, newest_first: bool) -> Page:
    """One page of cases in id order after `cursor`, with unread markers for `reader`, in one
    statement: as fast on page 10 000 as on page 1, because it never counts past rows."""
    return page_of(list(page_select(query, reader.id, cursor, size + 1, newest_first=newest_first)), size)


_prepared_pages: dict[tuple, Prepared] = {}


def prepared_page(shape: tuple, build_filter, values: dict, reader: User, cursor: int | None, size: int, *,
                  newest_first: bool, same_plan_for_everyone: bool = False) -> Page:
    """keyset_page for a list whose filter `build_filter()` writes with Slots for `values`: its
    statement is prepared once per shape (a bounded set: the caller's list and filters, whether
    there is a cursor) and sent with the values after that. `same_plan_for_everyone`: the
    filter's rows do not depend on whose list it is (the whole queue), so the statement is also
    prepared on the server; otherwise it is planned for each call's values."""
    key = (shape, cursor is not None, newest_first, size if same_plan_for_everyone else None)
    prepared = _prepared_pages.get(key)
    if prepared is None:
        cursor_slot = Slot("cursor") if cursor is not None else None
        if same_plan_for_everyone:  # prepared on the server, the LIMIT written in for its generic plan
            prepared = Prepared(lambda: page_select(build_filter(), Slot("reader"), cursor_slot, size + 1,
                                                    newest_first=newest_first))
        else:  # the best plan depends on whose list it is
            prepared = Prepared(lambda: page_select(build_filter(), Slot("reader"), cursor_slot, Slot("limit"),
                                                    newest_first=newest_first), plan_each_time=True)
        _prepared_pages[key] = prepared
    return page_of(prepared.rows(**values, reader=reader.id, cursor=cursor, limit=size + 1), size)


def my_cases(owner: User, *, closed: bool, before: int | None = None, size: int = PAGE_SIZE) -> Page:
    """One page of the owner's ongoing or closed cases, newest first."""
    group = (Case.status == CLOSED) if closed else NOT_CLOSED  # each walks an index in id order
    return prepared_page(("mine", closed), lambda: Case.select(*LIST_COLUMNS).where((Case.owner == Slot("owner")) & group),
                         {"owner": owner.id}, owner, before, size, newest_first=True)
