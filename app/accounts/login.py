"""Logging in with BankID: starting an order for this browser, polling it, the animated QR,
cancelling, and turning a completed order into a logged-in user.

The identity that logs in is the `completionData.user` of the order this browser started —
the browser only ever holds a random id of its pending login, never an orderRef, a QR secret
or a personnummer.
"""
from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

import segno
from flask import current_app, g, request, session, url_for

from app.accounts import sessions
from app.accounts.bankid import (
    BankIDClient,
    BankIDError,
    CollectResult,
    autostart_url,
    error_message,
    qr_content,
    user_message,
)
from app.platform import metrics
from app.platform.extensions import db
from app.platform.models import PendingLogin, User, utcnow

PENDING_KEY = "pending_login"
CLIENT_KEY = "kundportalen.bankid_client"
MIN_COLLECT_INTERVAL = 1.0  # BankID: never collect more than once a second
STALE_PENDING = timedelta(minutes=10)  # BankID orders expire after about 3 minutes
DEVICES = ("this", "other")


class LoginRefused(Exception):
    """A completed BankID order whose person may not log in (a deactivated account)."""


@dataclass(frozen=True)
class LoginState:
    status: str  # pending | failed | complete
    message: str
    show_qr: bool = False
    user: User | None = None  # who logged in, once complete


def bankid_client() -> BankIDClient:
    client = current_app.extensions.get(CLIENT_KEY)
    if client is None:
        config = current_app.config
        cert = (config["BANKID_CERT"], config["BANKID_KEY"]) if config.get("BANKID_CERT") else None
        client = BankIDClient(config["BANKID_URL"], cert=cert, ca_path=config.get("BANKID_CA") or None,
                              timeout=(config["BANKID_CONNECT_TIMEOUT"], config["BANKID_READ_TIMEOUT"]))
        current_app.extensions[CLIENT_KEY] = client
    return client


def pending_login() -> PendingLogin | None:
    token = session.get(PENDING_KEY)
    if not token:
        return None
    return PendingLogin.get_or_none(PendingLogin.token_hash == sessions.token_hash(token))


def forget(pending: PendingLogin | None) -> None:
    if pending is not None:
        PendingLogin.delete().where(PendingLogin.id == pending.id).execute()
    session.pop(PENDING_KEY, None)


def start(device: str, end_user_ip: str, next_url: str | None) -> PendingLogin:
    """Start a BankID order for this browser (raises BankIDError); an earlier one is cancelled."""
    cancel(pending_login())
    PendingLogin.delete().where(PendingLogin.started_at < utcnow() - STALE_PENDING).execute()
    order = bankid_client().auth(end_user_ip, return_url=return_url(device))
    token = secrets.token_urlsafe(32)
    pending = PendingLogin.create(
        token_hash=sessions.token_hash(token), order_ref=order.order_ref, auto_start_token=order.auto_start_token,
        qr_start_token=order.qr_start_token, qr_start_secret=order.qr_start_secret,
        device=device if device in DEVICES else "other", next_url=next_url, hint_code="outstandingTransaction")
    session[PENDING_KEY] = token
    return pending


def return_url(device: str) -> str | None:
    """Where the BankID app goes back to after an order started on this device: the waiting
    page, which finishes the login (RP API v6 `returnUrl`). A QR order needs none."""
    if device != "this":
        return None
    base = current_app.config.get("PUBLIC_BASE_URL")
    waiting = url_for("auth.waiting", _external=not base)
    url = f"{base.rstrip('/')}{waiting}" if base else waiting
    # Real BankID is only ever handed an https address; plain http is for the simulator.
    return url if url.startswith("https://") or current_app.config.get("BANKID_SIMULATOR") else None


def cancel(pending: PendingLogin | None) -> None:
    if pending is None:
        return
    if pending.status == "pending":
        try:
            bankid_client().cancel(pending.order_ref)
        except BankIDError:
            pass  # the order may already be gone; either way it will not log anyone in
    forget(pending)


def seconds_since_start(pending: PendingLogin, now: datetime | None = None) -> int:
    return max(int(((now or utcnow()) - pending.started_at).total_seconds()), 0)


def shows_qr(pending: PendingLogin) -> bool:
    """The QR is shown only for another device, and only while nobody has scanned it."""
    return (pending.device == "other" and pending.status == "pending"
            and pending.hint_code == "outstandingTransaction")


def qr_svg(pending: PendingLogin, now: datetime | None = None) -> bytes:
    """A standalone SVG document for an `<img>`: segno's `save(kind="svg")` writes the SVG
    namespace, without which a browser refuses to draw the image (`svg_inline` omits it)."""
    content = qr_content(pending.qr_start_token, pending.qr_start_secret, seconds_since_start(pending, now))
    image = io.BytesIO()
    segno.make(content, error="l").save(image, kind="svg", scale=5, border=4, xmldecl=False,
                                        title="QR-kod för BankID")
    return image.getvalue()


def simulator_scan_url(pending: PendingLogin) -> str | None:
    """In development, a link that plays 'scanning the QR' with the simulator's app page."""
    app_url = current_app.config.get("BANKID_APP_URL")
    if not (app_url and shows_qr(pending)):
        return None
    content = qr_content(pending.qr_start_token, pending.qr_start_secret, seconds_since_start(pending))
    return f"{app_url}?qr={quote(content, safe='')}"


MOBILE_MARKERS = ("Mobi", "Android", "iPhone", "iPad")


def on_mobile() -> bool:
    """A phone or tablet: the BankID app is started differently there, and its texts differ."""
    agent = request.headers.get("User-Agent", "")
    return any(marker in agent for marker in MOBILE_MARKERS)


def start_app_url(pending: PendingLogin) -> str:
    app_url = current_app.config.get("BANKID_APP_URL") or None
    return autostart_url(pending.auto_start_token, mobile=on_mobile(), app_url=app_url)


def message_for(pending: PendingLogin) -> str:
    _, text = user_message(pending.status, pending.hint_code, qr=pending.device == "other",
                           autostart_tried=pending.device == "this", mobile=on_mobile())
    return text


def state_of(pending: PendingLogin) -> LoginState:
    return LoginState(pending.status, message_for(pending), shows_qr(pending))


def collect(pending: PendingLogin) -> CollectResult | None:
    """Ask BankID, at most once a second per order; None when it is too soon to ask again."""
    last = session.get("last_collect", 0.0)
    now = utcnow().timestamp()
    if now - last < MIN_COLLECT_INTERVAL:
        return None
    session["last_collect"] = now
    return bankid_client().collect(pending.order_ref)


def user_for(completion) -> User:
    person = completion.user
    user = User.get_or_none(User.personnummer == person.personal_number)
    if user is None:
        return User.create(personnummer=person.personal_number, name=person.name)
    if not user.active:
        raise LoginRefused()
    if user.name != person.name:
        User.update(name=person.name).where(User.id == user.id).execute()
    return user


def poll(pending: PendingLogin) -> LoginState:
    """Collect the order; on completion the browser is logged in (raises BankIDError, LoginRefused)."""
    result = collect(pending)
    if result is None or pending.status != "pending":
        return state_of(pending)
    if result.status == "complete":
        try:
            with db.atomic():
                user = user_for(result.completion)
                forget(pending)
        except LoginRefused:
            metrics.count_login("refused")
            raise
        sessions.log_in(user)
        metrics.count_login("complete")
        return LoginState("complete", "", user=user)
    if result.status == "failed":
        metrics.count_login("failed")
    PendingLogin.update(status=result.status, hint_code=result.hint_code).where(
        PendingLogin.id == pending.id).execute()
    pending.status, pending.hint_code = result.status, result.hint_code
    return state_of(pending)


def bankid_error_text(error: BankIDError) -> str:
    return error_message(error)[1]


def keep_personal_pages_out_of_caches(response):
    """Pages with personal data or a login in progress are never kept by a browser or proxy."""
    if getattr(g, "user", None) is not None or PENDING_KEY in session:
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app) -> None:
    app.after_request(keep_personal_pages_out_of_caches)
