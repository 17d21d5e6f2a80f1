"""app.messaging.webhooks against a real receiver on a loopback port (tests/webhook_fixtures.py),
which verifies every signature with the standardwebhooks library and deduplicates by webhook-id:
events from the portal's own pages, a retry after a 500, each event once across two racing
workers and across a worker process killed after its POST, SSRF refusals (at add and at
delivery), no redirects, short timeouts, and the `flask webhooks` commands."""
from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from app.cases.retention import purge
from app.messaging import mailer, webhooks, worker
from app.platform.extensions import db
from app.platform.models import OutboxWebhook, WebhookSubscription, utcnow
from tests.api_helpers import bearer, create_token
from tests.bankid_fixtures import make_pki
from tests.login_helpers import portal_app
from tests.test_handling import CANARY, change, file_case, reply
from tests.test_notifications import make_case, make_user, personnummer_like
from tests.webhook_fixtures import Answer, WebhookReceiver

LOOPBACK = ["127.0.0.0/8", "::1/128"]
ALL_EVENTS = list(webhooks.EVENT_TYPES)
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def hook_app(any_db_app):
    """The app on each backend, with loopback receivers allowed (production allows none)."""
    any_db_app.config.update(WEBHOOK_ALLOWED_NETWORKS=LOOPBACK, WEBHOOK_READ_TIMEOUT=1.0)
    with any_db_app.app_context():
        yield any_db_app
    db.close()


@pytest.fixture
def sqlite_hook_app(app):
    app.config.update(WEBHOOK_ALLOWED_NETWORKS=LOOPBACK, WEBHOOK_READ_TIMEOUT=1.0)
    with app.app_context():
        yield app
    db.close()


def subscribe(app, receiver, events=ALL_EVENTS) -> WebhookSubscription:
    subscription, receiver.secret = webhooks.add_subscription(receiver.url, events, app)
    return subscription


def filed_events(count: int) -> list[OutboxWebhook]:
    owner = make_user("191212121212", "Tolvan Tolvansson")
    for number in range(count):
        webhooks.case_filed(make_case(owner, number=f"2026-{number + 1:05d}"))
    return list(OutboxWebhook.select().order_by(OutboxWebhook.id))


def row(delivery: OutboxWebhook) -> OutboxWebhook:
    return OutboxWebhook.get_by_id(delivery.id)


def counts(sent=0, retry=0, failed=0) -> dict:
    return {"sent": sent, "retry": retry, "failed": failed}


# --- the events, from the portal's own pages ---------------------------------------------------

@pytest.fixture
def portal(database_url, simulator_url):
    return portal_app(database_url, simulator_url, webhook_allowed_networks=LOOPBACK)


def test_a_case_s_life_reaches_the_receiver_signed_and_without_personal_data(portal, customer, handler,
                                                                             webhook_receiver):
    with portal.app_context(), db.connection_context():
        subscribe(portal, webhook_receiver)
    number = file_case(customer)
    assert reply(customer, f"/arenden/{number}", "Fråga från kunden").status_code == 303
    assert reply(handler, f"/handlaggare/arenden/{number}", CANARY, internal=True).status_code == 303
    assert reply(handler, f"/handlaggare/arenden/{number}", "Svar från handläggaren").status_code == 303
    assert change(handler, number, "close", "Ärendet är klart.").status_code == 303

    assert webhooks.deliver_due(portal) == counts(sent=5)
    received = webhook_receiver.deliveries
    assert all(delivery.verified for delivery in received)
    assert [(d.payload["type"], d.payload["data"].get("author_role")) for d in received] == [
        ("case.filed", None), ("message.created", "customer"), ("message.created", "handler"),
        ("message.created", "handler"), ("case.status_changed", None)]  # the internal note is not sent
    filed, _, _, closing, closed = (delivery.payload for delivery in received)
    assert filed["data"] == {"case_number": number, "case_type": "bestallning-av-siths-kort", "status": "Inskickat"}
    assert closed["data"] == {"case_number": number, "case_type": "bestallning-av-siths-kort",
                              "status": "Avslutat", "previous_status": "Inskickat"}
    assert isinstance(closing["data"]["message_id"], int) and closed["timestamp"].endswith("Z")
    everything = b"".join(delivery.body for delivery in received).decode()
    assert personnummer_like(everything) == []
    for secret_text in (CANARY, "Fråga från kunden", "Anna Åkesson", "tolvan@example.se", "Region Uppland"):
        assert secret_text not in everything
    assert {d.path for d in received} == {"/hooks/kundportalen?kanal=test"}
    assert len({d.webhook_id for d in received}) == 5


def test_a_receiver_follows_an_event_to_the_case_through_the_api(portal, customer, webhook_receiver):
    """What the payload leaves out, the receiver fetches with its token; a message it posts
    through the API comes back as message.created from "api", so it can skip its own."""
    with portal.app_context(), db.connection_context():
        subscribe(portal, webhook_receiver)
    number = file_case(customer)
    token = create_token(portal, "Ärendesystemet", "write")
    assert webhooks.deliver_due(portal) == counts(sent=1)
    [filed] = webhook_receiver.processed.values()
    client = portal.test_client()
    fetched = client.get(f"/api/v1/cases/{filed['data']['case_number']}", headers=bearer(token)).get_json()
    assert fetched["number"] == number and fetched["document"]["personer"][0]["personnummer"] == "191212121212"

    posted = client.post(f"/api/v1/cases/{number}/messages", headers=bearer(token), json={"body": "Korten är beställda."})
    assert posted.status_code == 201
    assert webhooks.deliver_due(portal) == counts(sent=1)
    *_, message = webhook_receiver.processed.values()
    assert message["data"] == {"case_number": number, "message_id": posted.get_json()["id"], "author_role": "api"}


def test_a_rolled_back_event_sends_nothing(sqlite_hook_app, webhook_receiver):
    subscribe(sqlite_hook_app, webhook_receiver)
    case = make_case(make_user("191212121212"))
    with pytest.raises(RuntimeError), db.atomic():
        webhooks.case_filed(case)
        raise RuntimeError("the filing failed after the event")
    assert OutboxWebhook.select().count() == 0
    assert webhooks.deliver_due(sqlite_hook_app) == counts() and webhook_receiver.deliveries == []


def test_only_the_events_a_subscription_asked_for(sqlite_hook_app, webhook_receiver):
    subscribe(sqlite_hook_app, webhook_receiver, events=["case.status_changed"])
    case = make_case(make_user("191212121212"))
    webhooks.case_filed(case)
    webhooks.case_status_changed(case, "Inskickat")
    assert [delivery.event_type for delivery in OutboxWebhook.select()] == ["case.status_changed"]


# --- retries, races, crashes ---------------------------------------------------------------

def test_a_500_is_retried_later_with_the_same_webhook_id(hook_app, webhook_receiver):
    subscribe(hook_app, webhook_receiver)
    [delivery] = filed_events(1)
    webhook_receiver.answers = [Answer(500)]
    now = utcnow()
    assert webhooks.deliver_due(hook_app, now=now) == counts(retry=1)
    waiting = row(delivery)
    assert (waiting.status, waiting.attempts, waiting.last_error) == ("pending", 1, "HTTP 500")
    assert waiting.next_attempt_at == now + timedelta(seconds=30)

    assert webhooks.deliver_due(hook_app, now=now + timedelta(seconds=5)) == counts()  # backing off
    assert webhooks.deliver_due(hook_app, now=now + timedelta(seconds=31)) == counts(sent=1)
    first, second = webhook_receiver.deliveries
    assert first.verified and second.verified
    assert first.webhook_id == second.webhook_id == delivery.webhook_id and first.body == second.body
    assert list(webhook_receiver.processed) == [delivery.webhook_id]
    assert (row(delivery).status, row(delivery).attempts) == ("sent", 2)


def test_a_receiver_answering_410_gone_is_switched_off(hook_app, webhook_receiver):
    """Standard Webhooks: 410 means the endpoint is gone. Its row and the ones waiting fail at
    once, no new event is queued for it, `webhooks list` says so, and `webhooks enable` turns
    it back on; another receiver goes on meanwhile."""
    gone = subscribe(hook_app, webhook_receiver)
    other_receiver = WebhookReceiver()
    other_receiver.start()
    try:
        other = subscribe(hook_app, other_receiver)
        filed_events(3)
        webhook_receiver.default = Answer(410)
        assert webhooks.deliver_due(hook_app) == counts(sent=3, failed=1)
        assert len(webhook_receiver.deliveries) == 1 and len(other_receiver.deliveries) == 3
        assert [(r.status, r.attempts) for r in OutboxWebhook.select().where(OutboxWebhook.subscription == gone.id)
                .order_by(OutboxWebhook.id)] == [("failed", 1), ("failed", 0), ("failed", 0)]
        switched_off = WebhookSubscription.get_by_id(gone.id)
        assert switched_off.disabled_at is not None and switched_off.disabled_reason == "HTTP 410 Gone"
        runner = hook_app.test_cli_runner()
        listing = runner.invoke(args=["webhooks", "list"]).output.splitlines()
        assert "\tavstängd " in listing[0] and "(HTTP 410 Gone)\tväntande 0" in listing[0]
        assert "\tpå\t" in listing[1]

        webhooks.case_filed(make_case(make_user("198112289874", "Tredje"), number="2026-00099"))
        assert OutboxWebhook.select().where((OutboxWebhook.subscription == gone.id)
                                            & (OutboxWebhook.status == "pending")).count() == 0
        assert webhooks.deliver_due(hook_app) == counts(sent=1)  # the other receiver's only
        assert len(webhook_receiver.deliveries) == 1

        assert runner.invoke(args=["webhooks", "enable", str(gone.id)]).exit_code == 0
        webhook_receiver.default = Answer(204)
        webhooks.case_filed(make_case(make_user("194108207210", "Fjärde"), number="2026-00100"))
        assert webhooks.deliver_due(hook_app) == counts(sent=2)
        assert webhook_receiver.deliveries[-1].verified and other.disabled_at is None
    finally:
        other_receiver.stop()


def test_a_rotated_secret_signs_beside_the_old_one_for_the_overlap(sqlite_hook_app, webhook_receiver):
    subscription = subscribe(sqlite_hook_app, webhook_receiver)
    old_secret = webhook_receiver.secret
    rotated = sqlite_hook_app.test_cli_runner().invoke(args=["webhooks", "rotate", str(subscription.id),
                                                              "--overlap", "1"])
    assert rotated.exit_code == 0, rotated.output
    new_secret = rotated.output.split("mottagaren): ")[1].split()[0]
    assert new_secret.startswith("whsec_") and new_secret != old_secret
    filed_events(1)
    assert webhooks.deliver_due(sqlite_hook_app) == counts(sent=1)
    during = webhook_receiver.deliveries[-1]
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    for secret in (old_secret, new_secret):
        webhook_receiver.secret = secret
        assert webhook_receiver.verified(during.body, during.headers), secret
    WebhookSubscription.update(previous_secret_until=utcnow() - timedelta(seconds=1)).execute()  # the hour is over
    webhooks.case_filed(make_case(make_user("198112289874", "Tredje"), number="2026-00099"))
    assert webhooks.deliver_due(sqlite_hook_app) == counts(sent=1)
    after = webhook_receiver.deliveries[-1]
    assert webhook_receiver.verified(after.body, after.headers)  # the new secret
    webhook_receiver.secret = old_secret
    assert not webhook_receiver.verified(after.body, after.headers)
    assert sqlite_hook_app.test_cli_runner().invoke(args=["webhooks", "rotate", "9999"]).exit_code != 0


def test_two_workers_deliver_each_event_once(hook_app, webhook_receiver):
    subscribe(hook_app, webhook_receiver)
    deliveries = filed_events(40)
    webhook_receiver.default = Answer(204, delay=0.02)  # a receiver that takes a moment
    barrier, sent, errors = threading.Barrier(2), {}, []

    def work(name):
        barrier.wait()
        try:
            while (result := worker.run_channel(hook_app, "webhooks")) != counts():
                sent[name] = sent.get(name, 0) + result["sent"]
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sent.get("a", 0) > 0 and sent.get("b", 0) > 0 and sent["a"] + sent["b"] == 40  # both worked, no row twice
    received = [delivery.webhook_id for delivery in webhook_receiver.deliveries]
    assert sorted(received) == sorted(delivery.webhook_id for delivery in deliveries)  # each exactly once
    assert all(delivery.verified for delivery in webhook_receiver.deliveries)


def worker_process(database_url: str) -> subprocess.Popen:
    """`flask outbox send` in a process of its own, so it can really be killed."""
    env = {**os.environ, "PORTAL_DATABASE_URL": database_url, "PORTAL_ENV": "testing",
           "PORTAL_WEBHOOK_ALLOWED_NETWORKS": '["127.0.0.0/8"]', "PORTAL_BANKID_SIMULATOR": "false",
           "PORTAL_SECRET_KEY": "test-worker-process-key"}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "outbox", "send"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_a_worker_killed_after_its_post_redelivers_and_the_receiver_counts_one_event(hook_app, webhook_receiver):
    subscribe(hook_app, webhook_receiver)
    [delivery] = filed_events(1)
    process = worker_process(hook_app.config["DATABASE_URL"])

    def kill_the_worker(received):
        """The POST has arrived whole: the worker dies before it can mark the row sent."""
        if len(webhook_receiver.deliveries) == 1:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)

    webhook_receiver.on_receive = kill_the_worker
    assert process.wait(timeout=60) == -signal.SIGKILL, process.stderr.read().decode()
    leased = row(delivery)
    assert (leased.status, leased.attempts) == ("sending", 1)  # the worker never recorded the outcome
    assert len(webhook_receiver.deliveries) == 1

    assert webhooks.deliver_due(hook_app) == counts()  # the dead worker's lease still holds
    after_lease = leased.lease_until + timedelta(seconds=1)
    assert webhooks.deliver_due(hook_app, now=after_lease) == counts(sent=1)
    first, second = webhook_receiver.deliveries
    assert first.verified and second.verified
    assert first.webhook_id == second.webhook_id == delivery.webhook_id
    assert list(webhook_receiver.processed) == [delivery.webhook_id]  # one distinct event
    assert (row(delivery).status, row(delivery).attempts) == ("sent", 2)


def test_a_dead_receiver_costs_one_attempt_per_run_and_holds_up_no_other(sqlite_hook_app, webhook_receiver):
    subscribe(sqlite_hook_app, webhook_receiver)
    closed_port = webhooks.WebhookSubscription.create(url="http://127.0.0.1:9/", events=ALL_EVENTS,
                                                      secret=webhooks.new_secret())
    filed_events(3)
    assert webhooks.deliver_due(sqlite_hook_app) == counts(sent=3, retry=1)
    dead = [d for d in OutboxWebhook.select() if d.subscription_id == closed_port.id]
    assert sorted(d.attempts for d in dead) == [0, 0, 1]
    assert [d.last_error for d in dead if d.attempts] == ["NewConnectionError (ConnectionRefusedError)"]
    assert len(webhook_receiver.processed) == 3


def test_a_redirect_is_not_followed(sqlite_hook_app, webhook_receiver):
    subscribe(sqlite_hook_app, webhook_receiver)
    [delivery] = filed_events(1)
    webhook_receiver.answers = [Answer(307, headers={"Location": "/annan-plats"})]
    assert webhooks.deliver_due(sqlite_hook_app) == counts(retry=1)
    assert [d.path for d in webhook_receiver.deliveries] == ["/hooks/kundportalen?kanal=test"]
    assert row(delivery).last_error == "HTTP 307"


def test_a_hanging_receiver_times_out_and_is_retried(sqlite_hook_app, webhook_receiver):
    sqlite_hook_app.config["WEBHOOK_READ_TIMEOUT"] = 0.3
    subscribe(sqlite_hook_app, webhook_receiver)
    [delivery] = filed_events(1)
    webhook_receiver.answers = [Answer(204, delay=2)]
    started = time.monotonic()
    assert webhooks.deliver_due(sqlite_hook_app) == counts(retry=1)
    assert time.monotonic() - started < 1.5
    assert row(delivery).last_error.startswith("ReadTimeoutError")


def test_attempts_run_out_and_the_row_fails(sqlite_hook_app, webhook_receiver):
    sqlite_hook_app.config["WEBHOOK_MAX_ATTEMPTS"] = 3
    subscribe(sqlite_hook_app, webhook_receiver)
    [delivery] = filed_events(1)
    webhook_receiver.default = Answer(503)
    now, delays = utcnow(), []
    for expected in ("retry", "retry", "failed"):
        assert webhooks.deliver_due(sqlite_hook_app, now=now)[expected] == 1
        delays.append((row(delivery).next_attempt_at - now).total_seconds())
        now = row(delivery).next_attempt_at
    assert delays[:2] == [30, 60]
    assert (row(delivery).status, row(delivery).attempts) == ("failed", 3)
    assert len(webhook_receiver.deliveries) == 3


@pytest.fixture
def tls_receiver(tmp_path):
    """The receiver over https as "localhost", with a certificate from a throwaway CA."""
    pki = make_pki(tmp_path)
    receiver = WebhookReceiver()
    receiver.serve_tls(*pki.server)
    receiver.start()
    yield receiver, pki
    receiver.stop()


def test_https_to_the_checked_address_verifies_the_url_s_name(sqlite_hook_app, tls_receiver):
    """The worker connects to the address it checked, yet TLS checks the certificate against the
    URL's host name and the configured CAs; an untrusted certificate gets nothing."""
    receiver, pki = tls_receiver
    subscribe(sqlite_hook_app, receiver)
    [first] = filed_events(1)
    sqlite_hook_app.config["WEBHOOK_CA_BUNDLE"] = str(pki.other_ca)
    assert webhooks.deliver_due(sqlite_hook_app) == counts(retry=1)
    assert row(first).last_error.startswith("SSLError") and receiver.deliveries == []

    sqlite_hook_app.config["WEBHOOK_CA_BUNDLE"] = str(pki.ca)
    assert webhooks.deliver_due(sqlite_hook_app, now=utcnow() + timedelta(seconds=31)) == counts(sent=1)
    [delivery] = receiver.deliveries
    assert delivery.verified and delivery.headers["host"] == receiver.origin.removeprefix("https://")


# --- SSRF -----------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/hook", "http://localhost/hook", "http://[::1]/hook", "http://[::ffff:127.0.0.1]/hook",
    "http://10.0.0.5/hook", "http://192.168.1.1/hook", "http://172.16.0.1/hook", "http://169.254.169.254/latest",
    "http://[fe80::1]/hook", "http://0.0.0.0/hook", "http://100.64.0.1/hook", "http://224.0.0.1/hook",
    "http://0x7f000001/hook", "http://2130706433/hook", "http://127.1/hook",  # loopback spelt as the resolver reads it
])
def test_a_receiver_on_an_internal_address_is_refused_at_add(app, url):
    """Production allows no internal network: nothing is stored, the operator is told why."""
    result = app.test_cli_runner().invoke(args=["webhooks", "add", url, "--events", "case.filed"])
    assert result.exit_code != 0
    assert "internt nät" in result.output and "WEBHOOK_ALLOWED_NETWORKS" in result.output
    with app.app_context(), db.connection_context():
        assert WebhookSubscription.select().count() == 0


def test_a_receiver_that_turned_internal_is_refused_at_delivery(sqlite_hook_app, webhook_receiver):
    """Added while allowed; the check at delivery (a DNS answer can change) still refuses it,
    before any connection is made, and for good."""
    subscribe(sqlite_hook_app, webhook_receiver)
    [delivery] = filed_events(1)
    sqlite_hook_app.config["WEBHOOK_ALLOWED_NETWORKS"] = []
    assert webhooks.deliver_due(sqlite_hook_app) == counts(failed=1)
    assert (row(delivery).status, row(delivery).last_error) == ("failed", "RefusedReceiver")
    assert webhook_receiver.deliveries == []


def test_every_resolved_address_must_be_allowed(monkeypatch):
    answers = [(0, 0, 0, "", ("93.184.215.14", 443)), (0, 0, 0, "", ("10.0.0.7", 443))]
    monkeypatch.setattr(webhooks.socket, "getaddrinfo", lambda *args, **kwargs: answers)
    receiver = webhooks.parse_receiver("https://kund.example.se/hook")
    with pytest.raises(webhooks.RefusedReceiver):
        webhooks.checked_addresses(receiver, [])
    assert webhooks.checked_addresses(receiver, webhooks.allowed_networks_from(["10.0.0.0/24"])) == \
        ["93.184.215.14", "10.0.0.7"]


@pytest.mark.parametrize("url", ["ftp://example.se/hook", "http://user:pw@example.se/", "https://example.se/#x",
                                 "http:///hook", "https://exa mple.se/", "http://example.se:99999/"])
def test_a_malformed_receiver_url_is_refused(url):
    with pytest.raises(webhooks.RefusedReceiver):
        webhooks.parse_receiver(url)


# --- flask webhooks -------------------------------------------------------------------------

def test_add_list_remove(sqlite_hook_app, webhook_receiver):
    runner = sqlite_hook_app.test_cli_runner()
    added = runner.invoke(args=["webhooks", "add", webhook_receiver.url, "--events", "case.filed,message.created"])
    assert added.exit_code == 0, added.output
    secret = added.output.split("mottagaren): ")[1].strip()
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    subscription = WebhookSubscription.get()
    assert subscription.events == ["case.filed", "message.created"] and subscription.secret == secret

    filed_events(2)
    listed = runner.invoke(args=["webhooks", "list"])
    assert webhook_receiver.url in listed.output and "case.filed,message.created" in listed.output
    assert "väntande 2" in listed.output and secret not in listed.output and "whsec_" not in listed.output

    assert runner.invoke(args=["webhooks", "remove", str(subscription.id)]).exit_code == 0
    assert WebhookSubscription.select().count() == 0 and OutboxWebhook.select().count() == 0
    missing = runner.invoke(args=["webhooks", "remove", str(subscription.id)])
    assert missing.exit_code != 0 and "Det finns ingen webhook" in missing.output
    assert "Inga webhooks." in runner.invoke(args=["webhooks", "list"]).output


def test_add_refuses_an_unknown_event(sqlite_hook_app, webhook_receiver):
    result = sqlite_hook_app.test_cli_runner().invoke(
        args=["webhooks", "add", webhook_receiver.url, "--events", "case.filed,case.deleted"])
    assert result.exit_code != 0 and "Okänd händelse: case.deleted" in result.output
    assert WebhookSubscription.select().count() == 0


def test_flask_outbox_send_delivers_webhooks_too(sqlite_hook_app, webhook_receiver):
    subscribe(sqlite_hook_app, webhook_receiver)
    filed_events(2)
    result = sqlite_hook_app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert "webhooks: sent 2, retry 0, failed 0" in result.output
    assert len(webhook_receiver.processed) == 2


def test_a_crashing_mail_channel_does_not_stop_the_webhooks(sqlite_hook_app, webhook_receiver, monkeypatch, caplog):
    subscribe(sqlite_hook_app, webhook_receiver)
    filed_events(1)

    def broken_mail_run(app):
        raise RuntimeError("SMTP-konfigurationen är trasig")

    monkeypatch.setattr(mailer, "deliver_due", broken_mail_run)
    results = worker.loop_once(sqlite_hook_app)
    assert results == {"e-post": counts(), "webhooks": counts(sent=1)}
    assert "Utkorgen (e-post): körningen avbröts (RuntimeError)" in caplog.text
    assert len(webhook_receiver.processed) == 1


def test_retention_removes_finished_deliveries_only(sqlite_hook_app, webhook_receiver):
    subscribe(sqlite_hook_app, webhook_receiver)
    old_sent, old_waiting, recent_sent = filed_events(3)
    long_ago = utcnow() - timedelta(days=400)
    OutboxWebhook.update(status="sent", created_at=long_ago).where(OutboxWebhook.id == old_sent.id).execute()
    OutboxWebhook.update(created_at=long_ago).where(OutboxWebhook.id == old_waiting.id).execute()
    OutboxWebhook.update(status="sent").where(OutboxWebhook.id == recent_sent.id).execute()
    assert purge(365)["webhooks"] == 1
    assert [d.id for d in OutboxWebhook.select().order_by(OutboxWebhook.id)] == [old_waiting.id, recent_sent.id]
