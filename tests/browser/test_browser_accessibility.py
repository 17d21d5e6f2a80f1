"""Accessibility in a real browser: axe-core on every page of the guide's flow at desktop and
phone width (with a screenshot of each under test-artifacts/screenshots/), labels and error
links on the generated form, and the persons table as a real table on a desktop and as readable
stacked rows on a 390 px phone."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    BLOCKING_IMPACTS,
    CUSTOMER,
    DESKTOP,
    LABEL_EMAIL,
    LABEL_INFO,
    LABEL_NAME,
    LABEL_OFFICE,
    LABEL_OWN_OFFICE,
    LABEL_PNR,
    PHONE,
    SITHS_TITLE,
    Person,
    add_row,
    approve_in_bankid_app,
    assert_accessible,
    axe_violations,
    choose_case_type,
    fill_mina_uppgifter,
    fill_person,
    format_violations,
    log_in,
    log_in_as_handler,
    menu_link,
    open_case_as_handler,
    person_rows,
    reply_and_close,
    run_mail_worker,
    screenshot,
    submit_case,
)

COLUMN_LABELS = [LABEL_NAME, LABEL_PNR, LABEL_EMAIL, LABEL_INFO, LABEL_OFFICE, LABEL_OWN_OFFICE]
ANNA = Person("Anna Åkesson", "191212121212", "anna@example.se", "Ny medarbetare", "Uppsala")


def dominant_colour(button) -> str:
    """"red", "green" or "other": the button's background, with white text required."""
    colours = button.evaluate("b => [getComputedStyle(b).backgroundColor, getComputedStyle(b).color]")
    (r, g, b), text = [tuple(int(v) for v in c[c.index("(") + 1:c.index(")")].split(",")[:3]) for c in colours]
    if text != (255, 255, 255):
        return "other"
    return "red" if r > 2 * max(g, b) else "green" if g > 1.5 * max(r, b) else "other"


def sideways_overflow(page: Page) -> int:
    """How many pixels the whole page is wider than the window (0 when it fits)."""
    return page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")


class PageAudit:
    """Screenshots, axe and "does it fit the screen" on each page at 1280 and 390 px; failures
    are gathered so one run reports every page that has a problem, not just the first."""

    def __init__(self):
        self.problems: list[str] = []
        self.pages: list[str] = []

    def check(self, page: Page, name: str) -> None:
        self.pages.append(name)
        for viewport in (DESKTOP, PHONE):
            page.set_viewport_size(viewport)
            screenshot(page, name)
            blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING_IMPACTS]
            if blocking:
                self.problems.append(f"== {name} at {viewport['width']} px ({page.url})\n{format_violations(blocking)}")
            overflow = sideways_overflow(page)
            if overflow > 0:
                self.problems.append(f"== {name} at {viewport['width']} px ({page.url})\n"
                                     f"[look] the page scrolls sideways by {overflow} px")
        page.set_viewport_size(DESKTOP)

    def assert_clean(self) -> None:
        assert not self.problems, "problems found (axe: serious or critical; look: fits a phone):\n" + "\n".join(self.problems)


def test_every_page_of_the_flow_passes_axe(open_page, live_portal):
    """start, login, BankID waiting page, Mina uppgifter (also with errors), Beskriv ärendet,
    the case form (also with errors), confirmation, detail, Mina sidor, the handler's queue and
    case view, the bell page: no axe violation of impact serious or critical at either width,
    and no page wider than a 390 px phone."""
    audit = PageAudit()
    page = open_page()
    page.goto(live_portal.at("/"))
    audit.check(page, "01-start")
    page.get_by_role("link", name="Starta e-tjänsten").click()
    audit.check(page, "02-logga-in")
    page.get_by_role("button", name="BankID på denna enhet").click()
    expect(page.get_by_role("link", name="Starta BankID-appen")).to_be_visible()
    audit.check(page, "03-bankid-vantar")
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Starta BankID-appen").click(modifiers=["ControlOrMeta"])
    screenshot(opened.value, "03b-bankid-simulator")
    approve_in_bankid_app(opened.value, CUSTOMER)
    opened.value.close()
    page.wait_for_url("**/mina-uppgifter**")
    audit.check(page, "04-mina-uppgifter")
    page.get_by_label("Organisationsnummer ÅÅMMDD-XXXX eller XXXXXX-XXXX").fill("123")
    page.get_by_role("button", name="Spara").click()
    expect(page.get_by_role("heading", name="Formuläret innehåller fel")).to_be_visible()
    audit.check(page, "05-mina-uppgifter-fel")
    fill_mina_uppgifter(page)
    audit.check(page, "06-beskriv-arendet")
    choose_case_type(page, SITHS_TITLE)
    audit.check(page, "07-siths-formular")
    add_row(page)
    fill_person(person_rows(page).nth(0), ANNA)
    person_rows(page).nth(1).get_by_label(LABEL_PNR).fill("19121212-1213")
    page.get_by_role("button", name="Skicka in").click()
    expect(page.get_by_role("heading", name="Formuläret innehåller fel")).to_be_visible()
    audit.check(page, "08-siths-formular-fel")
    fill_person(person_rows(page).nth(1), Person("Bo Ek", "194108207210", "bo@example.se", office="Malmö"))
    number = submit_case(page)
    audit.check(page, "09-inskickat")
    page.get_by_role("link", name="Visa detaljer").click()
    audit.check(page, "10-detaljer")
    menu_link(page, "Mina Sidor").click()
    audit.check(page, "11-mina-sidor")

    handler = open_page()
    log_in_as_handler(handler, live_portal)
    menu_link(handler, "Ärenden").click()
    audit.check(handler, "12-handlaggare-arenden")
    open_case_as_handler(handler, number)
    audit.check(handler, "13-handlaggare-arende")
    reply_and_close(handler, "Hej! Korten är beställda.", "Ärendet är klart.")
    audit.check(handler, "14-handlaggare-avslutat")
    run_mail_worker(live_portal)

    page.get_by_role("link", name="Notifikationer").click()
    audit.check(page, "15-notifikationer")
    page.get_by_role("button", name=f"Nytt meddelande i ärende {number}").click()
    audit.check(page, "16-detaljer-med-svar")
    audit.assert_clean()


def test_form_fields_have_labels_and_errors_are_tied_to_their_inputs(open_page, live_portal):
    """Every visible input, select and textarea on the case form has a label; after a failed
    submit each invalid field says so (aria-invalid) and names its message in aria-describedby."""
    page = open_page()
    log_in(page, live_portal, CUSTOMER)
    fill_mina_uppgifter(page)
    choose_case_type(page, SITHS_TITLE)
    add_row(page)
    fill_person(person_rows(page).nth(0), ANNA)
    person_rows(page).nth(1).get_by_label(LABEL_PNR).fill("19121212-1213")
    page.get_by_role("button", name="Skicka in").click()
    expect(page.get_by_role("heading", name="Formuläret innehåller fel")).to_be_visible()

    unlabelled = page.evaluate("""() => [...document.querySelectorAll(
            '#case-form input:not([type=hidden]), #case-form select, #case-form textarea')]
        .filter(el => el.labels.length === 0 && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
        .map(el => el.name)""")
    assert unlabelled == []

    invalid = page.locator("[aria-invalid=true]")
    assert invalid.count() >= 2
    for index in range(invalid.count()):
        field = invalid.nth(index)
        described = (field.get_attribute("aria-describedby") or "").split()
        error_ids = [i for i in described if i.endswith("-error")]
        assert error_ids, f"{field.get_attribute('name')} has no error in aria-describedby"
        message = page.locator(f"#{error_ids[0]}")
        expect(message).to_be_visible()
        expect(message).to_have_class("error-message")
    pnr = person_rows(page).nth(1).get_by_label(LABEL_PNR)
    expect(pnr).to_have_accessible_description(
        page.locator(f"#{pnr.get_attribute('aria-describedby').split()[-1]}").inner_text())


def test_persons_table_is_a_table_on_desktop_and_stacked_rows_on_a_phone(open_page, live_portal):
    """At 1280 px the persons are a real table: column headers (th scope=col) naming every
    field, cells under them, the cell labels visually hidden, and the row buttons green ("Lägg
    till ny rad") and red ("Ta bort") as in the guide. At 390 px each person is a stacked block
    whose cell labels are visible, and nothing overflows the screen sideways."""
    page = open_page()
    log_in(page, live_portal, CUSTOMER)
    fill_mina_uppgifter(page)
    choose_case_type(page, SITHS_TITLE)
    add_row(page)
    fill_person(person_rows(page).nth(0), ANNA)

    table = page.get_by_role("table").filter(has=page.locator("[data-row-body]"))
    headers = table.get_by_role("columnheader")
    header_texts = [" ".join(t.split()).rstrip(" *") for t in headers.all_inner_texts()]
    assert header_texts[:len(COLUMN_LABELS)] == COLUMN_LABELS
    assert all(h.get_attribute("scope") == "col" for h in headers.all())
    first_row = person_rows(page).nth(0)
    expect(first_row.get_by_role("cell")).to_have_count(len(COLUMN_LABELS) + 1)
    label = first_row.locator("label", has_text=LABEL_NAME)
    assert label.bounding_box()["width"] <= 1, "cell labels are hidden on a desktop"
    add, remove = page.get_by_role("button", name="Lägg till ny rad"), first_row.get_by_role("button", name="Ta bort")
    assert dominant_colour(add) == "green" and dominant_colour(remove) == "red", "the guide's green and red buttons"
    assert remove.bounding_box()["height"] < 50, '"Ta bort" stays on one line'
    screenshot(page, "20-tabell")

    page.set_viewport_size(PHONE)
    for row_index in range(2):
        row = person_rows(page).nth(row_index)
        for text in COLUMN_LABELS:
            cell_label = row.locator("label", has_text=text).first
            expect(cell_label).to_be_visible()
            box = cell_label.bounding_box()
            assert box["width"] > 20 and box["height"] > 10, f"{text} is not readable on a phone: {box}"
        boxes = [row.get_by_label(text).bounding_box() for text in COLUMN_LABELS[:5]]
        tops = [b["y"] for b in boxes]
        assert tops == sorted(tops) and len(set(round(t) for t in tops)) == len(tops), "fields are stacked"
        assert all(b["x"] >= 0 and b["x"] + b["width"] <= PHONE["width"] for b in boxes), boxes
    overflow = sideways_overflow(page)
    assert overflow <= 0, f"the page scrolls sideways by {overflow} px on a phone"
    screenshot(page, "20-tabell")


def test_the_axe_check_catches_and_explains_a_real_violation(open_page, live_portal):
    """The harness is not blind: an unlabelled input added to the start page fails the check,
    and the message names the rule, its impact and the element."""
    page = open_page()
    page.goto(live_portal.at("/"))
    assert_accessible(page, "the start page")
    page.evaluate("() => document.querySelector('main').insertAdjacentHTML('beforeend', '<input id=orphan>')")
    with pytest.raises(AssertionError) as failure:
        assert_accessible(page, "the start page with an orphan input")
    report = str(failure.value)
    assert "[critical] label" in report and "#orphan" in report and "<input id=\"orphan\">" in report
