"""The outbox worker: delivers the OutboxMail rows app.messaging.notifications writes, through Flask-Mail.

It owns claiming due rows (a lease, so two workers never send one row at the same time),
sending with an explicit SMTP timeout, judging the outcome (sent, retry later with backoff,
or failed for good), and the `flask outbox send` command (the worker). The development SMTP
sink (`flask outbox sink`) lives in app.dev.smtp_sink.

Delivery is at-least-once: a worker that dies after the SMTP server took a mail but before
the row says "sent" leaves its lease behind; when the lease expires the row is sent again
with the same Message-ID, so the duplicate is recognisable. Logs and last_error carry row
ids and SMTP reply classes only, never an address or any other personal data.

Config keys, read on every run (defaults in SETTINGS): MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS,
MAIL_USE_SSL, MAIL_USERNAME, MAIL_PASSWORD, MAIL_DEFAULT_SENDER, MAIL_TIMEOUT,
MAIL_MAX_ATTEMPTS, MAIL_LEASE_SECONDS.
"""
from __future__ import annotations

import logging
import os
import smtplib
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import click
from flask import current_app
from flask.cli import AppGroup
from flask_mail import BadHeaderError, Connection, Mail, Message
from peewee import PostgresqlDatabase, SqliteDatabase

from app.platform.extensions import db
from app.platform.models import OutboxMail, utcnow
from casetypes.formats import is_email

log = logging.getLogger(__name__)

SETTINGS = {
    "MAIL_SERVER": "127.0.0.1",
    "MAIL_PORT": 1025,
    "MAIL_USE_TLS": False,
    "MAIL_USE_SSL": False,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_DEFAULT_SENDER": "Kundportalen <noreply@kundportalen.local>",
    "MAIL_TIMEOUT": 10,          # seconds for each SMTP socket operation
    "MAIL_MAX_ATTEMPTS": 10,     # delivery attempts before a row is failed
    "MAIL_LEASE_SECONDS": 300,   # how long a claimed row is ours; must outlast one send
}
RETRY_BASE_SECONDS = 30
RETRY_CAP_SECONDS = 3600
BATCH_LIMIT = 50      # rows one run sends at most
CLAIM_CANDIDATES = 5  # due rows a SQLite claim tries per SELECT
OUTCOMES = ("sent", "retry", "failed")


def setting(app, key: str):
    value = app.config.get(key)
    return SETTINGS[key] if value is None else value


# --- SMTP ---------------------------------------------------------------------------------

class InvalidRecipient(Exception):
    """The stored recipient is not one plain address (checked again before every send)."""


class TimeoutConnection(Connection):
    """Flask-Mail's Connection with the socket timeout Flask-Mail 0.10 never passes to
    smtplib (security.md finding 10), so a hung server costs MAIL_TIMEOUT, not a worker.
    The SMTP debug dialogue is never switched on: it would print addresses to stderr."""

    SMTP_CLASSES = {False: smtplib.SMTP, True: smtplib.SMTP_SSL}

    def configure_host(self) -> smtplib.SMTP:
        smtp_class = self.SMTP_CLASSES[bool(self.mail.use_ssl)]
        host = smtp_class(self.mail.server, self.mail.port, timeout=self.mail.timeout)
        try:
            if self.mail.use_tls:
                host.starttls()
            if self.mail.username and self.mail.password:
                host.login(self.mail.username, self.mail.password)
        except BaseException:
            host.close()
            raise
        return host


def mail_state(app):
    """Flask-Mail's settings object built from our config and defaults, plus the timeout.
    Sending is never suppressed here: the outbox is the only sender, and tests use a real
    SMTP server rather than Flask-Mail's TESTING switch."""
    config = {key: setting(app, key) for key in SETTINGS}
    state = Mail().init_mail({**config, "MAIL_DEBUG": 0, "MAIL_SUPPRESS_SEND": False})
    state.timeout = float(config["MAIL_TIMEOUT"])
    return state


def install_mail_state(app):
    """Read the mail config afresh and put it where Flask-Mail's Message looks for it
    (app.extensions["mail"]), so each run sees the config as it is now."""
    app.extensions["mail"] = state = mail_state(app)
    return state


class SmtpLink:
    """One SMTP connection for a worker run: opened on first use, dropped after any failure
    (closed without QUIT, which a hung server would make us wait for again)."""

    def __init__(self, state):
        self.state = state
        self.connection: TimeoutConnection | None = None

    def send(self, message: Message) -> None:
        if self.connection is None:
            connection = TimeoutConnection(self.state)
            connection.host = connection.configure_host()
            self.connection = connection
        self.connection.send(message)

    def drop(self) -> None:
        if self.connection is not None:
            self.connection.host.close()
            self.connection = None

    def quit(self) -> None:
        if self.connection is not None:
            try:
                self.connection.host.quit()
            except (smtplib.SMTPException, OSError):
                pass  # the mails are already sent; a rude goodbye changes nothing
            self.drop()


@contextmanager
def smtp_link(state):
    link = SmtpLink(state)
    try:
        yield link
    except BaseException:
        link.drop()
        raise
    link.quit()


def has_line_break(text: str) -> bool:
    return "\r" in text or "\n" in text


def build_message(mail: OutboxMail, sender: str) -> Message:
    """The e-mail for a row, with the row's Message-ID and its creation time as Date, so a
    redelivery is the same mail. Stricter than Flask-Mail, which lets a folded subject
    ("a\\r\\n b") through: no line break at all in subject, recipient or Message-ID."""
    if any(has_line_break(value) for value in (mail.subject, mail.recipient, mail.message_id)):
        raise BadHeaderError()
    if not is_email(mail.recipient):
        raise InvalidRecipient()
    message = Message(subject=mail.subject, recipients=[mail.recipient], body=mail.body,
                      sender=sender, date=mail.created_at.replace(tzinfo=timezone.utc).timestamp(),
                      extra_headers={"Auto-Submitted": "auto-generated"})  # RFC 3834: no auto-replies
    message.msgId = mail.message_id
    return message


# --- judging a failure --------------------------------------------------------------------

@dataclass(frozen=True)
class Failure:
    permanent: bool     # failed at once, no retry
    server_level: bool  # the server, not this mail: stop this run, the next mails would fail too
    label: str          # for last_error and the log: exception class and SMTP code only


REPLY_CARRYING = (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused)


def reply_code(exc: smtplib.SMTPException) -> int:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return next(iter(exc.recipients.values()))[0]  # one recipient per mail
    return exc.smtp_code


def error_label(exc: BaseException) -> str:
    """Class name, SMTP code and the network cause, never str(exc): smtplib puts addresses
    in its exception messages."""
    label = type(exc).__name__
    if isinstance(exc, REPLY_CARRYING):
        label += f" {reply_code(exc)}"
    if isinstance(exc.__context__, OSError):  # e.g. the TimeoutError behind SMTPServerDisconnected
        label += f" ({type(exc.__context__).__name__})"
    return label


def refused_here(exc) -> Failure:
    return Failure(permanent=True, server_level=False, label=error_label(exc))


def judged_by_reply(exc) -> Failure:
    """The server answered about this mail: 5xx is final, 4xx (or anything odd) is worth a retry."""
    return Failure(permanent=500 <= reply_code(exc) < 600, server_level=False, label=error_label(exc))


def server_trouble(exc) -> Failure:
    """Refused connection, timeout, disconnect, greeting/login/TLS problems: nothing is wrong
    with the mail, so it is retried, even on a 5xx greeting or a failed login."""
    return Failure(permanent=False, server_level=True, label=error_label(exc))


# First match wins, so the narrower SMTP exceptions come before SMTPException.
FAILURE_KINDS = (
    ((BadHeaderError, InvalidRecipient), refused_here),
    ((smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError), judged_by_reply),
    ((smtplib.SMTPException, OSError), server_trouble),
)


def judge(exc: BaseException) -> Failure | None:
    """None for anything else: a bug crashes the run and the lease brings the row back."""
    return next((verdict(exc) for kinds, verdict in FAILURE_KINDS if isinstance(exc, kinds)), None)


# --- claiming -----------------------------------------------------------------------------

def due(now: datetime, max_attempts: int):
    waiting = (OutboxMail.status == "pending") & (OutboxMail.next_attempt_at <= now)
    abandoned = ((OutboxMail.status == "sending") & (OutboxMail.lease_until < now)
                 & (OutboxMail.attempts < max_attempts))
    return waiting | abandoned


def oldest_first(query):
    return query.order_by(OutboxMail.next_attempt_at, OutboxMail.id)


def take(mail_id: int, now: datetime, lease_until: datetime, max_attempts: int) -> bool:
    """The claim itself: one conditional UPDATE, so of two racing workers only one changes the
    row. attempts counts claims, and doubles as the fencing token of this lease."""
    return OutboxMail.update(status="sending", lease_until=lease_until,
                             attempts=OutboxMail.attempts + 1).where(
        (OutboxMail.id == mail_id) & due(now, max_attempts)).execute() == 1


def claim_with_skip_locked(now, lease_until, max_attempts) -> int | None:
    """PostgreSQL: lock one due row, skipping rows another worker holds, in a short transaction."""
    with db.atomic():
        row = oldest_first(OutboxMail.select(OutboxMail.id).where(due(now, max_attempts))) \
            .limit(1).for_update(skip_locked=True).first()
        if row is None:
            return None
        take(row.id, now, lease_until, max_attempts)
        return row.id


def claim_by_conditional_update(now, lease_until, max_attempts) -> int | None:
    """SQLite has no row locks: try due rows in turn; the rowcount says whether we won one."""
    # list(): the SELECT must be finished before the UPDATE. A still-open SELECT keeps a read
    # transaction, and upgrading it to a write after another worker wrote fails at once with
    # "database is locked" instead of waiting out the busy timeout.
    while True:
        candidates = [row.id for row in oldest_first(OutboxMail.select(OutboxMail.id).where(due(now, max_attempts)))
                      .limit(CLAIM_CANDIDATES)]
        if not candidates:
            return None
        won = next((mail_id for mail_id in candidates if take(mail_id, now, lease_until, max_attempts)), None)
        if won is not None:
            return won
        # Other workers took all of these; every lost row is gone from the next SELECT.


CLAIMERS = {
    PostgresqlDatabase: claim_with_skip_locked,
    SqliteDatabase: claim_by_conditional_update,
}


def claim_next(now: datetime, lease: timedelta, max_attempts: int) -> OutboxMail | None:
    claim = next(claim for kind, claim in CLAIMERS.items() if isinstance(db.obj, kind))
    mail_id = claim(now, now + lease, max_attempts)
    return None if mail_id is None else OutboxMail.get_by_id(mail_id)


def fail_exhausted(now: datetime, max_attempts: int) -> int:
    """Rows whose last allowed attempt died with its worker are not claimed again."""
    return OutboxMail.update(status="failed", lease_until=None, last_error="attempts exhausted").where(
        (OutboxMail.status == "sending") & (OutboxMail.lease_until < now)
        & (OutboxMail.attempts >= max_attempts)).execute()


# --- recording the outcome ------------------------------------------------------------------

def still_ours(mail: OutboxMail):
    """A worker whose lease expired must not overwrite what the next claimant recorded."""
    return ((OutboxMail.id == mail.id) & (OutboxMail.status == "sending")
            & (OutboxMail.attempts == mail.attempts))


def mark_sent(mail: OutboxMail, now: datetime) -> None:
    OutboxMail.update(status="sent", sent_at=now, lease_until=None, last_error=None) \
        .where(still_ours(mail)).execute()


def mark_failed(mail: OutboxMail, label: str) -> None:
    OutboxMail.update(status="failed", lease_until=None, last_error=label).where(still_ours(mail)).execute()


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), RETRY_CAP_SECONDS))


def schedule_retry(mail: OutboxMail, now: datetime, label: str) -> timedelta:
    delay = retry_delay(mail.attempts)
    OutboxMail.update(status="pending", lease_until=None, last_error=label, next_attempt_at=now + delay) \
        .where(still_ours(mail)).execute()
    return delay


def record_failure(mail: OutboxMail, failure: Failure, now: datetime, max_attempts: int, worker: str) -> str:
    if failure.permanent or mail.attempts >= max_attempts:
        mark_failed(mail, failure.label)
        log.error("Utkorgen: e-brev %s gav upp efter %s försök (%s) [%s]",
                  mail.id, mail.attempts, failure.label, worker)
        return "failed"
    delay = schedule_retry(mail, now, failure.label)
    log.warning("Utkorgen: e-brev %s inte skickat (%s), försök %s, nytt försök om %s s [%s]",
                mail.id, failure.label, mail.attempts, int(delay.total_seconds()), worker)
    return "retry"


# --- the worker -----------------------------------------------------------------------------

@dataclass
class Run:
    now: datetime
    worker: str
    max_attempts: int
    lease: timedelta
    sender: str


def deliver(run: Run, link: SmtpLink, mail: OutboxMail) -> tuple[str, bool]:
    """Send one claimed row; returns the outcome and whether the run should go on."""
    try:
        link.send(build_message(mail, run.sender))
    except Exception as exc:
        failure = judge(exc)
        if failure is None:
            raise
        link.drop()
        return record_failure(mail, failure, run.now, run.max_attempts, run.worker), not failure.server_level
    # A crash from here until mark_sent leaves the lease: the row is sent again later,
    # with the same Message-ID.
    mark_sent(mail, run.now)
    log.info("Utkorgen: e-brev %s skickat, försök %s [%s]", mail.id, mail.attempts, run.worker)
    return "sent", True


def deliver_due(app, *, now: datetime | None = None, limit: int = BATCH_LIMIT, worker_id: str | None = None) -> dict:
    """Send up to `limit` due outbox rows, one claim at a time; returns counts per outcome.

    A row is due when pending and next_attempt_at <= now, or sending with an expired lease.
    A server-level failure (down, hung, refusing the login) ends the run after one attempt,
    so a dead server costs at most one connection attempt, and one MAIL_TIMEOUT, per run.
    """
    counts = dict.fromkeys(OUTCOMES, 0)
    with app.app_context(), database_connection():
        run = Run(now=naive_utc(now or utcnow()), worker=worker_id or default_worker_id(),
                  max_attempts=int(setting(app, "MAIL_MAX_ATTEMPTS")),
                  lease=timedelta(seconds=float(setting(app, "MAIL_LEASE_SECONDS"))),
                  sender=setting(app, "MAIL_DEFAULT_SENDER"))
        counts["failed"] += fail_exhausted(run.now, run.max_attempts)
        with smtp_link(install_mail_state(app)) as link:
            for _ in range(limit):
                mail = claim_next(run.now, run.lease, run.max_attempts)
                if mail is None:
                    break
                outcome, go_on = deliver(run, link, mail)
                counts[outcome] += 1
                if not go_on:
                    break
    return counts


@contextmanager
def database_connection():
    """Use the caller's connection if one is open (a test, a request); else open our own."""
    opened_here = db.is_closed()
    if opened_here:
        db.connect()
    try:
        yield
    finally:
        if opened_here:
            db.close()


def naive_utc(moment: datetime) -> datetime:
    """The models store naive UTC; an aware `now` is converted rather than compared wrongly."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


def default_worker_id() -> str:
    return f"pid {os.getpid()} tråd {threading.get_ident()}"


# --- flask outbox ---------------------------------------------------------------------------

outbox_cli = AppGroup("outbox", help="E-postutkorgen: skicka väntande e-brev.")


def summary(counts: dict) -> str:
    return ", ".join(f"{name} {counts[name]}" for name in OUTCOMES)


def loop_once(app) -> dict:
    """One run of `send --loop`: a failing run (database down, a bug) is logged by class
    name only, since exception texts may carry personal data, and the loop goes on."""
    try:
        return deliver_due(app)
    except Exception as exc:
        log.error("Utkorgen: körningen avbröts (%s)", type(exc).__name__)
        return dict.fromkeys(OUTCOMES, 0)


@outbox_cli.command("send")
@click.option("--loop", "keep_going", is_flag=True, help="Fortsätt tills du avbryter (Ctrl-C).")
@click.option("--interval", type=click.FloatRange(min=0.1), default=10.0, show_default=True,
              help="Sekunder mellan körningar med --loop.")
def send_command(keep_going: bool, interval: float) -> None:
    """Skicka de e-brev i utkorgen som står på tur."""
    app = current_app._get_current_object()
    if not keep_going:
        click.echo(summary(deliver_due(app)))
        return
    click.echo(f"Utkorgen skickas var {interval:g}:e sekund; avsluta med Ctrl-C.")
    while True:
        counts = loop_once(app)
        if any(counts.values()):
            click.echo(summary(counts))
        if sum(counts.values()) < BATCH_LIMIT:  # a full batch means more may be waiting: go on at once
            time.sleep(interval)


def init_app(app) -> None:
    install_mail_state(app)
    app.cli.add_command(outbox_cli)
