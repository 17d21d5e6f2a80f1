"""No input reaches a server error: every route in the URL map, as an anonymous visitor, a
customer and a handler, with hostile values in its path parameters, its query parameters and
every form field a page offers (row indexes and row buttons included), POSTed with a valid
CSRF token so the forms are really processed, on SQLite and on PostgreSQL (issue 10,
security checklist D1). What is stored afterwards holds no control character.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest

from app.accounts.users import ensure_user
from app.platform.extensions import db
from app.platform.inputs import UNWANTED_CHARACTERS
from app.platform.models import Case, Draft, Message, Notification, Profile, User
from tests.login_helpers import CUSTOMER, HANDLER, csrf_token, log_in_with_csrf, portal_app
from tests.test_cases import ORDERER, ROW, SITHS

APP_DIR = Path(__file__).resolve().parent.parent / "app"
HOSTILE = {
    "foreign digit": "²",
    "Arabic-Indic digit": "٣",
    "negative": "-1",
    "beyond 64 bits": "9" * 30,
    "5 000 digits": "9" * 5000,
    "NUL": "a\x00b",
    "lone surrogate": "\ud800",
    "control characters": "\x1b[2J\x7f\x85",
}
# Parameters read by name in the code, so a new one is attacked without being listed here.
READ_BY_NAME = re.compile(r"""request\.(?:args|form|values)(?:\.get(?:list)?\(|\[)\s*["']([^"']+)["']""")
ALWAYS_POSTED = {"action", "form_key", "meddelande", "version", "intern", "q", "device", "next",
                 "_step", "_move", "_reviewed"}
NAME_ATTRIBUTE = re.compile(r'\bname="([^"]+)"')
ROW_INDEX_IN_NAME = re.compile(r"-(\d+|__index__)(?=-|$)")
LIMITS = {key: 100_000 for key in ("cases_per_user", "messages_per_user", "pdfs_per_user", "login_start_per_ip",
                                   "login_start_per_session", "login_poll_per_ip", "login_poll_per_session",
                                   "login_qr_per_session", "status_changes_per_user", "searches_per_user",
                                   "drafts_per_user", "drafts_per_customer")}


def encoded(text: str) -> str:
    """Percent-encoded UTF-8; a lone surrogate goes as the bytes it would have, which no
    browser sends but anyone can."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def form_body(pairs) -> bytes:
    return "&".join(f"{encoded(name)}={encoded(value)}" for name, value in pairs).encode("ascii")


def names_read_in_code() -> set[str]:
    return {name for path in APP_DIR.rglob("*.py") for name in READ_BY_NAME.findall(path.read_text("utf-8"))}


class Visitor:
    """One browser: its role, its CSRF token, and the form field names its pages offer."""

    def __init__(self, role: str, client, token: str):
        self.role, self.client, self.token = role, client, token
        self.names: set[str] = set()

    def learn_names(self, html: str) -> None:
        self.names |= set(NAME_ATTRIBUTE.findall(html)) - {"csrf_token"}

    def hostile_pairs(self, value: str) -> list[tuple[str, str]]:
        """Every known field set to the value, and every row field once more with the value as
        its row index (personer-²-namn)."""
        pairs = [(name, value) for name in sorted(self.names | ALWAYS_POSTED)]
        pairs += [(ROW_INDEX_IN_NAME.sub(f"-{value}", name, count=1), "x")
                  for name in sorted(self.names) if ROW_INDEX_IN_NAME.search(name)]
        return [*pairs, ("csrf_token", self.token)]


# A case type in steps with a review page (tests/fixtures/steps): its pages and buttons too.
STEPPED_FORMS = Path(__file__).resolve().parent / "fixtures" / "steps"
STEPPED_SLUG = "andring-av-medarbetaruppdrag"
STEP_MOVES = ("next", "previous", "file", "edit:2")


@pytest.fixture
def hostile_portal(database_url, simulator_url, tmp_path):
    forms = tmp_path / "forms"
    shutil.copytree(APP_DIR.parent / "forms", forms)
    shutil.copy(STEPPED_FORMS / f"{STEPPED_SLUG}.json", forms)
    return portal_app(database_url, simulator_url, wtf_csrf_enabled=True, forms_dir=str(forms), **LIMITS)


def visitors(app) -> list[Visitor]:
    with app.app_context(), db.connection_context():
        ensure_user(HANDLER, "Hanna Handläggare", "handler")  # before the case, to be told of it
    anonymous = app.test_client()
    customer = app.test_client()
    customer_token = log_in_with_csrf(customer, CUSTOMER)
    filed = customer.post(SITHS, data={**ORDERER, **ROW, "form_key": "hostile-test-form-key-0001",
                                       "csrf_token": customer_token})
    assert filed.status_code == 303, filed.get_data(as_text=True)
    drafted = customer.post(SITHS + "/utkast", data={**ORDERER, **ROW, "form_key": "hostile-test-draft-key-0001",
                                                     "csrf_token": customer_token})
    assert drafted.status_code == 303, drafted.get_data(as_text=True)
    handler = app.test_client()
    handler_token = log_in_with_csrf(handler, HANDLER)
    return [Visitor("anonymous", anonymous, csrf_token(anonymous)), Visitor("customer", customer, customer_token),
            Visitor("handler", handler, handler_token)]


def valid_values(app) -> dict:
    with app.app_context(), db.connection_context():
        return {"number": Case.get().number, "slug": "bestallning-av-siths-kort", "index": "0",
                "notification_id": str(Notification.select().order_by(Notification.id).first().id),
                "filename": "portal.css", "token": Draft.get().token, "table": "personer", "file_format": "csv",
                "name": "inkomna", "file_id": "bilaga-som-inte-finns-0001"}


def url_with(rule, values: dict) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda match: values[match.group(1)], rule.rule)


def ordered_rules(app):
    """Logging out last, so each visitor keeps its session through the rest."""
    rules = [rule for rule in app.url_map.iter_rules()]
    return sorted(rules, key=lambda rule: (rule.endpoint == "auth.logout", rule.endpoint, rule.rule))


def methods_of(rule) -> list[str]:
    return sorted(set(rule.methods) - {"HEAD", "OPTIONS"})


def requests_for(rule, visitor: Visitor, valid: dict, value: str):
    """(method, path, query string, body) of each hostile request for one rule and value."""
    hostile_path = url_with(rule, {name: encoded(value) for name in valid})
    path = url_with(rule, valid)
    query = "&".join(f"{name}={encoded(value)}" for name in sorted(QUERY_NAMES))
    for method in methods_of(rule):
        if rule.arguments:
            yield method, hostile_path, "", form_body([("csrf_token", visitor.token)])
        if method == "GET":
            yield method, path, query, b""
            continue
        pairs = visitor.hostile_pairs(value)
        without_action = [pair for pair in pairs if pair[0] not in ("action", "_move")]
        for action in (None, value, "add:personer", f"add:{value}", f"remove:personer-{value}", f"import:{value}"):
            yield method, path, query, form_body(without_action + ([("action", action)] if action else []))
        if "slug" in rule.arguments:  # the stepped case type: every step button, hostile or not
            stepped = url_with(rule, {**valid, "slug": STEPPED_SLUG})
            for move in (*STEP_MOVES, value, f"edit:{value}", "add:personer"):
                yield method, stepped, query, form_body(without_action + [("_move", move)])


QUERY_NAMES = names_read_in_code() | {"efter", "pagaende_fore", "avslutade_fore", "status", "typ", "q", "sok",
                                      "next", "first"}


def test_no_route_answers_hostile_input_with_a_server_error(hostile_portal):
    app = hostile_portal
    everyone = visitors(app)
    valid = valid_values(app)
    rules = ordered_rules(app)
    for visitor in everyone:  # the names a browser would post: every field on every page it may see
        for rule in rules:
            for slug in (valid["slug"], STEPPED_SLUG):
                page = visitor.client.get(url_with(rule, {**valid, "slug": slug})) if "GET" in rule.methods else None
                if page is not None and page.mimetype == "text/html":
                    visitor.learn_names(page.get_data(as_text=True))
    assert {"meddelande", "personer-0-namn", "orderer-organisationsnummer", "kontaktvag", "_step"} <= everyone[1].names
    failures, answers = [], {}
    for visitor in everyone:
        for rule in rules:
            for label, value in HOSTILE.items():
                for method, path, query, body in requests_for(rule, visitor, valid, value):
                    response = visitor.client.open(path, method=method, query_string=query, data=body,
                                                   content_type="application/x-www-form-urlencoded")
                    answers.setdefault((visitor.role, rule.endpoint), set()).add(response.status_code)
                    if response.status_code >= 500:
                        failures.append((visitor.role, method, rule.rule, label, response.status_code))
    assert not failures, "\n".join(sorted(set(map(str, failures))))
    # The forms were really processed, not refused at the door: the case form judged the data
    # and the row buttons redrew it; both sides' messages were stored.
    assert {200, 422} <= answers[("customer", "cases.submit")]
    assert 303 in answers[("customer", "drafts.save")]  # hostile drafts were stored (and checked below)
    assert 303 in answers[("customer", "cases.post_message")] and 303 in answers[("handler", "handler.post_message")]
    with app.app_context(), db.connection_context():
        stored = [message.body for message in Message.select()]
        stored += [text for profile in Profile.select() for text in (profile.organisation_name, profile.email)]
        stored += [user.name for user in User.select()]
        stored += [text for draft in Draft.select() for pair in draft.answers for text in pair]
    assert stored and not [text for text in stored if UNWANTED_CHARACTERS.search(text)]
