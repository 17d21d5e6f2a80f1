"""Client for the BankID Relying Party API v6.0: starting auth/sign orders, collecting and
cancelling them, the animated QR content and the same-device start link. No Flask in here.

Owns the mapping from HTTP/transport failures to `BankIDError` (with the RFA code to show) and the
parsing of collect answers into frozen dataclasses. Protocol facts: bankid-rp-v6.md.
"""
from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests

from app.accounts.bankid_messages import error_message, rfa_for_error, user_message

__all__ = [
    "BankIDClient", "BankIDError", "Order", "CollectResult", "Completion", "User", "Device",
    "qr_content", "autostart_url", "user_message", "error_message", "parse_issue_date",
]

USER_VISIBLE_DATA_LIMIT = {"auth": 1_500, "sign": 40_000}  # characters of base64

# Used when an error body carries no errorCode (e.g. a 403 answered as HTML by a proxy).
ERROR_CODE_BY_STATUS = {
    401: "unauthorized",
    403: "unauthorized",
    404: "notFound",
    408: "requestTimeout",
    415: "unsupportedMediaType",
    500: "internalError",
    503: "maintenance",
}


class BankIDError(Exception):
    """A failed API call. `rfa` is the message code to show; `http_status` is None when the
    service was not reached (connectionError, timeout, tlsError)."""

    def __init__(self, error_code: str, http_status: int | None, details: str = "",
                 rfa: str | None = None):
        self.error_code = error_code
        self.http_status = http_status
        self.details = details
        self.rfa = rfa or rfa_for_error(error_code)
        super().__init__(f"BankID {error_code} (HTTP {http_status}): {details}")


@dataclass(frozen=True)
class Order:
    order_ref: str
    auto_start_token: str | None
    qr_start_token: str | None
    qr_start_secret: str | None = field(repr=False)  # never to the browser or the logs
    started_at: float  # time.monotonic() when the start answer arrived; QR time counts from here

    def qr_content(self, now: float | None = None) -> str:
        """The QR content for `now` (monotonic seconds, default the current time)."""
        elapsed = (time.monotonic() if now is None else now) - self.started_at
        return qr_content(self.qr_start_token, self.qr_start_secret, int(max(elapsed, 0)))


@dataclass(frozen=True)
class User:
    personal_number: str = field(repr=False)  # personal data: kept out of reprs and logs
    name: str
    given_name: str
    surname: str


@dataclass(frozen=True)
class Device:
    ip_address: str
    uhi: str | None = None


@dataclass(frozen=True)
class Completion:
    user: User
    device: Device
    bank_id_issue_date: datetime.date | None
    signature: str = field(repr=False)
    ocsp_response: str = field(repr=False)
    step_up_mrtd: bool | None = None
    risk: str | None = None


@dataclass(frozen=True)
class CollectResult:
    order_ref: str
    status: str  # pending | failed | complete
    hint_code: str | None
    completion: Completion | None

    @property
    def is_final(self) -> bool:
        return self.status != "pending"


def qr_content(qr_start_token: str, qr_start_secret: str, seconds: int) -> str:
    """`bankid.<token>.<seconds>.<HMAC-SHA256(secret, str(seconds)) as hex>`."""
    seconds_text = str(int(seconds))
    auth_code = hmac.new(qr_start_secret.encode("utf-8"), seconds_text.encode("ascii"),
                         hashlib.sha256).hexdigest()
    return f"bankid.{qr_start_token}.{seconds_text}.{auth_code}"


def autostart_url(token: str, *, mobile: bool, redirect: str | None = None,
                  app_url: str | None = None) -> str:
    """Link that opens the BankID app on this device.

    Desktop always uses `redirect=null` (the app returns to the browser by itself); on mobile
    `redirect` is the URL to return to (None → `null`, as Android wants). `app_url` replaces the
    scheme part, e.g. the simulator's `http://127.0.0.1:5001/app` in development.
    """
    default_app = "https://app.bankid.com/" if mobile else "bankid:///"
    target = redirect if (mobile and redirect) else "null"
    return (f"{app_url or default_app}?autostarttoken={quote(token, safe='')}"
            f"&redirect={quote(target, safe='')}")


def parse_issue_date(text: str | None) -> datetime.date | None:
    """`2023-11-29` or `2023-11-29Z` → date; BankID may append the zone designator."""
    if not text:
        return None
    return datetime.date.fromisoformat(text.rstrip("Zz"))


def _encode_visible_data(text: str, kind: str) -> str:
    encoded = base64.b64encode(text.encode("utf-8")).decode("ascii")
    if not text or len(encoded) > USER_VISIBLE_DATA_LIMIT[kind]:
        raise ValueError(f"userVisibleData must be 1..{USER_VISIBLE_DATA_LIMIT[kind]} base64 chars")
    return encoded


def _drop_none(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if value is not None}


def _error_from_response(response: requests.Response) -> BankIDError:
    try:
        body = response.json()
    except ValueError:  # HTML or empty body, typically from a proxy or the TLS terminator
        body = None
    if not isinstance(body, dict) or "errorCode" not in body:
        code = ERROR_CODE_BY_STATUS.get(response.status_code, "unknown")
        return BankIDError(code, response.status_code, response.text[:200])
    return BankIDError(str(body["errorCode"]), response.status_code, str(body.get("details", "")))


def _parse_completion(data: dict[str, Any] | None) -> Completion | None:
    if not data:
        return None
    user, device = data.get("user", {}), data.get("device", {})
    return Completion(
        user=User(personal_number=user["personalNumber"], name=user.get("name", ""),
                  given_name=user.get("givenName", ""), surname=user.get("surname", "")),
        device=Device(ip_address=device.get("ipAddress", ""), uhi=device.get("uhi")),
        bank_id_issue_date=parse_issue_date(data.get("bankIdIssueDate")),
        signature=data.get("signature", ""),
        ocsp_response=data.get("ocspResponse", ""),
        step_up_mrtd=(data.get("stepUp") or {}).get("mrtd"),
        risk=data.get("risk"),
    )


class BankIDClient:
    """One client per BankID environment; thread-safe enough for a web app (one Session)."""

    def __init__(self, base_url: str, cert: tuple[str, str] | None = None,
                 ca_path: str | None = None, timeout: tuple[float, float] = (5.0, 10.0),
                 collect_retry_delay: float = 0.5):
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.timeout = timeout
        self.collect_retry_delay = collect_retry_delay
        self.session = requests.Session()
        self.session.trust_env = False  # no proxies or CA bundles from the environment
        self.session.cert = cert
        # Pinning: with a CA file only that CA is trusted, never the system store.
        self.session.verify = ca_path if ca_path else True

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> "BankIDClient":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # --- API calls ---------------------------------------------------------------------------

    def auth(self, end_user_ip: str, *, requirement: dict | None = None,
             user_visible_data: str | None = None, user_visible_data_format: str | None = None,
             return_url: str | None = None, web: dict | None = None) -> Order:
        """Start an identification. Never retried: a retry could start a second order."""
        visible = _encode_visible_data(user_visible_data, "auth") if user_visible_data else None
        return self._start("auth", _drop_none({
            "endUserIp": end_user_ip, "requirement": requirement, "userVisibleData": visible,
            "userVisibleDataFormat": user_visible_data_format, "returnUrl": return_url,
            "web": web,
        }))

    def sign(self, end_user_ip: str, user_visible_data: str, *, requirement: dict | None = None,
             user_visible_data_format: str | None = None,
             user_non_visible_data: bytes | None = None, return_url: str | None = None,
             web: dict | None = None) -> Order:
        """Start a signature of `user_visible_data` (plain text; encoded here). Never retried."""
        non_visible = (base64.b64encode(user_non_visible_data).decode("ascii")
                       if user_non_visible_data else None)
        return self._start("sign", _drop_none({
            "endUserIp": end_user_ip, "requirement": requirement,
            "userVisibleData": _encode_visible_data(user_visible_data, "sign"),
            "userVisibleDataFormat": user_visible_data_format,
            "userNonVisibleData": non_visible, "returnUrl": return_url, "web": web,
        }))

    def collect(self, order_ref: str) -> CollectResult:
        """One poll. A 503 maintenance answer is retried once, silently (collect is idempotent)."""
        try:
            body = self._post("collect", {"orderRef": order_ref})
        except BankIDError as error:
            if error.error_code != "maintenance":
                raise
            time.sleep(self.collect_retry_delay)
            body = self._post("collect", {"orderRef": order_ref})
        return self._parse_collect(order_ref, body)

    def cancel(self, order_ref: str) -> None:
        self._post("cancel", {"orderRef": order_ref})

    # --- plumbing ----------------------------------------------------------------------------

    def _start(self, endpoint: str, body: dict[str, Any]) -> Order:
        answer = self._post(endpoint, body)
        try:
            return Order(order_ref=answer["orderRef"], auto_start_token=answer["autoStartToken"],
                         qr_start_token=answer["qrStartToken"],
                         qr_start_secret=answer["qrStartSecret"], started_at=time.monotonic())
        except (KeyError, TypeError) as missing:
            raise BankIDError("invalidResponse", 200, f"missing {missing}") from None

    @staticmethod
    def _parse_collect(order_ref: str, body: dict[str, Any]) -> CollectResult:
        try:
            return CollectResult(order_ref=body.get("orderRef", order_ref), status=body["status"],
                                 hint_code=body.get("hintCode"),
                                 completion=_parse_completion(body.get("completionData")))
        except (KeyError, TypeError, ValueError) as bad:
            raise BankIDError("invalidResponse", 200, f"bad collect answer: {bad!r}") from None

    def _post(self, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self.session.post(
                self.base_url + endpoint, data=json.dumps(body).encode("utf-8"),
                headers={"Content-Type": "application/json"},  # exactly: a charset gives 415
                timeout=self.timeout)
        except requests.exceptions.SSLError as error:
            # Certificates or pinning are misconfigured: retrying will not help, hence RFA22.
            raise BankIDError("tlsError", None, str(error), rfa="RFA22") from error
        except requests.exceptions.Timeout as error:
            raise BankIDError("timeout", None, str(error)) from error
        except requests.exceptions.RequestException as error:
            raise BankIDError("connectionError", None, str(error)) from error
        if response.status_code != 200:
            raise _error_from_response(response)
        try:
            answer = response.json()
        except ValueError:
            raise BankIDError("invalidResponse", 200, response.text[:200]) from None
        if not isinstance(answer, dict):
            raise BankIDError("invalidResponse", 200, "answer is not a JSON object")
        return answer
