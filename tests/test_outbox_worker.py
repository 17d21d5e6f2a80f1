"""app.messaging.mailer against a real SMTP server (aiosmtpd on 127.0.0.1): delivery exactly once when
all is well, retries with backoff on 4xx / refused / timeout, failure at once on 5xx and bad
headers, at-least-once with the same Message-ID after a crash, one send when workers race,
and no addresses in logs or last_error (security.md N1-N3, I1, H1)."""
from __future__ import annotations

import logging
import re
import threading
import time
from datetime import timedelta, timezone
from email.utils import parsedate_to_datetime

import pytest
from aiosmtpd.controller import Controller

from app.dev import smtp_sink
from app.messaging import mailer, notifications, outbox, worker
from app.platform.extensions import db
from app.platform.models import OutboxMail, utcnow
from tests.smtp_fixtures import free_port
from tests.test_notifications import CUSTOMER_EMAIL, customer_with_case, personnummer_like

MAIL_TIMEOUT = 1
EMAIL_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


@pytest.fixture
def outbox_app(any_db_app, smtp_server):  # noqa: F811
    """The app on each backend, pointed at the test SMTP server; the worker reads config per run."""
    any_db_app.config.update(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port,
                             MAIL_TIMEOUT=MAIL_TIMEOUT)
    with any_db_app.app_context():
        yield any_db_app
    db.close()


@pytest.fixture
def sqlite_outbox_app(app, smtp_server):  # noqa: F811
    app.config.update(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port, MAIL_TIMEOUT=MAIL_TIMEOUT)
    with app.app_context():
        yield app
    db.close()


def queue(subject: str = "Nytt meddelande i ert ärende 2026-00042", recipient: str = CUSTOMER_EMAIL,
          body: str = "Hej!\n") -> OutboxMail:
    return notifications.queue_mail(recipient, subject, body)


def row(mail: OutboxMail) -> OutboxMail:
    return OutboxMail.get_by_id(mail.id)


def counts(sent=0, retry=0, failed=0) -> dict:
    return {"sent": sent, "retry": retry, "failed": failed}


def later(seconds: float):
    return utcnow() + timedelta(seconds=seconds)


# --- N1: the happy path and a server that is down ----------------------------------------------

def test_a_case_event_is_delivered_exactly_once(outbox_app, smtp_server):  # noqa: F811
    case = customer_with_case(status="Avslutat")
    notifications.notify_customer(case, "status", base_url="https://portal.example.se")
    mail = OutboxMail.get()

    assert mailer.deliver_due(outbox_app) == counts(sent=1)
    [received] = smtp_server.messages
    assert received["Message-ID"] == mail.message_id
    assert received["Subject"] == "Ert ärende 2026-00042 har fått status Avslutat"
    assert received["To"] == CUSTOMER_EMAIL
    assert received["From"] == "Kundportalen <noreply@kundportalen.local>"
    assert received["Auto-Submitted"] == "auto-generated"
    body = received.get_content()
    assert "https://portal.example.se/arenden/2026-00042" in body and "färdigbehandlat" in body
    assert personnummer_like(received["Subject"] + body) == []
    sent = row(mail)
    assert (sent.status, sent.attempts, sent.lease_until, sent.last_error) == ("sent", 1, None, None)
    assert sent.sent_at is not None

    assert mailer.deliver_due(outbox_app, now=later(7200)) == counts()
    assert len(smtp_server.messages) == 1


def test_the_date_header_is_the_time_the_mail_was_written(sqlite_outbox_app, smtp_server):  # noqa: F811
    mail = queue()
    mailer.deliver_due(sqlite_outbox_app, now=later(3600))
    stamped = parsedate_to_datetime(smtp_server.messages[0]["Date"])
    assert abs(stamped - mail.created_at.replace(tzinfo=timezone.utc)) < timedelta(seconds=1)


def test_smtp_down_then_back_sends_exactly_once(outbox_app, smtp_server):  # noqa: F811
    mail = queue()
    smtp_server.stop()
    started, now = time.monotonic(), utcnow()
    assert mailer.deliver_due(outbox_app, now=now) == counts(retry=1)
    assert time.monotonic() - started < 2
    waiting = row(mail)
    assert (waiting.status, waiting.attempts) == ("pending", 1)
    assert waiting.next_attempt_at > now and waiting.lease_until is None
    assert waiting.last_error == "ConnectionRefusedError"

    smtp_server.start()
    assert mailer.deliver_due(outbox_app, now=now + timedelta(seconds=5)) == counts()  # not due yet
    assert mailer.deliver_due(outbox_app, now=now + timedelta(seconds=31)) == counts(sent=1)
    assert mailer.deliver_due(outbox_app, now=now + timedelta(hours=2)) == counts()
    assert len(smtp_server.messages) == 1
    assert row(mail).status == "sent" and row(mail).attempts == 2


def test_a_dead_server_costs_one_attempt_per_run(sqlite_outbox_app, smtp_server):  # noqa: F811
    mails = [queue() for _ in range(3)]
    smtp_server.stop()
    assert mailer.deliver_due(sqlite_outbox_app) == counts(retry=1)
    assert sorted(row(mail).attempts for mail in mails) == [0, 0, 1]


def test_retries_back_off_and_give_up_after_max_attempts(sqlite_outbox_app, smtp_server):  # noqa: F811
    sqlite_outbox_app.config["MAIL_MAX_ATTEMPTS"] = 4
    mail = queue()
    smtp_server.stop()
    now, delays = utcnow(), []
    for expected in ("retry", "retry", "retry"):
        assert mailer.deliver_due(sqlite_outbox_app, now=now)[expected] == 1
        delays.append((row(mail).next_attempt_at - now).total_seconds())
        now = row(mail).next_attempt_at
    assert delays == [30, 60, 120]
    assert mailer.deliver_due(sqlite_outbox_app, now=now) == counts(failed=1)
    assert (row(mail).status, row(mail).attempts) == ("failed", 4)
    assert mailer.deliver_due(sqlite_outbox_app, now=now + timedelta(days=1)) == counts()


def test_backoff_is_capped_at_an_hour():
    assert [outbox.retry_delay(n).total_seconds() for n in (1, 2, 3, 7, 8, 20)] == [30, 60, 120, 1920, 3600, 3600]


# --- N2: what the server answers ------------------------------------------------------------

def test_451_then_250_is_sent_on_the_second_attempt(outbox_app, smtp_server):  # noqa: F811
    smtp_server.set_mode("451-then-250")
    mail = queue()
    assert mailer.deliver_due(outbox_app) == counts(retry=1)
    assert (row(mail).status, row(mail).last_error) == ("pending", "SMTPDataError 451")
    assert mailer.deliver_due(outbox_app, now=later(31)) == counts(sent=1)
    assert (row(mail).status, row(mail).attempts) == ("sent", 2)
    assert smtp_server.handler.data_calls == 2 and len(smtp_server.messages) == 1


@pytest.mark.parametrize("mode, error", [("550", "SMTPDataError 550"), ("550-rcpt", "SMTPRecipientsRefused 550")])
def test_550_fails_at_once(outbox_app, smtp_server, mode, error):  # noqa: F811
    smtp_server.set_mode(mode)
    mail = queue()
    assert mailer.deliver_due(outbox_app) == counts(failed=1)
    assert (row(mail).status, row(mail).attempts, row(mail).last_error) == ("failed", 1, error)
    smtp_server.set_mode("accept")
    assert mailer.deliver_due(outbox_app, now=later(86400)) == counts()
    assert smtp_server.messages == []


def test_a_refused_mail_does_not_stop_the_next_one(sqlite_outbox_app, smtp_server):  # noqa: F811
    smtp_server.set_mode("550-rcpt")
    first = queue()
    assert mailer.deliver_due(sqlite_outbox_app, limit=1) == counts(failed=1)
    smtp_server.set_mode("accept")
    second = queue()
    assert mailer.deliver_due(sqlite_outbox_app) == counts(sent=1)
    assert (row(first).status, row(second).status) == ("failed", "sent")


def test_a_hanging_server_times_out_and_the_mail_is_retried(outbox_app, smtp_server):  # noqa: F811
    smtp_server.set_mode("hang")
    mail = queue()
    started = time.monotonic()
    assert mailer.deliver_due(outbox_app) == counts(retry=1)
    assert time.monotonic() - started < MAIL_TIMEOUT + 2
    waiting = row(mail)
    assert (waiting.status, waiting.attempts) == ("pending", 1)
    assert waiting.last_error == "SMTPServerDisconnected (TimeoutError)"

    smtp_server.set_mode("accept")
    smtp_server.release()
    assert mailer.deliver_due(outbox_app, now=later(31)) == counts(sent=1)
    assert len(smtp_server.messages) == 1


def test_the_timeout_reaches_smtplib(sqlite_outbox_app, monkeypatch):
    seen = {}

    class FakeSMTP:
        def __init__(self, host, port, timeout):
            seen.update(host=host, port=port, timeout=timeout)

    monkeypatch.setitem(mailer.TimeoutConnection.SMTP_CLASSES, False, FakeSMTP)
    sqlite_outbox_app.config["MAIL_TIMEOUT"] = 7
    connection = mailer.TimeoutConnection(mailer.mail_state(sqlite_outbox_app))
    connection.configure_host()
    assert seen["timeout"] == 7.0


@pytest.mark.parametrize("field, value", [
    ("subject", "Hej\r\n Bcc: angripare@evil.test"),   # folded: Flask-Mail alone would let it through
    ("subject", "Hej\nBcc: angripare@evil.test"),
    ("recipient", "kund@example.se\r\nBcc: angripare@evil.test"),
    ("recipient", "kund@example.se\n"),
])
def test_a_line_break_in_a_header_fails_without_sending(outbox_app, smtp_server, field, value):  # noqa: F811
    mail = queue(**{field: value})
    assert mailer.deliver_due(outbox_app) == counts(failed=1)
    assert (row(mail).status, row(mail).last_error) == ("failed", "BadHeaderError")
    assert smtp_server.handler.data_calls == 0 and smtp_server.messages == []


def test_a_recipient_that_is_no_address_fails_without_sending(sqlite_outbox_app, smtp_server):  # noqa: F811
    mail = queue(recipient="kund@example.se, annan@example.se")
    assert mailer.deliver_due(sqlite_outbox_app) == counts(failed=1)
    assert row(mail).last_error == "InvalidRecipient" and smtp_server.messages == []


# --- N3: crashes and races ---------------------------------------------------------------

def test_a_crash_after_sending_redelivers_with_the_same_message_id(outbox_app, smtp_server, monkeypatch):  # noqa: F811
    mail = queue()
    now = utcnow()

    def crash(*args, **kwargs):
        raise RuntimeError("the worker died between send and mark-sent")

    monkeypatch.setattr(mailer, "mark_sent", crash)
    with pytest.raises(RuntimeError):
        mailer.deliver_due(outbox_app, now=now)
    leased = row(mail)
    assert leased.status == "sending" and leased.lease_until > now
    assert len(smtp_server.messages) == 1
    monkeypatch.undo()

    assert mailer.deliver_due(outbox_app, now=now + timedelta(seconds=60)) == counts()  # lease holds
    after_lease = leased.lease_until + timedelta(seconds=1)
    assert mailer.deliver_due(outbox_app, now=after_lease) == counts(sent=1)
    first, second = smtp_server.messages
    assert first["Message-ID"] == second["Message-ID"] == mail.message_id
    assert first["Date"] == second["Date"]
    assert (row(mail).status, row(mail).attempts) == ("sent", 2)


def test_a_lease_that_died_on_the_last_attempt_is_failed(sqlite_outbox_app, smtp_server):  # noqa: F811
    mail = queue()
    OutboxMail.update(status="sending", attempts=10, lease_until=utcnow()).where(OutboxMail.id == mail.id).execute()
    assert mailer.deliver_due(sqlite_outbox_app, now=later(1)) == counts(failed=1)
    assert (row(mail).status, row(mail).last_error) == ("failed", "attempts exhausted")
    assert smtp_server.messages == []


def test_a_stale_worker_cannot_overwrite_the_next_claim(sqlite_outbox_app):
    queue()
    now, lease = utcnow(), timedelta(seconds=300)
    stale = outbox.claim_next(OutboxMail, outbox.Run(now, "stale", 10, lease))
    fresh = outbox.claim_next(OutboxMail, outbox.Run(now + timedelta(seconds=301), "fresh", 10, lease))
    assert (stale.id, stale.attempts, fresh.attempts) == (fresh.id, 1, 2)
    outbox.schedule_retry(stale, now, "SMTPServerDisconnected")  # the stale worker finally gives up
    assert row(fresh).status == "sending"
    outbox.mark_sent(fresh, now)
    outbox.mark_failed(stale, "SMTPServerDisconnected")
    assert row(fresh).status == "sent"


def race(app, workers: int) -> list[dict]:
    barrier, results, errors = threading.Barrier(workers), [], []

    def work(number):
        barrier.wait()
        try:
            results.append(mailer.deliver_due(app, worker_id=f"test-{number}"))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(number,)) for number in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == [] and len(results) == workers
    return results


def test_two_workers_on_one_row_send_once(outbox_app, smtp_server):  # noqa: F811
    mail = queue()
    results = race(outbox_app, 2)
    assert sorted(result["sent"] for result in results) == [0, 1]
    assert len(smtp_server.messages) == 1 and row(mail).status == "sent"


def test_racing_workers_send_every_row_once(outbox_app, smtp_server):  # noqa: F811
    mails = [queue(subject=f"Ärende {number}") for number in range(12)]
    results = race(outbox_app, 4)
    assert sum(result["sent"] for result in results) == 12
    received = [message["Message-ID"] for message in smtp_server.messages]
    assert sorted(received) == sorted(mail.message_id for mail in mails)


# --- I1: nothing personal in logs or last_error ---------------------------------------------

def test_worker_logs_and_errors_hold_no_addresses(sqlite_outbox_app, smtp_server, caplog):  # noqa: F811
    caplog.set_level(logging.DEBUG)
    queue()
    mailer.deliver_due(sqlite_outbox_app)                           # sent
    smtp_server.set_mode("550-rcpt")
    queue()
    mailer.deliver_due(sqlite_outbox_app)                           # refused, the reply names the address
    queue(recipient="kund@example.se\r\nBcc: angripare@evil.test")
    mailer.deliver_due(sqlite_outbox_app)                           # bad header
    smtp_server.stop()
    queue()
    mailer.deliver_due(sqlite_outbox_app)                           # server down
    ours = [record for record in caplog.records if record.name.startswith("app")]
    assert {record.levelname for record in ours} >= {"INFO", "WARNING", "ERROR"}
    for record in ours:
        message = record.getMessage()
        assert not EMAIL_ADDRESS.search(message), message
        assert personnummer_like(message) == []
    for mail in OutboxMail.select().where(OutboxMail.last_error.is_null(False)):
        assert "@" not in mail.last_error


# --- the commands -----------------------------------------------------------------------------

def test_flask_outbox_send(sqlite_outbox_app, smtp_server):  # noqa: F811
    queue()
    result = sqlite_outbox_app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert "e-post: sent 1" in result.output and len(smtp_server.messages) == 1
    assert "webhooks: sent 0, retry 0, failed 0" in result.output


def test_flask_outbox_commands_are_registered(sqlite_outbox_app):
    runner = sqlite_outbox_app.test_cli_runner()
    assert "--loop" in runner.invoke(args=["outbox", "send", "--help"]).output
    assert "--port" in runner.invoke(args=["outbox", "sink", "--help"]).output


def test_the_sink_prints_headers_and_body(sqlite_outbox_app, capsys):
    sink = Controller(smtp_sink.PrintingHandler(), hostname="127.0.0.1", port=free_port())
    sink.start()
    sqlite_outbox_app.config["MAIL_PORT"] = sink.port
    mail = queue(body="Hej!\nLänk: https://portal.example.se/arenden/2026-00042\n")
    try:
        assert mailer.deliver_due(sqlite_outbox_app) == counts(sent=1)
    finally:
        sink.stop()
    printed = capsys.readouterr().out
    assert f"Message-ID: {mail.message_id}" in printed
    assert "Subject: Nytt meddelande i ert ärende 2026-00042" in printed
    assert "Länk: https://portal.example.se/arenden/2026-00042" in printed


def test_send_loop_keeps_going_and_logs_a_failed_run_by_class_only(sqlite_outbox_app, monkeypatch, caplog):
    runs, naps = [], []

    def broken_run(app):
        runs.append(app)
        raise RuntimeError("kund@example.se 191212121212")  # exception texts may carry personal data

    def nap(seconds):
        naps.append(seconds)
        if len(naps) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(mailer, "deliver_due", broken_run)
    monkeypatch.setattr(worker.time, "sleep", nap)
    result = sqlite_outbox_app.test_cli_runner().invoke(args=["outbox", "send", "--loop", "--interval", "3"])
    assert len(runs) == 2 and naps == [3.0, 3.0]
    assert "RuntimeError" in caplog.text
    assert "@" not in caplog.text and "191212121212" not in caplog.text
    assert result.exit_code != 0  # Ctrl-C ends it


# --- L2: a rolled-back event leaves nothing to send -------------------------------------------

def test_a_rolled_back_event_sends_nothing(outbox_app, smtp_server):  # noqa: F811
    case = customer_with_case()
    with pytest.raises(RuntimeError):
        with db.atomic():
            notifications.notify_customer(case, "message", base_url="https://portal.example.se")
            raise RuntimeError("the message insert failed")
    assert mailer.deliver_due(outbox_app) == counts()
    assert smtp_server.messages == [] and OutboxMail.select().count() == 0
