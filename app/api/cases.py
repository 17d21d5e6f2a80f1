"""What /api/v1 tells of case types and cases, as JSON: the case types with their schemas,
pages of cases by keyset, one case with its history, orderer, document and thread, and the
status changes and messages an API token makes — through app.cases.handling, so the
notifications, e-mails and (where subscribed) webhooks follow exactly as for a handler.

Every function here returns plain dicts shaped as the OpenAPI document (app.api.openapi)
describes them; a test checks each answer against it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timezone

from flask import url_for

from app.api.problems import ApiProblem
from app.cases import attachments, handling
from app.cases.handling_hours import STOCKHOLM
from app.cases.statuses import STATUSES
from app.platform.models import ApiToken, Attachment, Case, Message, StatusChange

PAGE_SIZE = 25
PAGE_SIZE_MAX = 100
IDEMPOTENCY_KEY_MAX = 40


def timestamp(moment: datetime | None) -> str | None:
    """Stored naive UTC as RFC 3339 with Z."""
    return None if moment is None else moment.replace(microsecond=0).isoformat() + "Z"


# --- case types ---------------------------------------------------------------------------------

def case_type_json(case_type) -> dict:
    return {"slug": case_type.slug, "title": case_type.title, "description": case_type.description,
            "active": case_type.active, "version": case_type.version, "sha256": case_type.sha256,
            "schema": case_type.schema}


# --- the list -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CaseFilter:
    status: str | None = None
    case_type: str | None = None
    filed_since: datetime | None = None  # naive UTC


RFC3339_DATE_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})\Z",
                               re.ASCII)
FILED_SINCE_TEXT = ("filed_since ska vara ett datum (ÅÅÅÅ-MM-DD) eller en tidpunkt med tidszon "
                    "(RFC 3339, till exempel 2026-01-31T08:00:00Z).")


def parse_filed_since(text: str) -> datetime:
    """A date (from midnight Swedish time) or an RFC 3339 date-time, as naive UTC; a moment
    before or after what the database holds is the earliest or latest there is."""
    try:
        moment = parse_moment(text)
    except ValueError:
        raise ApiProblem(400, FILED_SINCE_TEXT) from None
    try:
        return moment.astimezone(timezone.utc).replace(tzinfo=None)
    except OverflowError:  # year 1 east of Greenwich, year 9999 west of it
        return datetime.min if moment.year == 1 else datetime.max


def parse_moment(text: str) -> datetime:
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), time(), tzinfo=STOCKHOLM)
    match = RFC3339_DATE_TIME.match(text)
    if match is None:
        raise ValueError(text)
    day, hour, minute, second, fraction, offset = match.groups()
    zone = "+00:00" if offset in "Zz" else offset
    # A leap second (:60) is a valid RFC 3339 time that Python cannot hold: the second before it.
    seconds = min(int(second), 59)
    micro = (fraction or "0")[:6].ljust(6, "0")
    return datetime.fromisoformat(f"{day}T{hour}:{minute}:{seconds:02d}.{micro}{zone}")


def case_filter(status: str | None, case_type: str | None, filed_since: str | None) -> CaseFilter:
    if status is not None and status not in STATUSES:
        raise ApiProblem(400, "status ska vara en av: " + ", ".join(STATUSES) + ".")
    return CaseFilter(status=status, case_type=case_type or None,
                      filed_since=parse_filed_since(filed_since) if filed_since else None)


def case_summary(case: Case) -> dict:
    return {"number": case.number, "case_type": case.case_type_slug, "case_type_title": case.case_type_title,
            "schema_sha256": case.schema_sha256, "status": case.status, "version": case.version,
            "organisation_name": case.organisation_name, "filed_at": timestamp(case.created_at),
            "updated_at": timestamp(case.updated_at), "closed_at": timestamp(case.closed_at)}


def case_page(criteria: CaseFilter, after: int | None, limit: int) -> dict:
    """Oldest first, by id after the cursor: as fast on the last page as on the first."""
    query = Case.select()
    if criteria.status:
        query = query.where(Case.status == criteria.status)
    if criteria.case_type:
        query = query.where(Case.case_type_slug == criteria.case_type)
    if criteria.filed_since:
        query = query.where(Case.created_at >= criteria.filed_since)
    if after is not None:
        query = query.where(Case.id > after)
    cases = list(query.order_by(Case.id).limit(limit + 1))
    shown = cases[:limit]
    return {"items": [case_summary(case) for case in shown],
            "next_cursor": shown[-1].id if len(cases) > limit else None}


# --- one case -------------------------------------------------------------------------------------

def case_or_404(number: str) -> Case:
    case = handling.case_by_number(number)
    if case is None:
        raise ApiProblem(404, f"Det finns inget ärende med nummer {number}."[:300])
    return case


def history_json(change: StatusChange) -> dict:
    return {"from_status": change.from_status, "to_status": change.to_status,
            "at": timestamp(change.created_at), "by": change.actor.name}


def message_json(message: Message) -> dict:
    return {"id": message.id, "body": message.body, "internal": message.internal,
            "from_ombud": message.author.speaks_for_ombud, "author": message.author.name,
            "created_at": timestamp(message.created_at)}


def attachment_json(case: Case, row: Attachment) -> dict:
    """A file of the case and where to fetch it; `message_id` is null for the document's files."""
    return {"id": row.public_id, "name": row.name, "media_type": row.media_type, "size": row.size,
            "sha256": row.sha256, "message_id": row.message_id, "created_at": timestamp(row.created_at),
            "href": url_for("api.case_attachment", number=case.number, file_id=row.public_id)}


def case_detail(case: Case, token: ApiToken, *, include_internal: bool) -> dict:
    """Everything of the case, its document as filed (valid by its frozen schema, whose sha256 is
    schema_sha256). Internal notes (and their files) only to tokens allowed to read them.
    Reading is audited."""
    handling.audit(token.user, case, "api-visa")
    return {**case_summary(case), "orderer": case.orderer, "document": case.data,
            "status_history": [history_json(change) for change in handling.status_history(case)],
            "messages": [message_json(message) for message in handling.thread(case, include_internal=include_internal)],
            "attachments": [attachment_json(case, row)
                            for row in attachments.listed(case, include_internal=include_internal)]}


def attachment_or_404(case: Case, file_id: str, token: ApiToken) -> Attachment:
    """A file of this case (never another case's, whatever id is asked for); an internal
    note's file only for a write token. Fetching it is audited."""
    row = attachments.of_case(case, file_id, handler=token.scope == "write")
    if row is None:
        raise ApiProblem(404, f"Ärende {case.number} har ingen bilaga med det id:t.")
    handling.audit(token.user, case, "api-bilaga")
    return row


# --- changes --------------------------------------------------------------------------------------

def change_status(case: Case, token: ApiToken, action: str, version: int, message: str) -> Case:
    try:
        fresh = handling.change_status(case, action, token.user, version, message)
    except handling.Conflict:
        current = Case.get_by_id(case.id)
        raise ApiProblem(409, f"Ärendet har ändrats sedan version {version}; nu är det version {current.version} "
                              f"med status {current.status}. Hämta det igen och försök på nytt.",
                         kind="versionskonflikt", current_version=current.version) from None
    except handling.NotAllowed:
        raise ApiProblem(409, f"Det går inte att göra {action} med ett ärende som har status {case.status}.",
                         kind="ogiltig-statusandring", title="Otillåten statusändring") from None
    except handling.EmptyMessage as problem:
        raise ApiProblem(422, str(problem)) from None
    handling.audit(token.user, fresh, "api-status")
    return fresh


def post_message(case: Case, token: ApiToken, body: str, *, internal: bool, idempotency_key: str | None) -> Message:
    """A message as a handler writes it; with an idempotency key a repeated request returns the
    message the first one made instead of writing it twice."""
    try:
        if idempotency_key:
            message = handling.post_once(case, token.user, body, internal=internal,
                                         form_key=f"api:{token.id}:{idempotency_key}")
        else:
            message = handling.add_message(case, token.user, body, internal=internal)
    except handling.EmptyMessage as problem:
        raise ApiProblem(422, str(problem)) from None
    if message.case_id != case.id:
        raise ApiProblem(409, "Idempotensnyckeln är redan använd för ett annat ärende.", kind="idempotensnyckel-anvand")
    handling.audit(token.user, case, "api-meddelande")
    return Message.select(Message).where(Message.id == message.id).get()


def audit_pdf(case: Case, token: ApiToken) -> None:
    handling.audit(token.user, case, "api-pdf")


def audit_list(token: ApiToken) -> None:
    """A page of the list names many cases: one row for the request, tied to no single case."""
    handling.audit(token.user, None, "api-lista")


def message_exists(token: ApiToken, idempotency_key: str) -> bool:
    return Message.select().where(Message.form_key == f"api:{token.id}:{idempotency_key}").exists()
