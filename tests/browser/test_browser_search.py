"""The queue search as a handler uses it, without JavaScript: a sole trader's organisationsnummer
(a personnummer) typed in the search finds the case, stays in the box for the handler to see,
and never appears in the address bar, at 1280 and 390 px (issue 10, checklist I1). And a
customer who files for a sole trader may type the organisationsnummer as the personnummer it is."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    CUSTOMER,
    DESKTOP,
    PHONE,
    SITHS_TITLE,
    Person,
    choose_case_type,
    fill_mina_uppgifter,
    fill_person,
    log_in,
    log_in_as_handler,
    menu_link,
    person_rows,
    screenshot,
    submit_case,
)

SOLE_TRADER = "19121212-1212"  # typed in its 12-digit personnummer form
ANNA = Person("Anna Åkesson", "191212121212", "anna@example.se")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_a_search_for_a_sole_trader_keeps_the_number_out_of_the_address(open_page, live_portal, viewport):
    customer = open_page(javascript=False, viewport=viewport)
    log_in(customer, live_portal, CUSTOMER, javascript=False)
    fill_mina_uppgifter(customer)
    choose_case_type(customer, SITHS_TITLE)
    customer.get_by_label("Organisationsnummer", exact=False).first.fill(SOLE_TRADER)
    fill_person(person_rows(customer).first, ANNA)
    number = submit_case(customer)

    handler = open_page(javascript=False, viewport=viewport)
    log_in_as_handler(handler, live_portal, javascript=False)
    menu_link(handler, "Ärenden").click()
    handler.get_by_label("Sök ärendenummer eller organisation").fill(SOLE_TRADER)
    handler.get_by_role("button", name="Filtrera").click()
    expect(handler.get_by_role("link", name=number)).to_be_visible()
    expect(handler.get_by_text("121212-****")).to_be_visible()  # masked in the list
    expect(handler.get_by_label("Sök ärendenummer eller organisation")).to_have_value(SOLE_TRADER)
    assert re.search(r"sok=[\w-]{16}", handler.url) and not re.search(r"1212", handler.url), handler.url
    handler.reload()  # the address alone shows the same result
    expect(handler.get_by_role("link", name=number)).to_be_visible()
    screenshot(handler, "queue-search-sole-trader")
