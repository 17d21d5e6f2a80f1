"""The handler's "Avsluta ärendet" asks first: a dialog with JavaScript, a confirmation page
without it; saying no changes nothing and keeps the closing message as typed."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.accounts.users import ensure_user
from app.cases import filing
from app.cases.types import case_types
from app.platform.extensions import db
from app.platform.models import Case
from tests.browser.helpers import CUSTOMER, confirm_and_close, log_in_as_handler, open_case_as_handler

CLOSING = "Korten är skickade till ert kortkontor."
ORDERER = {"organisation": "Region Uppland", "organisationsnummer": "232100-0016", "enhet": "Akuten",
           "namn": "Tolvan Tolvansson", "epost": "tolvan@example.se"}


def filed_case(portal) -> str:
    """An Övrigt case filed straight through the case service (the customer's side is tested
    elsewhere)."""
    with portal.app.app_context(), db.connection_context():
        owner = ensure_user(CUSTOMER, "Tolvan Tolvansson")
        case = filing.file_case(owner, case_types()["ovrigt"], {"beskrivning": "Hjälp med kortläsaren"},
                                ORDERER, "nyckel-1")
        return case.number


def status_of(portal, number: str) -> str:
    with portal.app.app_context(), db.connection_context():
        return Case.get(Case.number == number).status


def test_with_javascript_a_dialog_asks_and_no_changes_nothing(open_page, live_portal):
    page = open_page()
    number = filed_case(live_portal)
    log_in_as_handler(page, live_portal)
    open_case_as_handler(page, number)
    page.get_by_label("Meddelande till kunden när ärendet avslutas (valfritt)").fill(CLOSING)
    asked = []

    def say_no(dialog):
        asked.append(dialog.message)
        dialog.dismiss()
    page.once("dialog", say_no)
    page.get_by_role("button", name="Avsluta ärendet").click()
    page.wait_for_timeout(300)
    assert asked == [f"Vill du avsluta ärende {number}? Kunden kan då inte längre skicka meddelanden i det."]
    assert status_of(live_portal, number) != filing.CLOSED
    expect(page.get_by_label("Meddelande till kunden när ärendet avslutas (valfritt)")).to_have_value(CLOSING)
    confirm_and_close(page)
    assert status_of(live_portal, number) == filing.CLOSED
    expect(page.locator(".message__body", has_text=CLOSING)).to_be_visible()


@pytest.mark.parametrize("answer", ["Nej, tillbaka till ärendet", "Ja, avsluta ärendet"])
def test_without_javascript_a_confirmation_page_asks(open_page, live_portal, answer):
    page = open_page(javascript=False)
    number = filed_case(live_portal)
    log_in_as_handler(page, live_portal, javascript=False)
    open_case_as_handler(page, number)
    page.get_by_label("Meddelande till kunden när ärendet avslutas (valfritt)").fill(CLOSING)
    page.get_by_role("button", name="Avsluta ärendet").click()
    expect(page.get_by_role("heading", level=1, name=f"Vill du avsluta ärende {number}?")).to_be_visible()
    expect(page.get_by_text(CLOSING)).to_be_visible()
    assert status_of(live_portal, number) != filing.CLOSED  # asking changed nothing
    page.get_by_role("button", name=answer).click()
    if answer.startswith("Nej"):
        expect(page.get_by_label("Meddelande till kunden när ärendet avslutas (valfritt)")).to_have_value(CLOSING)
        assert status_of(live_portal, number) != filing.CLOSED
    else:
        expect(page.get_by_role("button", name="Återöppna ärendet")).to_be_visible()
        assert status_of(live_portal, number) == filing.CLOSED
        expect(page.locator(".message__body", has_text=CLOSING)).to_be_visible()
