"""A case type in three steps, walked in Chromium with and without JavaScript: forward and back,
a wrong answer in step 2 (asked for because of the answer in step 1) stopping there with the
answer kept, "Granska och skicka" listing every answer with working "Ändra" buttons (the step opened
leads back with "Spara och granska", judging its own fields first), the keyboard
moving between the steps, axe on a step and on the review page, and the filed case showing and
storing exactly what was reviewed."""
from __future__ import annotations

import json
import shutil

import pytest
from playwright.sync_api import Page, expect

from app.platform.extensions import db
from app.platform.models import Case
from tests.browser.conftest import ROOT
from tests.browser.helpers import (
    CUSTOMER,
    DESKTOP,
    PHONE,
    assert_accessible,
    choose_case_type,
    fill_mina_uppgifter,
    log_in,
    screenshot,
    submit_case,
)

FIXTURE = ROOT / "tests" / "fixtures" / "steps" / "andring-av-medarbetaruppdrag.json"
TITLE = "Ändring av medarbetaruppdrag"
EXPECTED = {"kontaktvag": "telefon", "telefon": "+46701234567", "enhet": "Akutmottagningen",
            "giltigt_fran": "2026-03-01",
            "personer": [{"namn": "Anna Åkesson", "personnummer": "191212121212", "ta_bort": True}]}
# What every answer shown (review and detail alike) reads, by its place in the document.
ANSWERS_JS = """() => [...document.querySelectorAll('.case-field[data-path], .case-table[data-path]')]
    .map(el => [el.dataset.path, el.innerText.replace(/\\s+/g, ' ').trim()])"""


@pytest.fixture
def portal_overrides(tmp_path) -> dict:
    """The shipped case types plus the three-step fixture (not shipped: customers of the ombud
    would see it among their choices; forms/README.md shows the same file as its example)."""
    forms = tmp_path / "forms"
    shutil.copytree(ROOT / "forms", forms)
    shutil.copy(FIXTURE, forms / FIXTURE.name)
    return {"forms_dir": str(forms)}


def at_step(page: Page, number: int, title: str) -> None:
    expect(page.get_by_text(f"Steg {number} av 3", exact=True)).to_be_visible()
    current = page.get_by_role("navigation", name="Steg i formuläret").locator("[aria-current=step]")
    expect(current).to_have_text(title)
    expect(page.get_by_role("heading", level=2, name=title)).to_be_visible()


def press(page: Page, name: str) -> None:
    """A button pressed from the keyboard: focused, then Enter."""
    page.get_by_role("button", name=name, exact=True).focus()
    page.keyboard.press("Enter")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_three_steps_forward_back_review_and_file(open_page, live_portal, javascript):
    page = open_page(javascript=javascript)
    log_in(page, live_portal, CUSTOMER, javascript=javascript)
    fill_mina_uppgifter(page)
    choose_case_type(page, TITLE)

    at_step(page, 1, "Kontakt")
    expect(page.get_by_role("textbox", name="Organisation", exact=True)).to_have_value("Region Uppland")  # Beställare: step 1
    expect(page.get_by_label("Enhet som uppdraget gäller")).to_have_count(0)
    page.get_by_label("Telefon", exact=True).check()
    press(page, "Nästa")

    at_step(page, 2, "Uppdraget")
    expect(page.get_by_role("textbox", name="Organisation", exact=True)).to_have_count(0)
    phone = page.get_by_label("Telefonnummer")
    expect(phone).to_be_visible()  # its condition is answered in step 1, and the script knows it
    page.get_by_label("Enhet som uppdraget gäller").fill("Akutmottagningen")
    page.get_by_label("Gäller från").fill("2026-03-01")
    phone.fill("12")
    phone.press("Enter")  # Enter in a field means "Nästa", not the first button on the page ("Föregående")
    at_step(page, 2, "Uppdraget")  # stopped here: the wrong answer is this step's
    expect(page.locator("#telefon-error")).to_contain_text("telefonnummer")
    expect(page.get_by_label("Telefonnummer")).to_have_value("12")
    expect(page.get_by_label("Enhet som uppdraget gäller")).to_have_value("Akutmottagningen")
    expect(page.locator("#error-summary")).not_to_contain_text("Personer")  # step 3 is not judged yet
    if javascript:  # axe runs in the page's JavaScript; the markup is the same without it
        assert_accessible(page, "steg 2 med fel")
    screenshot(page, f"steg-2-med-fel-{'js' if javascript else 'nojs'}")

    page.get_by_role("button", name="Föregående").click()
    at_step(page, 1, "Kontakt")
    expect(page.get_by_label("Telefon", exact=True)).to_be_checked()
    page.get_by_role("button", name="Nästa").click()
    at_step(page, 2, "Uppdraget")
    expect(page.get_by_label("Telefonnummer")).to_have_value("12")  # nothing lost on the way back
    page.get_by_label("Telefonnummer").fill("070-123 45 67")
    press(page, "Nästa")

    at_step(page, 3, "Personer")
    row = page.locator("[data-row-body] > tr[data-row]").first
    row.get_by_label("För- och efternamn").fill("Anna Åkesson")
    row.get_by_label("Personnummer (ÅÅÅÅMMDDXXXX)").fill("19121212-1212")
    row.get_by_label("Ta bort uppdraget").check()
    page.get_by_role("button", name="Nästa").click()

    expect(page.get_by_role("heading", level=1, name="Granska och skicka")).to_be_visible()
    review = page.locator("main")
    for answer in ("Region Uppland", "Akutmottagningen", "Telefon", "2026-03-01", "070-123 45 67",
                   "Anna Åkesson", "19121212-1212"):
        expect(review).to_contain_text(answer)
    if javascript:
        assert_accessible(page, "Granska och skicka")
        page.set_viewport_size(PHONE)  # the table of persons scrolls in its own region there
        assert_accessible(page, "Granska och skicka, telefon")
        screenshot(page, "granska-och-skicka")
        page.set_viewport_size(DESKTOP)
    screenshot(page, f"granska-och-skicka-{'js' if javascript else 'nojs'}")

    press(page, "Ändra Uppdraget")  # "Ändra" leads back to the review, not through the later steps
    at_step(page, 2, "Uppdraget")
    expect(page.get_by_label("Telefonnummer")).to_have_value("070-123 45 67")  # as typed
    expect(page.get_by_role("button", name="Nästa", exact=True)).to_have_count(0)
    page.get_by_label("Enhet som uppdraget gäller").fill("")
    press(page, "Spara och granska")  # this step's fields are judged first
    at_step(page, 2, "Uppdraget")
    expect(page.locator("#enhet-error")).to_be_visible()
    page.get_by_label("Enhet som uppdraget gäller").fill("Akutmottagningen")
    page.get_by_label("Enhet som uppdraget gäller").press("Enter")  # Enter means "Spara och granska" here
    expect(page.get_by_role("heading", level=1, name="Granska och skicka")).to_be_visible()
    page.get_by_role("button", name="Ändra Kontakt").click()
    at_step(page, 1, "Kontakt")
    expect(page.get_by_label("Telefon", exact=True)).to_be_checked()
    page.get_by_role("button", name="Spara och granska").click()
    expect(page.get_by_role("heading", level=1, name="Granska och skicka")).to_be_visible()
    reviewed = page.evaluate(ANSWERS_JS)

    number = submit_case(page)
    with live_portal.app.app_context(), db.connection_context():
        case = Case.get(Case.number == number)
        assert case.data == EXPECTED, json.dumps(case.data, ensure_ascii=False)
    page.get_by_role("link", name="Visa detaljer").click()
    expect(page.get_by_role("heading", level=1, name=TITLE)).to_be_visible()
    assert page.evaluate(ANSWERS_JS) == reviewed  # the filed case shows exactly what was reviewed
