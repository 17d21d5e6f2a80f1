"""Every route is classified; a new route that is not in the table fails here, so it cannot
skip the access-control, CSRF and header checks (security checklist B1, C1, C2, J1)."""
import re
from http.cookies import SimpleCookie

import pytest
from werkzeug.exceptions import MethodNotAllowed

from app.accounts.users import ensure_user
from app.platform.extensions import db
from tests.login_helpers import (
    CUSTOMER,
    HANDLER,
    approve_in_app,
    csrf_token,
    log_in_with_profile,
    portal_app,
    start_url,
)
from tests.test_cases import ORDERER, ROW, SITHS, form_key

PUBLIC, CUSTOMER_ONLY, HANDLER_ONLY, DEVELOPMENT = "public", "customer", "handler", "development"
API_TOKEN = "api token"  # Authorization: Bearer only; no cookie counts, so no CSRF (tests/test_api.py)

ROUTES = {
    "public.start": PUBLIC, "static": PUBLIC,
    "health.healthz": PUBLIC, "health.readyz": PUBLIC, "metrics": PUBLIC,  # operators' probes (loopback or token for metrics)
    "public.accessibility": PUBLIC, "public.privacy": PUBLIC, "public.cookies": PUBLIC,
    "auth.login": PUBLIC, "auth.start": PUBLIC, "auth.waiting": PUBLIC, "auth.poll": PUBLIC,
    "auth.qr": PUBLIC, "auth.cancel": PUBLIC, "auth.logout": PUBLIC,
    "profile.edit": CUSTOMER_ONLY,
    "cases.choose": CUSTOMER_ONLY, "cases.new": CUSTOMER_ONLY, "cases.submit": CUSTOMER_ONLY,
    "cases.submitted": CUSTOMER_ONLY, "cases.detail": CUSTOMER_ONLY, "cases.pdf": CUSTOMER_ONLY,
    "cases.post_message": CUSTOMER_ONLY, "cases.my_pages": CUSTOMER_ONLY, "cases.row_template": CUSTOMER_ONLY,
    "drafts.save": CUSTOMER_ONLY, "drafts.resume": CUSTOMER_ONLY, "drafts.delete": CUSTOMER_ONLY,
    "bell.index": CUSTOMER_ONLY, "bell.open_item": CUSTOMER_ONLY, "bell.read_all": CUSTOMER_ONLY,
    "handler.queue": HANDLER_ONLY, "handler.search": HANDLER_ONLY, "handler.case_page": HANDLER_ONLY, "handler.change_status": HANDLER_ONLY,
    "handler.post_message": HANDLER_ONLY, "handler.pdf": HANDLER_ONLY, "handler.table_csv": HANDLER_ONLY,
    "handler.confirm_close": HANDLER_ONLY, "handler.assign": HANDLER_ONLY,
    "statistics.index": HANDLER_ONLY, "statistics.csv": HANDLER_ONLY,
    "preview.index": DEVELOPMENT, "preview.form": DEVELOPMENT, "preview.row_template": DEVELOPMENT,
    "api.openapi_json": PUBLIC, "api.docs": DEVELOPMENT,
    "api.case_type_list": API_TOKEN, "api.case_list": API_TOKEN, "api.case_detail": API_TOKEN,
    "api.case_pdf": API_TOKEN, "api.case_attachment": API_TOKEN, "api.change_status": API_TOKEN,
    "api.post_message": API_TOKEN,
    "cases.attachment": CUSTOMER_ONLY, "handler.attachment": HANDLER_ONLY,  # downloads of attached files
}
# Endpoints whose POST changes state; none of them may answer GET.
STATE_CHANGING = {"auth.start", "auth.poll", "auth.cancel", "auth.logout", "cases.submit", "cases.post_message",
                  "bell.open_item", "bell.read_all", "handler.change_status", "handler.post_message", "handler.search",
                  "drafts.save", "drafts.delete", "api.change_status", "api.post_message", "handler.assign"}
SAMPLE_VALUES = {"number": "2026-00001", "slug": "bestallning-av-siths-kort", "notification_id": "1",
                 "index": "0", "filename": "portal.css", "token": "A" * 22, "table": "personer", "file_format": "csv",
                 "name": "inkomna", "file_id": "bilaga-som-inte-finns-0001"}


@pytest.fixture
def portal(sqlite_url, simulator_url):
    return portal_app(sqlite_url, simulator_url)


def rules(app):
    return [rule for rule in app.url_map.iter_rules()]


def url_of(rule) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: SAMPLE_VALUES[m.group(1)], rule.rule)


def methods_of(rule) -> set:
    return set(rule.methods) - {"HEAD", "OPTIONS"}


def test_every_route_is_classified(portal):
    assert {rule.endpoint for rule in rules(portal)} == set(ROUTES)


def test_state_changing_routes_refuse_get(portal):
    """A GET to a state-changing URL reaches another (read-only) view or is refused with 405."""
    adapter = portal.url_map.bind("localhost")
    client = portal.test_client()
    for rule in rules(portal):
        if rule.endpoint in STATE_CHANGING:
            assert "GET" not in methods_of(rule), rule.endpoint
            try:
                assert adapter.match(url_of(rule), method="GET")[0] not in STATE_CHANGING
            except MethodNotAllowed:
                assert client.get(url_of(rule)).status_code == 405, rule.endpoint


def test_anonymous_visitors_get_nothing_private(portal):
    client = portal.test_client()
    for rule in rules(portal):
        if ROUTES[rule.endpoint] in (CUSTOMER_ONLY, HANDLER_ONLY):
            for method in methods_of(rule):
                response = client.open(url_of(rule), method=method)
                assert response.status_code == 302 and response.headers["Location"].startswith("/logga-in"), rule
        if ROUTES[rule.endpoint] == API_TOKEN:
            for method in methods_of(rule):
                assert client.open(url_of(rule), method=method).status_code == 401, rule


def test_customers_get_403_on_every_handler_route(portal):
    client = portal.test_client()
    log_in_with_profile(client, CUSTOMER)
    client.post(SITHS, data={**ORDERER, **ROW, "form_key": form_key(client)})
    for rule in rules(portal):
        if ROUTES[rule.endpoint] == HANDLER_ONLY:
            for method in methods_of(rule):
                assert client.open(url_of(rule), method=method).status_code == 403, rule


def test_every_post_needs_a_csrf_token(sqlite_url, simulator_url):
    app = portal_app(sqlite_url, simulator_url, wtf_csrf_enabled=True)
    client = app.test_client()
    with app.app_context(), db.connection_context():
        ensure_user(HANDLER, "Hanna", "handler")
    for rule in rules(app):
        if "POST" in methods_of(rule):
            refused = 401 if ROUTES[rule.endpoint] == API_TOKEN else 400  # the API: no token, nothing
            assert client.post(url_of(rule), data={}).status_code == refused, rule.endpoint


@pytest.mark.parametrize("path", ["/", "/logga-in", "/finns-inte", "/static/portal.css"])
def test_security_headers_on_every_kind_of_response(portal, path):
    response = portal.test_client().get(path)
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_production_session_cookie_attributes(sqlite_url, simulator_url, tmp_path):
    paths = {}
    for key in ("bankid_cert", "bankid_key", "bankid_ca"):
        (tmp_path / key).write_text("x", encoding="utf-8")
        paths[key] = str(tmp_path / key)
    app = portal_app(sqlite_url, simulator_url, env="production", secret_key="p" * 48, form_preview=False,
                     trusted_hosts=["localhost"], public_base_url="https://localhost", wtf_csrf_enabled=True, **paths)
    client = app.test_client()  # production refuses to start without CSRF protection
    client.post("/logga-in", data={"device": "this", "csrf_token": csrf_token(client)})
    approve_in_app(start_url(client.get("/logga-in/bankid").get_data(as_text=True)), CUSTOMER)
    response = client.post("/logga-in/bankid", data={"csrf_token": csrf_token(client, "/logga-in/bankid")})
    cookie = SimpleCookie(response.headers["Set-Cookie"])["__Host-session"]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["path"] == "/" and not cookie["domain"]


def test_pages_for_logged_in_users_are_never_cached(portal):
    client = portal.test_client()
    assert "no-store" not in portal.test_client().get("/").headers.get("Cache-Control", "")
    log_in_with_profile(client, CUSTOMER)
    for path in ("/", "/mina-sidor", "/mina-uppgifter", "/arenden/nytt"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
