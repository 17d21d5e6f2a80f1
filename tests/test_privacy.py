"""Personnummer are sensitive (IMY): never in logs, URLs or e-mails, masked in lists
(security checklist H1, I1, I3)."""
import logging
import re

import pytest
from stdnum import luhn

from app.platform.extensions import db
from app.messaging.mailer import deliver_due
from app.accounts.users import ensure_user
from tests.login_helpers import CUSTOMER, HANDLER, log_in, log_in_with_profile, portal_app
from tests.test_cases import ORDERER, ROW, SITHS, form_key

DIGIT_RUNS = re.compile(r"(?<!\d)(\d{6}|\d{8})[-+]?(\d{4})(?!\d)")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def luhn_numbers(text: str) -> list[str]:
    """Every 10/12-digit run (with or without separator) whose last ten digits pass Luhn."""
    return [a + b for a, b in DIGIT_RUNS.findall(text) if luhn.is_valid((a + b)[-10:])]


@pytest.fixture
def portal(sqlite_url, simulator_url, smtp_server):
    return portal_app(sqlite_url, simulator_url, mail_server=smtp_server.host, mail_port=smtp_server.port)


def test_a_whole_flow_leaves_no_personal_data_in_logs_or_urls(portal, smtp_server, caplog):
    caplog.set_level(logging.DEBUG)
    visited = []
    customer = portal.test_client()
    log_in_with_profile(customer, CUSTOMER)
    response = customer.post(SITHS, data={**ORDERER, **ROW, "form_key": form_key(customer)})
    visited.append(response.headers["Location"])
    number = response.headers["Location"].split("/")[2]
    with portal.app_context(), db.connection_context():
        ensure_user(HANDLER, "Hanna", "handler")
    handler = portal.test_client()
    visited.append(log_in(handler, HANDLER).headers["Location"])
    html = handler.get(f"/handlaggare/arenden/{number}").get_data(as_text=True)
    key = re.search(r'name="form_key" value="([^"]+)"', html).group(1)
    visited.append(handler.post(f"/handlaggare/arenden/{number}/meddelanden",
                                data={"meddelande": "Klart", "form_key": key}).headers["Location"])
    with portal.app_context():
        deliver_due(portal)
    # mail.log is the test's own SMTP server (the "outside world"), not the portal.
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name != "mail.log")
    assert luhn_numbers(logged) == [] and EMAIL.findall(logged) == []
    assert all(luhn_numbers(url) == [] for url in visited)
    assert len(smtp_server.messages) == 2  # the receipt and the reply
    for mail in smtp_server.messages:
        assert luhn_numbers(mail.get_content() + mail["Subject"]) == []


def test_lists_show_no_full_personnummer(portal):
    sole_trader = {**ORDERER, "orderer-organisationsnummer": "121212-1212"}
    customer = portal.test_client()
    log_in_with_profile(customer, CUSTOMER)
    customer.post(SITHS, data={**sole_trader, **ROW, "form_key": form_key(customer)})
    with portal.app_context(), db.connection_context():
        ensure_user(HANDLER, "Hanna", "handler")
    handler = portal.test_client()
    log_in(handler, HANDLER)
    queue = handler.get("/handlaggare/arenden").get_data(as_text=True)
    assert luhn_numbers(queue) == [] and "121212-****" in queue
    assert luhn_numbers(customer.get("/mina-sidor").get_data(as_text=True)) == []
