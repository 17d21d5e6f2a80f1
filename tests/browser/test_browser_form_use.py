"""The SITHS form as a person uses it: mistakes shown where they were made with nothing lost,
and the whole form done with the keyboard alone."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    CUSTOMER,
    LABEL_OFFICE,
    LABEL_PNR,
    SITHS_TITLE,
    Person,
    add_row,
    choose_case_type,
    fill_mina_uppgifter,
    fill_person,
    log_in,
    person_rows,
    read_person,
)

ANNA = Person("Anna Åkesson", "191212121212", "anna@example.se", "Ny medarbetare", "Uppsala")
WRONG = Person("Bo Ek", "19121212-1213", "bo@example.se", "Luhn-siffran är fel", office=None)
PNR_MESSAGE = "Kontrollsiffran stämmer inte"  # a typo, told apart from a wrong format
OFFICE_MESSAGE = "Välj ett kortutlämningskontor, eller kryssa i Eget kortkontor."


def open_siths_form(page: Page, portal) -> None:
    """Log in as the customer, fill Mina uppgifter and open the SITHS order form."""
    log_in(page, portal, CUSTOMER)
    fill_mina_uppgifter(page)
    choose_case_type(page, SITHS_TITLE)


def has_focus(locator) -> bool:
    """Whether this element has keyboard focus now."""
    return locator.evaluate("el => el === document.activeElement")


def tab_to(page: Page, locator, *, backwards: bool = False, max_presses: int = 40) -> int:
    """Press Tab (Shift+Tab when `backwards`) until `locator` has focus; fails when the key
    never gets there. Returns how many presses it took."""
    key = "Shift+Tab" if backwards else "Tab"
    for presses in range(1, max_presses + 1):
        page.keyboard.press(key)
        if has_focus(locator):
            return presses
    focused = page.evaluate("() => document.activeElement && document.activeElement.outerHTML.slice(0, 120)")
    raise AssertionError(f"{key} never reached {locator} (focus is on {focused})")


def type_row(page: Page, person: Person) -> None:
    """From the row's first field: type name, Tab, personnummer, Tab, e-post, Tab, information,
    Tab, and pick the office by typing its first letters (a closed select's type-ahead)."""
    for index, value in enumerate((person.name, person.personnummer, person.email, person.info)):
        if index:
            page.keyboard.press("Tab")
        if value:
            page.keyboard.type(value)
    page.keyboard.press("Tab")
    if person.office:
        page.keyboard.type(person.office[:5])


def test_mistakes_are_shown_next_to_their_fields_and_nothing_typed_is_lost(open_page, live_portal):
    """An invalid personnummer in row 2 and a missing kortutlämningskontor: each message sits
    in the field's own cell and is the field's accessible description, focus moves to the error
    summary at the top, its links lead to the fields (and focus them), and every value typed is
    still there."""
    page = open_page()
    open_siths_form(page, live_portal)
    page.get_by_label("Enhet", exact=True).fill("Röntgen")
    fill_person(person_rows(page).nth(0), ANNA)
    add_row(page)
    fill_person(person_rows(page).nth(1), WRONG)
    page.get_by_role("button", name="Skicka in").click()

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading", name="Formuläret innehåller fel")).to_be_visible()
    assert summary.bounding_box()["y"] < page.get_by_role("heading", level=1).bounding_box()["y"] + 200
    expect(summary.get_by_role("link")).to_have_count(2)

    row = person_rows(page).nth(1)
    for label, message in ((LABEL_PNR, PNR_MESSAGE), (LABEL_OFFICE, OFFICE_MESSAGE)):
        field = row.get_by_label(label)
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(field).to_have_accessible_description(re.compile(re.escape(message)))
        cell = row.get_by_role("cell").filter(has=page.get_by_label(label))
        expect(cell.locator(".error-message")).to_contain_text(message)
        expect(summary.get_by_role("link", name=re.compile(re.escape(message)))).to_be_visible()
    expect(person_rows(page).nth(0).locator(".error-message")).to_have_count(0)

    assert read_person(person_rows(page).nth(0)) == ANNA
    assert read_person(row) == WRONG
    expect(page.get_by_label("Enhet", exact=True)).to_have_value("Röntgen")

    summary.get_by_role("link", name=re.compile(PNR_MESSAGE)).click()
    expect(row.get_by_label(LABEL_PNR)).to_be_in_viewport()
    expect(row.get_by_label(LABEL_PNR)).to_be_focused()
    assert page.url.endswith("#personer-1-personnummer")


def test_the_siths_form_with_the_keyboard_alone(open_page, live_portal):
    """From the skip link to "Ditt ärende är nu inskickat." with Tab, Space, Enter and typing
    only: three persons added with "Lägg till ny rad", the second removed with its "Ta bort",
    focus lands in the new row (and in the following row after a removal), the select and the
    "Eget kortkontor" box work without a mouse."""
    anna = Person("Anna Åkesson", "191212121212", "anna@example.se", "Ny medarbetare", "Stockholm")
    removed = Person("Cilla Tasbort", "198112289874", "cilla@example.se", "", "Malmö")
    bo = Person("Bo Ek", "194108207210", "bo@example.se", "", None, own_office=True)
    page = open_page()
    open_siths_form(page, live_portal)
    add_button = page.get_by_role("button", name="Lägg till ny rad")

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Hoppa till innehållet")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    tab_to(page, page.locator("#personer-0-namn"))
    type_row(page, anna)
    for person in (removed, bo):
        tab_to(page, add_button)
        page.keyboard.press("Enter")
        rows = person_rows(page)
        expect(rows).to_have_count(2 if person is removed else 3)
        expect(rows.last.get_by_label("För- och efternamn")).to_be_focused()
        type_row(page, person)
    tab_to(page, person_rows(page).nth(2).get_by_label("Eget kortkontor"))
    page.keyboard.press("Space")

    tab_to(page, person_rows(page).nth(1).get_by_role("button", name="Ta bort"), backwards=True)
    page.keyboard.press("Enter")
    expect(person_rows(page)).to_have_count(2)
    expect(person_rows(page).nth(1).get_by_label("För- och efternamn")).to_be_focused()
    assert [read_person(person_rows(page).nth(i)) for i in range(2)] == [anna, bo]

    tab_to(page, page.get_by_role("button", name="Skicka in"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Ditt ärende är nu inskickat.")).to_be_visible()
