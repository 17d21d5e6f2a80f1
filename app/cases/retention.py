"""Keeping data no longer than needed (IMY): `flask --app app retention run` deletes cases closed
more than RETENTION_DAYS ago — with their messages, PDFs, bell notifications, status history and
audit rows and attached files (their stored content too, once no attachment names it) — and outbox
mails and webhook deliveries that were sent or failed that long ago. Off when RETENTION_DAYS is 0;
handlers' queue searches older than a day, drafts last saved more than DRAFT_DAYS ago and files
uploaded into forms never sent go on every run.
One case per transaction, so a failure leaves that case and the rest carry on.
"""
from __future__ import annotations

import logging
from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from app.cases import attachments, drafts
from app.cases.case_days import count_case_day
from app.cases.handling import forget_old_searches
from app.cases.statuses import CLOSED, count_status
from app.platform.extensions import db
from app.platform.models import Case, OutboxMail, OutboxRow, OutboxWebhook, utcnow

log = logging.getLogger(__name__)
retention_cli = AppGroup("retention", help="Gallring: ta bort gamla avslutade ärenden.")


def purge(days: int, now=None) -> dict:
    """Delete what is older than `days`; returns counts. Each case goes in its own transaction."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    old_cases = list(Case.select(Case.id, Case.case_type_slug, Case.created_at, Case.closed_at)
                     .where((Case.status == CLOSED) & (Case.closed_at < cutoff)))
    deleted, failed = 0, 0
    for case in old_cases:
        case_id = case.id
        try:
            with db.atomic():
                if Case.delete().where((Case.id == case_id) & (Case.status == CLOSED)).execute():
                    count_status(CLOSED, -1)
                    count_case_day(case.case_type_slug, case.created_at, case.closed_at, -1)
                    deleted += 1
        except Exception as error:  # one case that cannot go must not stop the others
            failed += 1
            log.error("Gallring: ärende-id %s kunde inte tas bort (%s)", case_id, type(error).__name__)
    files = attachments.forget_unused(now)  # the deleted cases' files went with them (cascade)
    return {"cases": deleted, "failed": failed, "mails": purge_outbox(OutboxMail, cutoff),
            "webhooks": purge_outbox(OutboxWebhook, cutoff), "files": files["contents"]}


def purge_outbox(model: type[OutboxRow], cutoff) -> int:
    """Rows the worker is done with; pending ones wait, however old."""
    return model.delete().where(model.status.in_(("sent", "failed")) & (model.created_at < cutoff)).execute()


@retention_cli.command("run")
@click.option("--days", type=int, default=None, help="Överstyr RETENTION_DAYS.")
def run_command(days: int | None) -> None:
    """Delete cases closed more than RETENTION_DAYS days ago, and old sent mails."""
    searches = forget_old_searches()  # whatever RETENTION_DAYS says: a search may hold a personnummer
    click.echo(f"Borttaget: {searches} sökningar äldre än ett dygn.")
    draft_days = current_app.config["DRAFT_DAYS"]
    if draft_days > 0:  # whatever RETENTION_DAYS says: an unfinished form is kept DRAFT_DAYS, no longer
        click.echo(f"Borttaget: {drafts.purge_expired(draft_days)} utkast äldre än {draft_days} dagar.")
    unused = attachments.forget_unused()  # whatever RETENTION_DAYS says: files of forms never sent
    click.echo(f"Borttaget: {unused['abandoned']} filer från formulär som aldrig skickades, "
               f"{unused['contents']} lagrade filinnehåll som inget ärende använder.")
    days = current_app.config["RETENTION_DAYS"] if days is None else days
    if days <= 0:
        click.echo("Gallring är avstängd (RETENTION_DAYS = 0).")
        return
    counts = purge(days)
    click.echo(f"Borttaget: {counts['cases']} ärenden, {counts['mails']} e-brev, {counts['webhooks']} webhook-leveranser; "
               f"misslyckade: {counts['failed']}.")


def init_app(app) -> None:
    app.cli.add_command(retention_cli)
