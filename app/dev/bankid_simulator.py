"""A local BankID simulator: the RP API v6.0 over HTTP (same paths, status codes and JSON as
BankID) plus a Swedish HTML page that plays "the BankID app", and a control API for injected
faults. For development and tests only; never mount it in production.

Owns: in-memory orders (behind one lock), their timing (startFailed / expiredTransaction with an
injectable clock), QR verification, invented identities, and `serve_simulator` to run it on a
real port. It is its own small Flask app, independent of the portal.

Control (JSON, `POST /sim/control`, same keys accepted in `settings`):
  start_failed_after, expire_after  seconds (defaults 30 and 180)
  start_delay        seconds every start call (auth/sign/phone) waits before answering
  collect_sequence   pending hint codes each new order answers, one per collect, before its
                     real state shows, e.g. ["outstandingTransaction", "started", "userSign"]
  next_errors        {"auth": ["maintenance"], "collect": ["maintenance"]}: error codes the
                     next calls of that endpoint answer with, one per call
  next_order_ends    hint code the next order fails with at once (may be an unknown code)
  next_complete_as   personnummer the next order completes as, without the app page
`POST /sim/reset` forgets orders and faults (back to the settings given at creation).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import secrets
import ssl
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from flask import Flask, jsonify, render_template_string, request
from stdnum.se import personnummer
from werkzeug.exceptions import HTTPException
from werkzeug.serving import WSGIRequestHandler, make_server

from app.accounts.bankid import USER_VISIBLE_DATA_LIMIT, qr_content
from casetypes.formats import normalize_personnummer

RP_PREFIX = "/rp/v6.0/"

ERROR_STATUS = {
    "alreadyInProgress": 400,
    "invalidParameters": 400,
    "unauthorized": 401,
    "notFound": 404,
    "methodNotAllowed": 405,
    "requestTimeout": 408,
    "unsupportedMediaType": 415,
    "internalError": 500,
    "maintenance": 503,
}
ERROR_CODE_BY_STATUS = {status: code for code, status in ERROR_STATUS.items()
                        if code not in ("alreadyInProgress",)}

DEFAULTS: dict[str, Any] = {
    "start_failed_after": 30.0,
    "expire_after": 180.0,
    "qr_tolerance": 2,              # seconds either side of the order's elapsed time
    "start_delay": 0.0,
    "collect_sequence": [],
    "next_errors": {},
    "next_order_ends": None,
    "next_complete_as": None,
    "bank_id_issue_date": "2023-11-29Z",
    "clock": time.monotonic,
}
CONTROL_KEYS = set(DEFAULTS) - {"clock"}

# When requirement.personalNumber does not match the person in the app, the app finds no usable
# BankID and the order cannot start (our choice; BankID does not document the hint code).
MISMATCH_HINT = "startFailed"

# Well-known test identities; everybody else gets a name derived from the number.
# The demo users of `flask users demo` (app.accounts.users), so the simulator gives them the same names.
KNOWN_NAMES = {"191212121212": ("Tolvan", "Tolvansson"), "198112289874": ("Hanna", "Handläggare")}
GIVEN_NAMES = {"female": ["Anna", "Maria", "Karin", "Sara", "Elin", "Ida"],
               "male": ["Erik", "Lars", "Karl", "Johan", "Nils", "Olof"]}
SURNAMES = ["Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Svensson"]


class InvalidNumber(ValueError):
    """The app page got a malformed personnummer; the order stays open for another try."""

    def __init__(self, order: "SimOrder", message: str):
        super().__init__(message)
        self.order = order


class ApiError(Exception):
    def __init__(self, error_code: str, details: str):
        super().__init__(details)
        self.error_code, self.details = error_code, details


@dataclass
class SimOrder:
    kind: str                      # auth | sign | phone/auth | phone/sign
    end_user_ip: str
    required_personal_number: str | None
    user_visible_data: str | None  # decoded text
    return_url: str | None
    created_at: float
    order_ref: str = field(default_factory=lambda: str(uuid.uuid4()))
    auto_start_token: str = field(default_factory=lambda: str(uuid.uuid4()))
    qr_start_token: str = field(default_factory=lambda: str(uuid.uuid4()))
    qr_start_secret: str = field(default_factory=lambda: str(uuid.uuid4()))
    state: str = "outstanding"     # outstanding | opened | complete | failed | cancelled
    hint_code: str | None = "outstandingTransaction"
    completion: dict | None = None
    pending_script: list[str] = field(default_factory=list)
    app_token: str | None = None   # ties the app page form to the visit that opened the order

    @property
    def is_final(self) -> bool:
        return self.state in ("complete", "failed", "cancelled")


def valid_personal_number(text: str) -> str | None:
    """12 digits, Luhn- and date-valid, or None."""
    digits = (text or "").strip()
    valid = len(digits) == 12 and digits.isdigit() and personnummer.is_valid(digits)
    return digits if valid else None


def invented_name(number: str) -> tuple[str, str]:
    if number in KNOWN_NAMES:
        return KNOWN_NAMES[number]
    seed = int(hashlib.sha256(number.encode()).hexdigest(), 16)
    gender = "male" if int(number[10]) % 2 else "female"  # the second-last digit
    given = GIVEN_NAMES[gender]
    return given[seed % len(given)], SURNAMES[(seed // 7) % len(SURNAMES)]


class Simulator:
    """The simulated BankID service: orders, timing and faults. All state behind `self.lock`."""

    def __init__(self, settings: dict | None = None):
        unknown = set(settings or {}) - set(DEFAULTS)
        if unknown:
            raise ValueError(f"unknown simulator settings: {sorted(unknown)}")
        self.initial = {**DEFAULTS, **(settings or {})}
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.settings = {**self.initial,
                             "next_errors": {k: list(v) for k, v in
                                             self.initial["next_errors"].items()}}
            self.orders: dict[str, SimOrder] = {}
            self.calls: dict[str, int] = {}

    def control(self, changes: dict) -> None:
        unknown = set(changes) - CONTROL_KEYS
        if unknown:
            raise ApiError("invalidParameters", f"unknown control keys: {sorted(unknown)}")
        with self.lock:
            for endpoint, codes in (changes.pop("next_errors", None) or {}).items():
                self.settings["next_errors"].setdefault(endpoint, []).extend(codes)
            self.settings.update(changes)

    def now(self) -> float:
        return self.settings["clock"]()

    # --- the API -------------------------------------------------------------------------------

    def count_call_and_inject(self, endpoint: str) -> None:
        with self.lock:
            self.calls[endpoint] = self.calls.get(endpoint, 0) + 1
            queued = self.settings["next_errors"].get(endpoint) or []
            injected = queued.pop(0) if queued else None
        if injected:
            raise ApiError(injected, f"injected by the simulator ({endpoint})")

    def start(self, kind: str, body: dict) -> dict:
        order = self._validated_order(kind, body)
        with self.lock:
            self._forget_old_orders()
            self._refuse_parallel_order(order.required_personal_number)
            self._apply_order_faults(order)
            self.orders[order.order_ref] = order
        if kind.startswith("phone/"):
            return {"orderRef": order.order_ref}
        return {"orderRef": order.order_ref, "autoStartToken": order.auto_start_token,
                "qrStartToken": order.qr_start_token, "qrStartSecret": order.qr_start_secret}

    def collect(self, order_ref: Any) -> dict:
        with self.lock:
            order = self._order(order_ref)
            if order.state == "cancelled":
                raise ApiError("invalidParameters", "No such order")
            self._apply_timing(order)
            if order.pending_script:
                return {"orderRef": order.order_ref, "status": "pending",
                        "hintCode": order.pending_script.pop(0)}
            return self._collect_answer(order)

    def cancel(self, order_ref: Any) -> dict:
        with self.lock:
            order = self._order(order_ref)
            if order.is_final:
                raise ApiError("invalidParameters", "No such order")
            order.state, order.hint_code = "cancelled", "cancelled"
        return {}

    # --- the app page ---------------------------------------------------------------------------

    def open_by_autostart(self, token: str) -> SimOrder:
        with self.lock:
            order = next((o for o in self.orders.values() if o.auto_start_token == token), None)
            return self._open(order)

    def open_by_qr(self, content: str) -> SimOrder:
        parts = content.split(".")
        if len(parts) != 4 or parts[0] != "bankid" or not parts[2].isdigit():
            raise LookupError("QR-koden har fel format.")
        _, token, seconds_text, _ = parts
        with self.lock:
            order = next((o for o in self.orders.values() if o.qr_start_token == token), None)
            if order is None:
                raise LookupError("QR-koden hör inte till någon order.")
            elapsed = int(self.now() - order.created_at)
            fresh = abs(int(seconds_text) - elapsed) <= self.settings["qr_tolerance"]
            authentic = hmac.compare_digest(
                content, qr_content(token, order.qr_start_secret, int(seconds_text)))
            if not (fresh and authentic):
                raise LookupError("QR-koden är ogiltig eller för gammal.")
            return self._open(order)

    def finish(self, app_token: str, action: str, number_text: str, given: str, surname: str,
               device_ip: str) -> SimOrder:
        """Verifiera or Avbryt from the app page. Raises InvalidNumber for a malformed number."""
        with self.lock:
            order = next((o for o in self.orders.values()
                          if app_token and o.app_token == app_token), None)
            if order is None or order.state != "opened":
                raise LookupError("Ordern finns inte längre eller är redan avslutad.")
            self._apply_timing(order)
            if order.is_final:
                raise LookupError("Ordern har gått ut.")
            if action == "cancel":
                return self._fail(order, "userCancel")
            number = normalize_personnummer(number_text or "")  # as a person types it, dash or not
            if number is None:
                raise InvalidNumber(order, "Ange ett giltigt personnummer, ÅÅÅÅMMDD-XXXX eller "
                                           "ÅÅMMDD-XXXX.")
            required = order.required_personal_number
            if required and required != number:
                return self._fail(order, MISMATCH_HINT)
            return self._complete(order, number, given, surname, device_ip)

    def outstanding_orders(self) -> list[SimOrder]:
        with self.lock:
            for order in self.orders.values():
                self._apply_timing(order)
            return [o for o in self.orders.values() if o.state == "outstanding"]

    # --- internals (call with the lock held) ------------------------------------------------------

    def _validated_order(self, kind: str, body: dict) -> SimOrder:
        is_phone = kind.startswith("phone/")
        required = self._validated_requirement(body)
        if is_phone:
            required = valid_personal_number(str(body.get("personalNumber", "")))
            if required is None:
                raise ApiError("invalidParameters", "Invalid personalNumber")
            if body.get("callInitiator") not in ("user", "RP"):
                raise ApiError("invalidParameters", "Invalid callInitiator")
        else:
            _check_ip(body.get("endUserIp"))
        visible = _decoded_visible_data(body.get("userVisibleData"), kind.split("/")[-1])
        if kind.endswith("sign") and visible is None:
            raise ApiError("invalidParameters", "Missing userVisibleData")
        return SimOrder(kind=kind, end_user_ip=body.get("endUserIp", ""),
                        required_personal_number=required, user_visible_data=visible,
                        return_url=_optional_str(body, "returnUrl"), created_at=self.now())

    @staticmethod
    def _validated_requirement(body: dict) -> str | None:
        requirement = body.get("requirement", {})
        if not isinstance(requirement, dict):
            raise ApiError("invalidParameters", "Invalid requirement")
        if "personalNumber" not in requirement:
            return None
        number = valid_personal_number(str(requirement["personalNumber"]))
        if number is None:
            raise ApiError("invalidParameters", "Invalid requirement.personalNumber")
        return number

    def _forget_old_orders(self) -> None:
        """Keep memory bounded in long dev sessions; BankID forgets old orders too."""
        horizon = self.now() - 2 * self.settings["expire_after"]
        self.orders = {ref: o for ref, o in self.orders.items() if o.created_at > horizon}

    def _refuse_parallel_order(self, number: str | None) -> None:
        if number is None:
            return
        for order in self.orders.values():
            self._apply_timing(order)
            if order.required_personal_number == number and not order.is_final:
                raise ApiError("alreadyInProgress", "Order already in progress for pno")

    def _apply_order_faults(self, order: SimOrder) -> None:
        order.pending_script = list(self.settings["collect_sequence"])
        ends_with, self.settings["next_order_ends"] = self.settings["next_order_ends"], None
        complete_as, self.settings["next_complete_as"] = self.settings["next_complete_as"], None
        if ends_with:
            self._fail(order, ends_with)
        elif complete_as:
            number = valid_personal_number(complete_as) or complete_as
            self._complete(order, number, "", "", order.end_user_ip or "127.0.0.1")

    def _apply_timing(self, order: SimOrder) -> None:
        if order.is_final:
            return
        age = self.now() - order.created_at
        if order.state == "outstanding" and age >= self.settings["start_failed_after"]:
            self._fail(order, "startFailed")
        elif age >= self.settings["expire_after"]:
            self._fail(order, "expiredTransaction")

    def _order(self, order_ref: Any) -> SimOrder:
        order = self.orders.get(order_ref) if isinstance(order_ref, str) else None
        if order is None:
            raise ApiError("invalidParameters", "No such order")
        return order

    def _open(self, order: SimOrder | None) -> SimOrder:
        if order is None:
            raise LookupError("Ordern finns inte.")
        self._apply_timing(order)
        if order.state != "outstanding":
            raise LookupError("Ordern är redan startad eller avslutad.")
        order.state, order.app_token = "opened", secrets.token_urlsafe(16)
        order.hint_code = "userSign"
        return order

    @staticmethod
    def _fail(order: SimOrder, hint_code: str) -> SimOrder:
        order.state, order.hint_code = "failed", hint_code
        return order

    def _complete(self, order: SimOrder, number: str, given: str, surname: str,
                  device_ip: str) -> SimOrder:
        invented_given, invented_surname = invented_name(number)
        given, surname = given.strip() or invented_given, surname.strip() or invented_surname
        signed_text = order.user_visible_data or ""
        signature_xml = (f"<Signature simulated='true'><Text>{signed_text}</Text>"
                         f"<PersonalNumber>{number}</PersonalNumber></Signature>")
        order.state, order.hint_code = "complete", None
        order.completion = {
            "user": {"personalNumber": number, "name": f"{given} {surname}",
                     "givenName": given, "surname": surname},
            "device": {"ipAddress": device_ip, "uhi": secrets.token_urlsafe(20)},
            "bankIdIssueDate": self.settings["bank_id_issue_date"],
            "signature": base64.b64encode(signature_xml.encode("utf-8")).decode("ascii"),
            "ocspResponse": base64.b64encode(b"simulated OCSP response").decode("ascii"),
        }
        return order

    @staticmethod
    def _collect_answer(order: SimOrder) -> dict:
        answer = {"orderRef": order.order_ref}
        if order.state == "complete":
            return {**answer, "status": "complete", "completionData": order.completion}
        status = "failed" if order.state == "failed" else "pending"
        return {**answer, "status": status, "hintCode": order.hint_code}


def _check_ip(value: Any) -> None:
    try:
        ipaddress.ip_address(value if isinstance(value, str) else "")
    except ValueError:
        raise ApiError("invalidParameters", "Invalid endUserIp") from None


def _optional_str(body: dict, key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise ApiError("invalidParameters", f"Invalid {key}")
    return value


def _decoded_visible_data(value: Any, kind: str) -> str | None:
    if value is None:
        return None
    limit = USER_VISIBLE_DATA_LIMIT[kind]
    try:
        if not isinstance(value, str) or not 0 < len(value) <= limit:
            raise ValueError
        return base64.b64decode(value, validate=True).decode("utf-8")
    except (ValueError, binascii.Error):
        raise ApiError("invalidParameters", "Invalid userVisibleData") from None


# --- HTTP layer ---------------------------------------------------------------------------------

def _error_response(error_code: str, details: str):
    response = jsonify(errorCode=error_code, details=details)
    response.status_code = ERROR_STATUS.get(error_code, 400)
    return response


def _json_body() -> dict:
    if request.headers.get("Content-Type") != "application/json":
        raise ApiError("unsupportedMediaType", "Content-Type must be application/json")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError("invalidParameters", "Body must be a JSON object")
    return body


def _register_api(app: Flask, sim: Simulator) -> None:
    def start_handler(kind: str) -> Callable[[dict], dict]:
        def handle(body: dict) -> dict:
            delay = sim.settings["start_delay"]
            if delay:
                time.sleep(delay)  # outside the lock: other orders keep working
            return sim.start(kind, body)
        return handle

    handlers: dict[str, Callable[[dict], dict]] = {
        kind: start_handler(kind) for kind in ("auth", "sign", "phone/auth", "phone/sign")}
    handlers["collect"] = lambda body: sim.collect(body.get("orderRef"))
    handlers["cancel"] = lambda body: sim.cancel(body.get("orderRef"))

    @app.post(RP_PREFIX + "<path:endpoint>")
    def rp_api(endpoint: str):
        handler = handlers.get(endpoint)
        if handler is None:
            return _error_response("notFound", f"No such endpoint: {endpoint}")
        try:
            body = _json_body()
            sim.count_call_and_inject(endpoint)
            return jsonify(handler(body))
        except ApiError as error:
            return _error_response(error.error_code, error.details)

    @app.errorhandler(HTTPException)
    def rp_http_errors(error: HTTPException):
        """405/404 from routing: JSON on the API paths, the usual page elsewhere."""
        if not request.path.startswith(RP_PREFIX):
            return error
        response = _error_response(ERROR_CODE_BY_STATUS.get(error.code, "invalidParameters"),
                                   error.description or "")
        response.status_code = error.code
        if "Allow" in error.get_response().headers:
            response.headers["Allow"] = error.get_response().headers["Allow"]
        return response


def _register_control(app: Flask, sim: Simulator) -> None:
    @app.post("/sim/control")
    def sim_control():
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _error_response("invalidParameters", "Body must be a JSON object")
        try:
            sim.control(body)
        except ApiError as error:
            return _error_response(error.error_code, error.details)
        return sim_state()

    @app.post("/sim/reset")
    def sim_reset():
        sim.reset()
        return sim_state()

    @app.get("/sim/state")
    def sim_state():
        with sim.lock:
            settings = {k: v for k, v in sim.settings.items() if k != "clock"}
            orders = {ref: {"kind": o.kind, "state": o.state, "hintCode": o.hint_code}
                      for ref, o in sim.orders.items()}
            return jsonify(settings=settings, calls=dict(sim.calls), orders=orders)


# --- "the BankID app" page (Swedish) ---------------------------------------------------------------

PAGE = """<!doctype html>
<html lang="sv"><head><meta charset="utf-8"><title>BankID (simulator)</title>
<link rel="icon" href="data:,">
{% if done and return_url %}<meta http-equiv="refresh" content="{{ RETURN_DELAY }};url={{ return_url }}">{% endif %}
</head>
<body><main>
<h1>BankID-appen (simulator)</h1>
{% if error %}<p role="alert">{{ error }}</p>{% endif %}
{% if order %}
  <p>{{ "Skriv under" if order.kind.endswith("sign") else "Identifiera dig" }}
     {% if order.required_personal_number %} ({{ order.required_personal_number }}){% endif %}</p>
  {% if order.user_visible_data %}<pre>{{ order.user_visible_data }}</pre>{% endif %}
  <form method="post" action="{{ url_for('app_finish') }}">
    <input type="hidden" name="app_token" value="{{ order.app_token }}">
    <p><label for="personnummer">Ange personnummer</label>
       <input id="personnummer" name="personnummer" inputmode="numeric" autocomplete="off"
              placeholder="ÅÅÅÅMMDD-XXXX" value="{{ number }}"></p>
    <p><label for="given_name">Förnamn (valfritt)</label>
       <input id="given_name" name="given_name"></p>
    <p><label for="surname">Efternamn (valfritt)</label>
       <input id="surname" name="surname"></p>
    <button type="submit" name="action" value="verify">Verifiera</button>
    <button type="submit" name="action" value="cancel">Avbryt</button>
  </form>
{% elif done %}
  <p role="status">{{ done }}</p>
  {% if return_url %}<p><a href="{{ return_url }}">Tillbaka till tjänsten</a></p>{% endif %}
{% else %}
  <h2>Väntande ordrar</h2>
  {% for o in outstanding %}
    <p><a href="{{ url_for('app_page', autostarttoken=o.auto_start_token) }}">Öppna
       {{ o.kind }}-order {{ o.order_ref[:8] }}</a></p>
  {% else %}<p>Inga väntande ordrar.</p>{% endfor %}
  <form method="get" action="{{ url_for('app_page') }}">
    <p><label for="qr">Skannat QR-innehåll</label> <input id="qr" name="qr"></p>
    <button type="submit">Läs av QR-kod</button>
  </form>
{% endif %}
</main></body></html>"""

# Like the real app with a returnUrl, the page goes back to the service by itself (after a
# moment, so the person sees it is done); the link is there for the impatient.
RETURN_DELAY = 2

DONE_TEXTS = {"complete": "Klart. Du kan gå tillbaka till tjänsten.",
              "failed": "Åtgärden avbröts."}


def _safe_return_url(url: str | None) -> str | None:
    return url if url and url.startswith(("https://", "http://")) else None


def _register_app_page(app: Flask, sim: Simulator) -> None:
    @app.get("/app")
    def app_page():
        token, qr = request.args.get("autostarttoken"), request.args.get("qr")
        if not (token or qr):
            return render_template_string(PAGE, outstanding=sim.outstanding_orders())
        try:
            order = sim.open_by_autostart(token) if token else sim.open_by_qr(qr)
        except LookupError as refused:
            return render_template_string(PAGE, error=str(refused), outstanding=[]), 409
        return render_template_string(PAGE, order=order, number="")

    @app.post("/app")
    def app_finish():
        form = request.form
        try:
            order = sim.finish(form.get("app_token", ""), form.get("action", ""),
                               form.get("personnummer", ""), form.get("given_name", ""),
                               form.get("surname", ""), request.remote_addr or "")
        except LookupError as gone:
            return render_template_string(PAGE, error=str(gone), outstanding=[]), 409
        except InvalidNumber as invalid:
            return render_template_string(PAGE, order=invalid.order, error=str(invalid),
                                          number=form.get("personnummer", "")), 400
        return render_template_string(PAGE, done=DONE_TEXTS.get(order.state, ""), RETURN_DELAY=RETURN_DELAY,
                                      return_url=_safe_return_url(order.return_url))


def create_simulator(settings: dict | None = None) -> Flask:
    """A new simulator app with its own state; `app.extensions["bankid_simulator"]` is the
    `Simulator` (tests may call it directly)."""
    sim = Simulator(settings)
    app = Flask("bankid_simulator")
    app.extensions["bankid_simulator"] = sim
    _register_api(app, sim)
    _register_control(app, sim)
    _register_app_page(app, sim)
    return app


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # tests and dev consoles stay readable
        pass


def serve_simulator(host: str = "127.0.0.1", port: int = 0, settings: dict | None = None,
                    ssl_context: ssl.SSLContext | None = None):
    """Run a new simulator in a daemon thread. Returns (server, thread, base_url); the API is at
    base_url + RP_PREFIX. Stop with server.shutdown(); server.server_close()."""
    app = create_simulator(settings)
    server = make_server(host, port, app, threaded=True, ssl_context=ssl_context,
                         request_handler=_QuietHandler)
    # A short poll interval makes shutdown() quick (it waits for the loop to notice).
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="bankid-simulator", daemon=True)
    thread.start()
    scheme = "https" if ssl_context else "http"
    return server, thread, f"{scheme}://{host}:{server.server_port}"
