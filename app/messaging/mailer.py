"""The mail channel of the outbox worker: delivers the OutboxMail rows app.messaging.notifications
writes, through Flask-Mail.

It owns sending with an explicit SMTP timeout and judging the outcome (sent, retry later with
backoff, or failed for good). Claiming rows under a lease and recording outcomes are shared with
the webhooks (app.messaging.outbox); the `flask outbox send` command that runs both lives in
app.messaging.worker, the development SMTP sink (`flask outbox sink`) in app.dev.smtp_sink.

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
import smtplib
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask_mail import BadHeaderError, Connection, Mail, Message

from app.messaging.outbox import (
    BATCH_LIMIT,
    Run,
    database_connection,
    default_worker_id,
    drain,
    mark_failed,
    mark_sent,
    naive_utc,
    schedule_retry,
)
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


# --- recording a failure ---------------------------------------------------------------------

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


# --- the channel -----------------------------------------------------------------------------

def deliver(run: Run, link: SmtpLink, mail: OutboxMail, sender: str) -> tuple[str, bool]:
    """Send one claimed row; returns the outcome and whether the run should go on."""
    try:
        link.send(build_message(mail, sender))
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
    """Send up to `limit` due outbox mails, one claim at a time; returns counts per outcome.

    A server-level failure (down, hung, refusing the login) ends the run after one attempt,
    so a dead server costs at most one connection attempt, and one MAIL_TIMEOUT, per run.
    """
    with app.app_context(), database_connection():
        run = Run(now=naive_utc(now or utcnow()), worker=worker_id or default_worker_id(),
                  max_attempts=int(setting(app, "MAIL_MAX_ATTEMPTS")),
                  lease=timedelta(seconds=float(setting(app, "MAIL_LEASE_SECONDS"))))
        sender = setting(app, "MAIL_DEFAULT_SENDER")
        with smtp_link(install_mail_state(app)) as link:
            return drain(OutboxMail, run, lambda mail: deliver(run, link, mail, sender), limit)


def init_app(app) -> None:
    install_mail_state(app)
