"""Utkast: a customer's unfinished case forms, saved unvalidated and continued later.

A draft stores the **posted form data as (name, value) pairs**, exactly as the browser sent
them, not the JSON document. Only the pairs give back "every field and every row exactly as
saved": reading them into a document drops what does not judge yet (a half-typed personnummer
stays text, but a blank optional field, a blank row or an unticked box leaves no trace), turns
a telefonnummer into E.164 and keeps only the active branch of a condition. Binding the same
pairs again draws the form the customer left, the orderer block (its "orderer-" names) included.

A draft is one per rendered form (its `form_key`): saving again updates it, and filing that form
deletes it inside the filing transaction (app.cases.filing calls `forget_filed`). It remembers
the case-type version it was started under (the frozen schema text and its sha256); continuing
after the file has changed uses the current version and tells which answers no longer fit
(webforms.fit). Drafts are never cases: handlers' queries never read this table. Retention
deletes drafts DRAFT_DAYS after they were last saved.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from peewee import IntegrityError
from werkzeug.datastructures import MultiDict

from app.platform.extensions import db
from app.platform.models import Case, Draft, User, utcnow
from app.platform.prepared import Prepared, Slot
from casetypes import CaseType, case_type_from_frozen
from webforms.fit import Unfit, unfit_answers
from webforms.rows import ACTION_FIELD

from .stepping import MOVE_FIELD, REVIEWED_FIELD

TOKEN_TEXT_LENGTH = 22  # secrets.token_urlsafe(16)
# Page machinery, not what was typed (the step a page was on, "_step", is kept: a draft reopens there).
NOT_ANSWERS = frozenset({"csrf_token", "form_key", ACTION_FIELD, MOVE_FIELD, REVIEWED_FIELD})


class DraftRefused(Exception):
    """A limit stops this save; the message is for the customer."""


class AlreadyFiled(Exception):
    """The form was filed already (a stale page saved again): the case is the answer."""

    def __init__(self, case: Case):
        super().__init__(case.number)
        self.case = case


def answers_of(formdata: MultiDict) -> list[list[str]]:
    """What was typed, in the order posted, without the page's own fields."""
    return [[name, value] for name, value in formdata.items(multi=True) if name not in NOT_ANSWERS]


def size_of(answers: list) -> int:
    return len(json.dumps(answers, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def check_size(size: int) -> None:
    limit = current_app.config["DRAFT_MAX_BYTES"]
    if size > limit:
        raise DraftRefused(f"Utkastet är för stort för att sparas ({size // 1000} kB, högst {limit // 1000} kB). "
                           "Skicka in ärendet eller dela upp det i flera ärenden.")


def check_count(owner: User) -> None:
    limit = current_app.config["DRAFTS_PER_CUSTOMER"]
    if Draft.select().where(Draft.owner == owner).count() >= limit:
        raise DraftRefused(f"Du har redan {limit} sparade utkast, och fler får inte sparas. "
                           "Ta bort ett utkast under Mina sidor eller skicka in det, och spara sedan igen.")


def save(owner: User, case_type: CaseType, form_key: str, formdata: MultiDict) -> Draft:
    """Store what was typed in this form (a new draft, or the form's draft updated); raises
    DraftRefused over a limit and AlreadyFiled when this form became a case."""
    filed = Case.get_or_none((Case.owner == owner) & (Case.form_key == form_key))
    if filed is not None:
        raise AlreadyFiled(filed)
    answers = answers_of(formdata)
    size = size_of(answers)
    check_size(size)
    changes = {"answers": answers, "size": size, "updated_at": utcnow(), "case_type_slug": case_type.slug,
               "case_type_title": case_type.title, "schema_text": case_type.text, "schema_sha256": case_type.sha256}
    with db.atomic():
        if updated(owner, form_key, changes):
            return form_draft(owner, form_key)
        check_count(owner)
        try:
            with db.atomic():
                return Draft.create(token=secrets.token_urlsafe(16), owner=owner, form_key=form_key, **changes)
        except IntegrityError:  # the same form saved at the same moment (autosave and the button)
            updated(owner, form_key, changes)
            return form_draft(owner, form_key)


def updated(owner: User, form_key: str, changes: dict) -> int:
    return Draft.update(**changes).where((Draft.owner == owner) & (Draft.form_key == form_key)).execute()


def form_draft(owner: User, form_key: str) -> Draft:
    return Draft.get((Draft.owner == owner) & (Draft.form_key == form_key))


def owned(owner: User, token: str) -> Draft | None:
    """The owner's draft by its opaque id; None for anyone else's or a malformed id (404)."""
    if not token or len(token) != TOKEN_TEXT_LENGTH or not token.isascii():
        return None
    return Draft.get_or_none((Draft.token == token) & (Draft.owner == owner))


def delete(owner: User, token: str) -> bool:
    draft = owned(owner, token)
    return draft is not None and Draft.delete().where(Draft.id == draft.id).execute() > 0


FORGET_FILED = Prepared(lambda: Draft.delete().where((Draft.owner == Slot("owner")) & (Draft.form_key == Slot("form_key"))))


def forget_filed(owner: User, form_key: str) -> None:
    """Inside the filing transaction: the draft of the form just filed is gone with it."""
    FORGET_FILED.execute(owner=owner.id, form_key=form_key)


@dataclass(frozen=True)
class DraftRow:
    """One line of "Utkast" on Mina sidor."""
    token: str
    case_type_title: str
    saved_at: datetime
    deleted_after: datetime


LISTED = Prepared(lambda: Draft.select(Draft.token, Draft.case_type_title, Draft.updated_at)
                  .where(Draft.owner == Slot("owner")).order_by(Draft.updated_at.desc(), Draft.id.desc()))


def listed(owner: User) -> list[DraftRow]:
    """The owner's drafts, last saved first, with the day retention will delete each."""
    keep = timedelta(days=current_app.config["DRAFT_DAYS"])
    return [DraftRow(draft.token, draft.case_type_title, draft.updated_at, draft.updated_at + keep)
            for draft in LISTED.rows(owner=owner.id)]


@dataclass(frozen=True)
class Restored:
    """A draft ready to draw: the posted data to bind and what no longer fits the current version."""
    formdata: MultiDict
    unfit: Unfit


def restored(draft: Draft, current: CaseType) -> Restored:
    formdata = MultiDict([tuple(pair) for pair in draft.answers])
    if draft.schema_sha256 == current.sha256:
        return Restored(formdata, Unfit([], []))
    old = case_type_from_frozen(draft.case_type_slug, draft.schema_text)
    return Restored(formdata, unfit_answers(old, current, formdata))


def purge_expired(days: int, now: datetime | None = None) -> int:
    """Delete drafts last saved more than `days` ago; returns how many."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    return Draft.delete().where(Draft.updated_at < cutoff).execute()
