"""What the API tests share: a portal with a real BankID simulator and SMTP server, API tokens
made through the `flask tokens` command as an administrator would, and cases filed through the
customer's web form."""
from __future__ import annotations

import re

from app.platform.extensions import db
from app.platform.models import ApiToken
from tests.login_helpers import portal_app
from tests.test_attachments import post_ovrigt
from tests.test_cases import ORDERER, ROW, SITHS, form_key

SECRET_LINE = re.compile(r"^kp_[A-Za-z0-9_-]{43}$", re.M)
PROBLEM = "application/problem+json"


def api_portal(database_url, simulator_url, smtp_server=None, **overrides):
    mail = {"mail_server": smtp_server.host, "mail_port": smtp_server.port} if smtp_server else {}
    settings = {"public_base_url": "https://kundportal.example.se", "api_requests_per_token": 100_000,
                "api_failed_tokens_per_address": 100_000, **mail, **overrides}
    return portal_app(database_url, simulator_url, **settings)


def create_token(portal, name: str, scope: str, *extra: str) -> str:
    """`flask tokens create NAME --scope SCOPE`; the secret it prints once."""
    result = portal.test_cli_runner().invoke(args=["tokens", "create", name, "--scope", scope, *extra])
    assert result.exit_code == 0, result.output
    return SECRET_LINE.search(result.output).group(0)


def token_id(portal, name: str) -> int:
    with portal.app_context(), db.connection_context():
        return ApiToken.get(ApiToken.name == name).id


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def file_siths_case(customer) -> str:
    response = customer.post(SITHS, data={**ORDERER, **ROW, "form_key": form_key(customer)})
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"].split("/")[2]


def assert_problem(response, status: int) -> dict:
    """An RFC 9457 problem with Swedish words, never an HTML page."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json(force=True)
    assert body["status"] == status and body["type"].startswith("urn:kundportalen:problem:")
    assert re.search(r"[åäöÅÄÖ]|ska|inte|finns|för", body["title"] + body["detail"]), body
    return body


def file_ovrigt_case(customer, files) -> tuple[str, list[str]]:
    """An "Övrigt" case with these uploads (tests.test_attachments.upload tuples): its number
    and its files' ids, in the order the customer's detail page lists them."""
    response = post_ovrigt(customer, files)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    number = response.headers["Location"].split("/")[2]
    html = customer.get(f"/arenden/{number}").get_data(as_text=True)
    return number, list(dict.fromkeys(re.findall(rf'/arenden/{number}/bilagor/([A-Za-z0-9_-]+)"', html)))

