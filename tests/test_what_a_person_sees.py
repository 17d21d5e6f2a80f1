"""What a customer and a handler see on the pages this file names: a closed case says so and
what to do instead; opening a case reads its bell notifications; Mina sidor names each table
once; the audit trail speaks Swedish; a CSV export leaves unanswered cells empty."""
import csv
import io
import re

import pytest

from app.cases import handling as casework
from app.platform.extensions import db
from app.platform.models import Case, Notification, User
from tests import test_handling
from tests.login_helpers import CUSTOMER, HANDLER, OTHER_CUSTOMER, PROFILE_FORM, log_in_with_profile
from tests.test_handling import change, file_case, reply

# The same portal as the handling tests (the logged-in clients come from tests/client_fixtures.py).
portal = test_handling.portal


def bell_count(client) -> int:
    html = client.get("/notiser").get_data(as_text=True)
    return int(re.search(r"data-bell-count>(\d+)<", html).group(1))


def unread_rows(portal, personnummer: str) -> int:
    with portal.app_context(), db.connection_context():
        user = User.get(User.personnummer == personnummer)
        return Notification.select().where((Notification.user == user) & Notification.read_at.is_null()).count()


def test_a_closed_case_says_so_and_what_to_do_instead(customer, handler):
    number = file_case(customer)
    open_page = customer.get(f"/arenden/{number}").get_data(as_text=True)
    assert 'name="meddelande"' in open_page and "Ärendet är avslutat" not in open_page
    change(handler, number, "close")
    closed = customer.get(f"/arenden/{number}").get_data(as_text=True)
    assert 'name="meddelande"' not in closed
    notice = closed.split('id="arendet-ar-avslutat"', 1)[1].split("</div>", 1)[0]
    assert "Ärendet är avslutat." in notice and "Det går inte längre att skicka meddelanden" in notice
    assert 'href="/arenden/nytt">Beskriv ett nytt ärende</a>' in notice and number in notice


def test_opening_a_case_reads_its_bell_notifications(portal, customer, handler):
    first, second = file_case(customer), file_case(customer)
    assert unread_rows(portal, HANDLER) == 2  # a new case each
    handler.get(f"/handlaggare/arenden/{first}")
    assert unread_rows(portal, HANDLER) == 1 and bell_count(handler) == 1  # the other case's stays
    reply(handler, f"/handlaggare/arenden/{second}", "Vi tittar på det.")
    change(handler, second, "take")
    assert bell_count(customer) == 2
    customer.get(f"/arenden/{first}")
    assert bell_count(customer) == 2  # another case: nothing read
    customer.get(f"/arenden/{second}")
    assert bell_count(customer) == 0 and unread_rows(portal, CUSTOMER) == 0


def test_mina_sidor_names_each_table_once(customer):
    file_case(customer)
    html = customer.get("/mina-sidor").get_data(as_text=True)
    assert html.count("Pågående ärenden") == 1 and html.count("Avslutade ärenden") == 1
    assert "<caption>" not in html
    assert 'aria-labelledby="ongoing"' in html and '<h2 id="ongoing">Pågående ärenden</h2>' in html


def test_every_audit_event_has_swedish_words_and_unknown_ones_are_refused(portal, customer, handler):
    number = file_case(customer)
    with portal.app_context(), db.connection_context():
        case = Case.get(Case.number == number)
        actor = User.get(User.personnummer == HANDLER)
        for action in casework.AUDIT_TEXTS:
            casework.audit(actor, case, action)
        with pytest.raises(ValueError):
            casework.audit(actor, case, "titta")
    history = handler.get(f"/handlaggare/arenden/{number}").get_data(as_text=True)
    for action, text in casework.AUDIT_TEXTS.items():
        assert re.fullmatch(r"[A-ZÅÄÖ][a-zåäö]+( [A-Za-zåäöÅÄÖ]+)*", text), text  # words, not a code
        assert f"– {text}</li>" in history, action


def test_csv_export_leaves_unanswered_cells_empty(customer, handler):
    number = file_case(customer)  # the row leaves "Övrig information" unanswered
    text = handler.get(f"/handlaggare/arenden/{number}/tabell-0.csv").data.decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert row[header.index("Övrig information")] == ""
    assert "–" not in text
    page = handler.get(f"/handlaggare/arenden/{number}").get_data(as_text=True)
    assert "–" in page  # people reading the page still see the dash for "not given"


def test_filing_sends_a_receipt_with_number_and_type_only(portal, customer, smtp_server):
    number = file_case(customer)
    test_handling.run_worker(portal)
    (receipt,) = smtp_server.messages
    body = receipt.get_content()
    assert receipt["To"] == "tolvan@example.se"
    assert receipt["Subject"] == f"Vi har tagit emot ert ärende {number}"
    assert f"Vi har tagit emot ert ärende {number} (Beställning av SITHS-kort)." in body
    assert f"https://kundportal.example.se/arenden/{number}" in body
    assert not test_handling.LUHN_NUMBER.search(body + receipt["Subject"])
    for filed_content in ("Anna", "anna@example.se", "Region Uppland", "Akutmottagningen", "Uppsala"):
        assert filed_content not in body


def test_no_receipt_for_a_customer_who_did_not_ask_for_e_mail(portal, smtp_server):
    client = portal.test_client()
    log_in_with_profile(client, OTHER_CUSTOMER, {**PROFILE_FORM, "notifieringar-epost": ""})
    file_case(client)
    test_handling.run_worker(portal)
    assert smtp_server.messages == []
