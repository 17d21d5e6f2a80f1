"""A case's history ("Statushistorik"): one row per status change and per assignment change,
written inside the transaction that makes the change, and the Swedish line each kind of row
reads as on the handler's page."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from peewee import JOIN

from app.platform.models import Case, StatusChange, User
from app.platform.prepared import Prepared, Slot, created

STATUS = "status"
ASSIGNMENT = "assignment"


def record_status(case: Case, from_status: str | None, to_status: str, actor: User, at: datetime) -> None:
    created(StatusChange, case=case, kind=STATUS, from_status=from_status, to_status=to_status,
            actor=actor, created_at=at)


def record_assignment(case: Case, assignee: User | None, actor: User, at: datetime) -> None:
    """`assignee` got the case; None: it was handed back to nobody. The status stays as it is."""
    created(StatusChange, case=case, kind=ASSIGNMENT, from_status=case.status, to_status=case.status,
            assignee=assignee, actor=actor, created_at=at)


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    text: str  # what happened, without the actor
    actor_name: str


def status_text(change: StatusChange) -> str:
    return f"{change.from_status or '–'} → {change.to_status}"


def assignment_text(change: StatusChange) -> str:
    if change.assignee_id is None:
        return "Lämnades tillbaka: ingen handläggare"
    return f"Tilldelades {change.assignee.name}"


# How each kind of row reads; a kind without a text here is never written.
TEXTS = {STATUS: status_text, ASSIGNMENT: assignment_text}


def history_rows(case: Case, kinds: tuple[str, ...] = tuple(TEXTS)) -> list[StatusChange]:
    """The case's history rows of the kinds asked for, oldest first, with the actor's and the
    assignee's names in the same query."""
    return history_query(kinds).rows(case=case.id)


@cache
def history_query(kinds: tuple[str, ...]) -> Prepared:
    def build():
        assignee = User.alias()
        return (StatusChange.select(StatusChange, User, assignee)
                .join(User, on=(StatusChange.actor == User.id), attr="actor")
                .switch(StatusChange)
                .join(assignee, JOIN.LEFT_OUTER, on=(StatusChange.assignee == assignee.id), attr="assignee")
                .where((StatusChange.case == Slot("case")) & StatusChange.kind.in_(kinds)).order_by(StatusChange.id))
    return Prepared(build)


def case_history(case: Case) -> list[HistoryLine]:
    """Every line of "Statushistorik": status and assignment changes, oldest first."""
    return [HistoryLine(row.created_at, TEXTS[row.kind](row), row.actor.name) for row in history_rows(case)]
