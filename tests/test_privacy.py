"""Personnummer are sensitive (IMY): never in logs, URLs or e-mails, masked in lists
(security checklist H1, I1, I3)."""
import logging
import re

import pytest
from stdnum import luhn

from app.accounts.users import ensure_user
from app.messaging.mailer import deliver_due
from app.platform.extensions import db
from tests.login_helpers import CUSTOMER, HANDLER, log_in, log_in_with_profile, portal_app
from tests.test_cases import ORDERER, ROW, SITHS, form_key

DIGIT_RUNS = re.compile(r"(?<!\d)(\d{6}|\d{8})[-+]?(\d{4})(?!\d)")
OTHER_HANDLER = "197001012389"  # made up, Luhn-valid
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


def test_a_search_for_a_sole_traders_number_stays_out_of_urls(database_url, simulator_url, caplog):
    """The queue search is a POST; the term is kept server-side and the address carries only a
    random token, on every page of the result (security checklist I1)."""
    caplog.set_level(logging.DEBUG)
    portal = portal_app(database_url, simulator_url, cases_per_user=100)
    customer = portal.test_client()
    log_in_with_profile(customer, CUSTOMER)
    sole_trader = {**ORDERER, "orderer-organisationsnummer": "121212-1212"}
    for _ in range(26):  # more than one page of the queue
        assert customer.post(SITHS, data={**sole_trader, **ROW, "form_key": form_key(customer)}).status_code == 303
    customer.post(SITHS, data={**ORDERER, **ROW, "form_key": form_key(customer)})  # another organisation
    with portal.app_context(), db.connection_context():
        ensure_user(HANDLER, "Hanna", "handler")
        ensure_user(OTHER_HANDLER, "Harald", "handler")
    handler = portal.test_client()
    log_in(handler, HANDLER)
    addresses, shown = [], []
    for typed in ("121212-1212", "191212121212", "1212121212"):
        response = handler.post("/handlaggare/arenden/sok", data={"status": "all", "q": typed})
        address = response.headers["Location"]
        while address:
            addresses.append(address)
            page = handler.get(address).get_data(as_text=True)
            shown.append(page.count("121212-****"))
            assert "2026-00027" not in page  # the other organisation's case is not a match
            more = re.search(r'href="([^"]*efter=[^"]*)">Nästa sida', page)
            address = more.group(1).replace("&amp;", "&") if more else None
    assert shown == [25, 1] * 3
    assert all(re.fullmatch(r"/handlaggare/arenden\?status=all&sok=[\w-]{16}(&efter=\d+)?", a) for a in addresses)
    assert all(luhn_numbers(address) == [] and "1212" not in address for address in addresses)
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name != "mail.log")
    assert luhn_numbers(logged) == []
    colleague = portal.test_client()  # a token is its handler's own
    log_in(colleague, OTHER_HANDLER)
    borrowed = colleague.get(addresses[0]).get_data(as_text=True)
    assert "Sökningen finns inte längre" in borrowed and "121212-****" in borrowed  # the unfiltered queue
    typed_in_address = handler.get("/handlaggare/arenden?status=all&q=2026-00027").get_data(as_text=True)
    assert typed_in_address.count("121212-****") == 25  # q= in an address is not read
