"""Outgoing webhooks: subscriptions (`flask webhooks add|list|remove`), the events the case
services emit, and the webhook channel of the outbox worker.

Events are written in the event's own transaction: emit() inserts one OutboxWebhook row per
subscription that asked for the event type, on the caller's connection, never beginning or
committing, so a case, its e-mails and its webhooks are stored all together or not at all. Each
row gets its webhook-id once; every attempt sends it again, so a receiver that deduplicates by
webhook-id sees each event once although delivery is at-least-once (app.messaging.outbox).

Signing follows Standard Webhooks (the `standardwebhooks` library): webhook-id,
webhook-timestamp (the time of the attempt) and webhook-signature "v1,<base64 HMAC-SHA256 of
id.timestamp.body>" with the subscription's "whsec_" secret. Payloads carry ids and numbers
only (event type, case number, case type, status, message id, timestamp), never a personnummer,
form content or a message body: the receiver fetches the case through the API.

SSRF: the receiver's host is resolved at every delivery and every address must be public, or
inside WEBHOOK_ALLOWED_NETWORKS; the request then goes to the address that was checked (so a
second DNS answer cannot point it elsewhere), with the Host header and TLS name of the URL.
Redirects are not followed and connect and read timeouts are short.

A receiver that answers 410 Gone is switched off, as Standard Webhooks asks: its row fails, its
waiting rows fail, no new events are queued for it, and `webhooks list` shows it as "avstängd"
until `webhooks enable ID`. `webhooks rotate ID` gives a subscription a new secret; the old one
goes on signing beside it (a second signature in webhook-signature) for the overlap, so the
receiver can switch without losing a delivery.

Config keys, read on every run (defaults in SETTINGS): WEBHOOK_ALLOWED_NETWORKS,
WEBHOOK_CONNECT_TIMEOUT, WEBHOOK_READ_TIMEOUT, WEBHOOK_MAX_ATTEMPTS, WEBHOOK_LEASE_SECONDS,
WEBHOOK_CA_BUNDLE.
"""
from __future__ import annotations

import base64
import ipaddress
import json
import logging
import secrets
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import click
import urllib3
from flask import current_app
from flask.cli import AppGroup
from standardwebhooks import Webhook

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
from app.platform.extensions import db
from app.platform.models import Case, Message, OutboxWebhook, WebhookSubscription, utcnow
from app.platform.prepared import Prepared

log = logging.getLogger(__name__)

SETTINGS = {
    "WEBHOOK_ALLOWED_NETWORKS": [],   # non-public networks receivers may be on, e.g. ["10.1.2.0/24"]
    "WEBHOOK_CONNECT_TIMEOUT": 3.0,   # seconds
    "WEBHOOK_READ_TIMEOUT": 5.0,      # seconds for each read of the answer
    "WEBHOOK_MAX_ATTEMPTS": 10,       # delivery attempts before a row is failed (about 4 h with backoff)
    "WEBHOOK_LEASE_SECONDS": 60,      # how long a claimed row is ours; must outlast one POST
    "WEBHOOK_CA_BUNDLE": "",          # a PEM file of CAs to trust for https receivers; empty: the system's
}
EVENT_TYPES = ("case.filed", "case.status_changed", "message.created")
SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
SECRET_BYTES = 32
URL_MAX_LENGTH = 2000
USER_AGENT = "Kundportalen-Webhooks/1"


def setting(app, key: str):
    value = app.config.get(key)
    return SETTINGS[key] if value is None else value


# --- receivers: the URL and the addresses it may reach ---------------------------------------

class RefusedReceiver(ValueError):
    """A receiver URL or address the portal will not send to; the text is for the operator."""


class UnresolvedHost(Exception):
    """The receiver's host name has no address now (DNS down or the name gone): retried."""


@dataclass(frozen=True)
class Receiver:
    scheme: str
    host: str     # without brackets
    port: int
    target: str   # path and query, what goes on the request line
    host_header: str


def parse_receiver(url: str) -> Receiver:
    """An absolute http(s) URL without credentials, fragment or whitespace."""
    if len(url) > URL_MAX_LENGTH or any(ch.isspace() for ch in url):
        raise RefusedReceiver("Adressen får inte innehålla blanksteg och högst 2000 tecken.")
    try:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme, 0)
    except ValueError:
        raise RefusedReceiver("Adressen går inte att tolka.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedReceiver("Adressen måste börja med http:// eller https:// och ha ett värdnamn.")
    if parts.username is not None or parts.fragment:
        raise RefusedReceiver("Adressen får inte innehålla användarnamn, lösenord eller #-del.")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Receiver(parts.scheme, parts.hostname, port, target, parts.netloc)


def allowed_networks_from(texts: list[str]) -> list:
    return [ipaddress.ip_network(text, strict=False) for text in texts]


def allowed_networks(app) -> list:
    return allowed_networks_from(setting(app, "WEBHOOK_ALLOWED_NETWORKS"))


def is_refused(address: str, allowed: list) -> bool:
    """Loopback, private, link-local, reserved, multicast: refused unless configured."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is loopback too
    public = ip.is_global and not ip.is_multicast
    return not public and not any(ip in network for network in allowed)


def checked_addresses(receiver: Receiver, allowed: list) -> list[str]:
    """Every address the host resolves to, now; refused if any one of them is refused, since
    a host answering with a private address beside a public one is pointing inwards."""
    try:
        infos = socket.getaddrinfo(receiver.host, receiver.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UnresolvedHost() from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses or any(is_refused(address, allowed) for address in addresses):
        raise RefusedReceiver("Adressen pekar på ett internt nät (loopback, privat eller "
                              "länklokal adress); tillåt nätet i WEBHOOK_ALLOWED_NETWORKS om det är avsikten.")
    return addresses


# --- subscriptions ------------------------------------------------------------------------------

def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def parse_events(text: str) -> list[str]:
    events = list(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    unknown = [event for event in events if event not in EVENT_TYPES]
    if not events or unknown:
        raise RefusedReceiver(f"Okänd händelse: {', '.join(unknown) or '(ingen)'}. "
                              f"Välj bland {', '.join(EVENT_TYPES)}.")
    return events


def add_subscription(url: str, events: list[str], app=None) -> tuple[WebhookSubscription, str]:
    """A new subscription and its secret (the only time the secret is handed out). The address
    is checked now too, so a mistake shows at once; delivery checks it again every time."""
    app = app or current_app
    try:
        checked_addresses(parse_receiver(url), allowed_networks(app))
    except UnresolvedHost:
        raise RefusedReceiver("Värdnamnet gick inte att slå upp.") from None
    secret = new_secret()
    return WebhookSubscription.create(url=url, events=events, secret=secret), secret


def subscriptions() -> list[WebhookSubscription]:
    return list(WebhookSubscription.select().order_by(WebhookSubscription.id))


def remove_subscription(subscription_id: int) -> bool:
    """Removes it and the deliveries still waiting for it (the receiver no longer wants them)."""
    return WebhookSubscription.delete().where(WebhookSubscription.id == subscription_id).execute() == 1


ROTATION_OVERLAP = timedelta(hours=24)
GONE_REASON = "HTTP 410 Gone"


def rotate_secret(subscription_id: int, overlap: timedelta = ROTATION_OVERLAP,
                  now: datetime | None = None) -> str | None:
    """A new secret for the subscription (returned, shown once); the current one keeps signing
    beside it until `overlap` has passed. None when there is no such subscription."""
    subscription = WebhookSubscription.get_or_none(WebhookSubscription.id == subscription_id)
    if subscription is None:
        return None
    secret = new_secret()
    (WebhookSubscription.update(secret=secret, previous_secret=subscription.secret,
                                previous_secret_until=(now or utcnow()) + overlap)
     .where(WebhookSubscription.id == subscription_id).execute())
    return secret


def signing_secrets(subscription: WebhookSubscription, now: datetime) -> list[str]:
    """The secret, and the one before a rotation while its overlap lasts."""
    previous_valid = subscription.previous_secret and subscription.previous_secret_until \
        and subscription.previous_secret_until > now
    return [subscription.secret, *([subscription.previous_secret] if previous_valid else [])]


def disable(subscription_id: int, reason: str, now: datetime) -> int:
    """Switched off: no more deliveries; its waiting rows fail (a row another worker is sending
    now fails by the same answer). Returns how many waiting rows were failed."""
    with db.atomic():
        (WebhookSubscription.update(disabled_at=now, disabled_reason=reason)
         .where((WebhookSubscription.id == subscription_id) & WebhookSubscription.disabled_at.is_null()).execute())
        return (OutboxWebhook.update(status="failed", lease_until=None, last_error=f"mottagaren avstängd ({reason})")
                .where((OutboxWebhook.subscription == subscription_id) & (OutboxWebhook.status == "pending")).execute())


def enable(subscription_id: int) -> bool:
    return (WebhookSubscription.update(disabled_at=None, disabled_reason=None)
            .where(WebhookSubscription.id == subscription_id).execute()) == 1


def disabled_subscriptions():
    return WebhookSubscription.select(WebhookSubscription.id).where(WebhookSubscription.disabled_at.is_null(False))


def waiting_count(subscription: WebhookSubscription) -> int:
    return OutboxWebhook.select().where((OutboxWebhook.subscription == subscription)
                                        & OutboxWebhook.status.in_(("pending", "sending"))).count()


# --- events (called inside the case service's transaction) -------------------------------------

def timestamp_text(moment: datetime) -> str:
    return moment.replace(tzinfo=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# The subscriptions still switched on, asked at every event: built once.
SUBSCRIPTIONS = Prepared(lambda: WebhookSubscription.select().where(WebhookSubscription.disabled_at.is_null()))


def emit(event_type: str, data: dict) -> int:
    """One outbox row per subscription that asked for this event; returns how many."""
    now = utcnow()
    body = json.dumps({"type": event_type, "timestamp": timestamp_text(now), "data": data},
                      ensure_ascii=False, separators=(",", ":"))
    rows = [{"subscription": subscription.id, "webhook_id": f"msg_{uuid.uuid4().hex}", "event_type": event_type,
             "body": body, "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now}
            for subscription in SUBSCRIPTIONS.rows() if event_type in subscription.events]
    if rows:
        OutboxWebhook.insert_many(rows).execute()
    return len(rows)


def case_data(case: Case) -> dict:
    return {"case_number": case.number, "case_type": case.case_type_slug, "status": case.status}


def case_filed(case: Case) -> int:
    return emit("case.filed", case_data(case))


def case_status_changed(case: Case, previous_status: str) -> int:
    return emit("case.status_changed", {**case_data(case), "previous_status": previous_status})


def message_created(case: Case, message: Message, author_role: str) -> int:
    """Customer and handler messages; the caller never passes an internal note."""
    return emit("message.created", {"case_number": case.number, "message_id": message.id,
                                    "author_role": author_role})


# --- sending one row ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Attempt:
    """What a delivery needs besides the row, read from config once per run."""
    allowed: list
    timeout: urllib3.Timeout
    ca_bundle: str | None  # None: the system's trusted CAs


def signed_headers(row: OutboxWebhook, secrets_now: list[str], now: datetime) -> dict:
    """One "v1,…" signature per secret, space-separated (the receiver accepts any one)."""
    signatures = " ".join(Webhook(secret).sign(row.webhook_id, now, row.body) for secret in secrets_now)
    return {"webhook-id": row.webhook_id, "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signatures, "Content-Type": "application/json", "User-Agent": USER_AGENT}


def connection_pool(receiver: Receiver, address: str, attempt: Attempt):
    """A pool for one request to the checked address; TLS still verifies the URL's host name."""
    if receiver.scheme == "https":
        return urllib3.HTTPSConnectionPool(address, receiver.port, timeout=attempt.timeout, retries=False, maxsize=1,
                                           cert_reqs="CERT_REQUIRED", ca_certs=attempt.ca_bundle,
                                           server_hostname=receiver.host, assert_hostname=receiver.host)
    return urllib3.HTTPConnectionPool(address, receiver.port, timeout=attempt.timeout, retries=False, maxsize=1)


def post_to(receiver: Receiver, address: str, headers: dict, body: bytes, attempt: Attempt) -> int:
    with connection_pool(receiver, address, attempt) as pool:
        response = pool.urlopen("POST", receiver.target, body=body, headers={**headers, "Host": receiver.host_header},
                                redirect=False, retries=False, preload_content=False, assert_same_host=False)
        response.close()  # the answer's body is not ours to read
        return response.status


def post(row: OutboxWebhook, attempt: Attempt) -> int:
    """POST the row to its receiver; returns the HTTP status. Tries each checked address in
    turn while the connection itself fails (a dual-stack host without a working IPv6 route)."""
    receiver = parse_receiver(row.subscription.url)
    addresses = checked_addresses(receiver, attempt.allowed)
    now = datetime.now(timezone.utc)
    headers = signed_headers(row, signing_secrets(row.subscription, naive_utc(now)), now)
    body = row.body.encode("utf-8")
    for address in addresses[:-1]:
        try:
            return post_to(receiver, address, headers, body, attempt)
        except urllib3.exceptions.NewConnectionError:
            continue
    return post_to(receiver, addresses[-1], headers, body, attempt)


# --- judging the outcome ------------------------------------------------------------------------

@dataclass(frozen=True)
class Failure:
    permanent: bool     # failed at once, no retry
    receiver_down: bool  # this receiver, not this row: its other rows wait for the next run
    label: str          # for last_error and the log: class names and HTTP status only
    gone: bool = False  # the receiver wants nothing more (410): the subscription is switched off


def error_label(exc: BaseException) -> str:
    """Class names only: exception texts carry URLs, which may carry tokens."""
    label = type(exc).__name__
    if exc.__context__ is not None and not isinstance(exc.__context__, type(exc)):
        label += f" ({type(exc.__context__).__name__})"
    return label


FAILURE_KINDS = (
    # Refused addresses and unusable URLs will not get better by waiting.
    (RefusedReceiver, lambda exc: Failure(permanent=True, receiver_down=False, label=type(exc).__name__)),
    ((UnresolvedHost, urllib3.exceptions.HTTPError, OSError),
     lambda exc: Failure(permanent=False, receiver_down=True, label=error_label(exc))),
)


def judge(exc: BaseException) -> Failure | None:
    """None for anything else: a bug crashes the run and the lease brings the row back."""
    return next((verdict(exc) for kinds, verdict in FAILURE_KINDS if isinstance(exc, kinds)), None)


def judge_status(status: int) -> Failure | None:
    """2xx is delivered; 410 Gone switches the subscription off; anything else (redirects
    included, they are not followed) is retried."""
    if 200 <= status < 300:
        return None
    if status == 410:
        return Failure(permanent=True, receiver_down=True, label=GONE_REASON, gone=True)
    return Failure(permanent=False, receiver_down=False, label=f"HTTP {status}")


def record_failure(row: OutboxWebhook, failure: Failure, run: Run) -> str:
    if failure.permanent or row.attempts >= run.max_attempts:
        mark_failed(row, failure.label)
        log.error("Webhooks: leverans %s till prenumeration %s gav upp efter %s försök (%s) [%s]",
                  row.id, row.subscription_id, row.attempts, failure.label, run.worker)
        return "failed"
    delay = schedule_retry(row, run.now, failure.label)
    log.warning("Webhooks: leverans %s till prenumeration %s misslyckades (%s), försök %s, nytt försök om %s s [%s]",
                row.id, row.subscription_id, failure.label, row.attempts, int(delay.total_seconds()), run.worker)
    return "retry"


def deliver(run: Run, attempt: Attempt, down: set, row: OutboxWebhook) -> tuple[str, bool]:
    """Send one claimed row; returns the outcome and True (the run goes on with other rows)."""
    try:
        failure = judge_status(post(row, attempt))
    except Exception as exc:
        failure = judge(exc)
        if failure is None:
            raise
    if failure is not None:
        if failure.receiver_down:
            down.add(row.subscription_id)
        outcome = record_failure(row, failure, run)
        if failure.gone:
            failed = disable(row.subscription_id, failure.label, run.now)
            log.error("Webhooks: prenumeration %s svarade %s och är avstängd; %s väntande leveranser avbrutna [%s]",
                      row.subscription_id, failure.label, failed, run.worker)
        return outcome, True
    # A crash from here until mark_sent leaves the lease: the row is sent again later,
    # with the same webhook-id, and the receiver drops it.
    mark_sent(row, run.now)
    log.info("Webhooks: leverans %s (%s) skickad, försök %s [%s]", row.id, row.webhook_id, row.attempts, run.worker)
    return "sent", True


def left_out(model, down: set[int]):
    """Rows not to claim in this run: a switched-off subscription's (a row queued just as it
    was switched off), and those of receivers found down in this run."""
    condition = model.subscription.in_(disabled_subscriptions())
    return condition | model.subscription.in_(sorted(down)) if down else condition


def deliver_due(app, *, now: datetime | None = None, limit: int = BATCH_LIMIT, worker_id: str | None = None) -> dict:
    """Send up to `limit` due webhook rows, one claim at a time; returns counts per outcome.
    A receiver that cannot be reached costs one attempt per run: its other rows are left out
    of this run's claims, so one dead receiver does not hold up the others."""
    with app.app_context(), database_connection():
        down: set[int] = set()
        run = Run(now=naive_utc(now or utcnow()), worker=worker_id or default_worker_id(),
                  max_attempts=int(setting(app, "WEBHOOK_MAX_ATTEMPTS")),
                  lease=timedelta(seconds=float(setting(app, "WEBHOOK_LEASE_SECONDS"))),
                  skip=lambda model: left_out(model, down))
        attempt = Attempt(allowed=allowed_networks(app),
                          timeout=urllib3.Timeout(connect=float(setting(app, "WEBHOOK_CONNECT_TIMEOUT")),
                                                  read=float(setting(app, "WEBHOOK_READ_TIMEOUT"))),
                          ca_bundle=setting(app, "WEBHOOK_CA_BUNDLE") or None)
        return drain(OutboxWebhook, run, lambda row: deliver(run, attempt, down, row), limit)


# --- flask webhooks -----------------------------------------------------------------------------

webhooks_cli = AppGroup("webhooks", help="Webhooks: prenumerationer på händelser i portalen.")


@webhooks_cli.command("add")
@click.argument("url")
@click.option("--events", required=True, help=f"Kommaseparerade händelser: {','.join(EVENT_TYPES)}.")
def add_command(url: str, events: str) -> None:
    """Lägg till en mottagare. Hemligheten visas bara nu."""
    try:
        subscription, secret = add_subscription(url, parse_events(events))
    except RefusedReceiver as refusal:
        raise click.ClickException(str(refusal)) from None
    click.echo(f"Webhook {subscription.id} tillagd för {', '.join(subscription.events)}.")
    click.echo(f"Hemlighet (visas bara nu, spara den hos mottagaren): {secret}")


@webhooks_cli.command("list")
def list_command() -> None:
    """Visa prenumerationerna (utan hemligheter)."""
    found = subscriptions()
    if not found:
        click.echo("Inga webhooks.")
    for subscription in found:
        click.echo(f"{subscription.id}\t{subscription.url}\t{','.join(subscription.events)}\t{state_text(subscription)}\t"
                   f"väntande {waiting_count(subscription)}\tskapad {subscription.created_at:%Y-%m-%d %H:%M}")


def state_text(subscription: WebhookSubscription) -> str:
    if subscription.disabled_at is None:
        return "på"
    return f"avstängd {subscription.disabled_at:%Y-%m-%d %H:%M} UTC ({subscription.disabled_reason})"


@webhooks_cli.command("enable")
@click.argument("subscription_id", type=int)
def enable_command(subscription_id: int) -> None:
    """Slå på en avstängd prenumeration igen (nya händelser skickas från nu)."""
    if not enable(subscription_id):
        raise click.ClickException(f"Det finns ingen webhook {subscription_id}.")
    click.echo(f"Webhook {subscription_id} är på igen.")


@webhooks_cli.command("rotate")
@click.argument("subscription_id", type=int)
@click.option("--overlap", "hours", type=click.IntRange(0, 24 * 30), default=24, show_default=True,
              help="Timmar som den gamla hemligheten fortsätter att signera bredvid den nya.")
def rotate_command(subscription_id: int, hours: int) -> None:
    """Byt hemlighet. Den nya visas bara nu; den gamla signerar också under övergången."""
    secret = rotate_secret(subscription_id, timedelta(hours=hours))
    if secret is None:
        raise click.ClickException(f"Det finns ingen webhook {subscription_id}.")
    click.echo(f"Ny hemlighet för webhook {subscription_id} (visas bara nu, spara den hos mottagaren): {secret}")
    click.echo(f"Den gamla hemligheten signerar också i {hours} timmar till.")


@webhooks_cli.command("remove")
@click.argument("subscription_id", type=int)
def remove_command(subscription_id: int) -> None:
    """Ta bort en prenumeration och dess väntande leveranser."""
    if not remove_subscription(subscription_id):
        raise click.ClickException(f"Det finns ingen webhook {subscription_id}.")
    click.echo(f"Webhook {subscription_id} borttagen.")


def init_app(app) -> None:
    app.cli.add_command(webhooks_cli)
