"""Layout as a person sees it: the SITHS table at 1280 px shows whole names and e-mail
addresses of ordinary length (about 30 characters), also with two rows, their "Ta bort"
buttons and error messages, with and without JavaScript; the bell's times stay on one line on a
phone; every page has an icon (no 404)."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from app.accounts.users import ensure_user
from app.cases import filing
from app.cases.types import case_types
from app.messaging import notifications
from app.platform.extensions import db
from tests.browser.helpers import (
    CUSTOMER,
    DESKTOP,
    PHONE,
    SITHS_TITLE,
    Person,
    add_row,
    choose_case_type,
    fill_mina_uppgifter,
    fill_person,
    log_in,
    person_rows,
)

LONG_BUT_ORDINARY = [
    Person("Anna-Karin Åkesson", "19121212-1212", "anna.akesson@regionuppland.se", "Ny medarbetare"),
    Person("Carl-Johan Lindqvist", "194108207210", "cj.lindqvist@regionuppland.se", "Vikarie"),
]


def cut_off_inputs(page: Page) -> list[str]:
    """Inputs in the table whose text is wider than the box showing it."""
    return page.eval_on_selector_all(
        "[data-row-body] input[type=text], [data-row-body] input[type=email]",
        "els => els.filter(e => e.scrollWidth > e.clientWidth).map(e => e.name + ': ' + e.value)")


def sideways(page: Page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_siths_table_at_1280_shows_whole_names_and_addresses(open_page, live_portal, javascript):
    page = open_page(javascript=javascript, viewport=DESKTOP)
    log_in(page, live_portal, CUSTOMER, javascript=javascript)
    fill_mina_uppgifter(page)
    choose_case_type(page, SITHS_TITLE)
    add_row(page)
    for number, person in enumerate(LONG_BUT_ORDINARY):
        fill_person(person_rows(page).nth(number), person)
    assert cut_off_inputs(page) == [] and sideways(page) == 0
    person_rows(page).nth(0).get_by_label("Personnummer (ÅÅÅÅMMDDXXXX)").fill("19121212-1213")  # wrong check digit
    page.get_by_role("button", name="Skicka in").click()
    expect(page.get_by_role("heading", name="Formuläret innehåller fel")).to_be_visible()
    assert cut_off_inputs(page) == [] and sideways(page) == 0


def notify_customer_twice(portal) -> None:
    with portal.app.app_context(), db.connection_context():
        owner = ensure_user(CUSTOMER, "Tolvan Tolvansson")
        orderer = {"organisation": "Region Uppland", "organisationsnummer": "232100-0016", "enhet": "",
                   "namn": "Tolvan Tolvansson", "epost": "tolvan@example.se"}
        case = filing.file_case(owner, case_types()["ovrigt"], {"beskrivning": "Kortläsaren"}, orderer, "k-1")
        with db.atomic():
            notifications.notify_customer(case, "message")
            notifications.notify_customer(case, "status")


def test_notification_times_stay_on_one_line_on_a_phone(open_page, live_portal):
    notify_customer_twice(live_portal)
    page = open_page(viewport=PHONE)
    log_in(page, live_portal, CUSTOMER)
    page.goto(live_portal.at("/notiser"))
    times = page.locator(".notifications time")
    expect(times).to_have_count(2)
    for index in range(2):
        lines = times.nth(index).evaluate("""el => { const text = document.createRange();
            text.selectNodeContents(el);
            return new Set([...text.getClientRects()].map(r => Math.round(r.top))).size; }""")
        assert lines == 1, f"{times.nth(index).inner_text()!r} is split over {lines} lines"
    assert sideways(page) == 0


def test_every_page_has_an_icon_and_nothing_answers_404(open_page, live_portal):
    page = open_page()
    failures, icons = [], []
    page.on("response", lambda response: failures.append(response.url) if response.status >= 400 else None)
    page.on("response", lambda response: icons.append(response) if "favicon" in response.url else None)
    for path in ("/", "/logga-in"):
        page.goto(live_portal.at(path))
        page.wait_for_load_state("networkidle")
    assert failures == []
    assert icons and all(icon.status == 200 for icon in icons)
    assert icons[0].headers["content-type"].startswith("image/svg+xml")
    drawn = page.evaluate("""async url => { const img = new Image(); img.src = url; await img.decode();
                                           return img.naturalWidth; }""", icons[0].url)
    assert drawn > 0
