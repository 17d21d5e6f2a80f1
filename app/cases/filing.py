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

from peewee import IntegrityError, fn

from app.cases import attachments, drafts
from app.cases.statuses import CLOSED, SUBMITTED, count_status
from app.messaging import notifications, webhooks
from app.platform.extensions import db
from app.platform.models import Case, CaseCounter, Message, ReadMark, StatusChange, User, utcnow
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


def next_number(year: int) -> str:
    """The next ärendenummer of the year, inside the caller's write transaction: the UPDATE
    takes the counter row's lock (PostgreSQL) or runs under the IMMEDIATE lock (SQLite)."""
    CaseCounter.upsert({"year": year}, {"last_number": CaseCounter.last_number + 1}, {"last_number": 1})
    number = CaseCounter.get(CaseCounter.year == year).last_number
    return f"{year}-{number:05d}"


def existing(owner: User, form_key: str) -> Case | None:
    return Case.get_or_none((Case.owner == owner) & (Case.form_key == form_key))


def file_case(owner: User, case_type: CaseType, document: dict, orderer: dict, form_key: str) -> Case:
    """Store a validated case; raises DuplicateSubmission when this form was filed already."""
    found = existing(owner, form_key)
    if found is not None:
        raise DuplicateSubmission(found)
    try:
        with db.atomic():
            now = utcnow()
            case = Case.create(
                number=next_number(now.year), owner=owner, form_key=form_key,
                case_type_slug=case_type.slug, case_type_title=case_type.title,
                schema_text=case_type.text, schema_sha256=case_type.sha256, data=document,
                orderer=orderer, organisation_name=orderer["organisation"],
                organisation_number=orderer["organisationsnummer"], created_at=now, updated_at=now)
            StatusChange.create(case=case, from_status=None, to_status=SUBMITTED, actor=owner, created_at=now)
            count_status(SUBMITTED, 1)
            ReadMark.create(case=case, user=owner, read_at=now)
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


def owned_case(owner: User, number: str) -> Case | None:
    """The owner's case by number; None for anyone else's (the caller answers 404)."""
    return Case.get_or_none((Case.number == number) & (Case.owner == owner))


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


def keyset_page(query, reader: User, cursor: int | None, size: int, *, newest_first: bool) -> Page:
    """One page of cases in id order after `cursor`, with unread markers for `reader`: as fast
    on page 10 000 as on page 1, because it never counts past rows."""
    if cursor is not None:
        query = query.where(Case.id < cursor if newest_first else Case.id > cursor)
    cases = list(query.order_by(Case.id.desc() if newest_first else Case.id).limit(size + 1))
    shown = cases[:size]
    unread = unread_case_ids(reader, [case.id for case in shown])
    return Page([CaseRow(case, case.id in unread) for case in shown],
                shown[-1].id if len(cases) > size else None)


def my_cases(owner: User, *, closed: bool, before: int | None = None, size: int = PAGE_SIZE) -> Page:
    """One page of the owner's ongoing or closed cases, newest first."""
    group = (Case.status == CLOSED) if closed else (Case.status != CLOSED)
    return keyset_page(Case.select().where((Case.owner == owner) & group), owner, before, size, newest_first=True)
