"""Conditional fields as a person sees them: with JavaScript a field appears when its condition
starts to hold and disappears when it stops; without JavaScript every field is there with a line
saying when to fill it in; either way an answer left in a hidden branch is not kept."""
from __future__ import annotations

import json
import re
import shutil

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ROOT

CONTACT_TYPE = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Kontakt",
    "type": "object",
    "properties": {
        "kontakt": {"type": "string", "title": "Kontaktväg", "x-ui": {"widget": "radio"},
                    "oneOf": [{"const": "epost", "title": "E-post"}, {"const": "telefon", "title": "Telefon"}]},
        "rader": {"type": "array", "title": "Kort", "maxItems": 5, "items": {
            "type": "object",
            "properties": {"slag": {"type": "string", "title": "Slag",
                                    "oneOf": [{"const": "nytt", "title": "Nytt"}, {"const": "byte", "title": "Byte"}]}},
            "if": {"properties": {"slag": {"const": "byte"}}, "required": ["slag"]},
            "then": {"properties": {"gammalt": {"type": "string", "maxLength": 20, "title": "Gammalt kortnummer"}}},
        }},
    },
    "required": ["kontakt"],
    "if": {"properties": {"kontakt": {"const": "epost"}}, "required": ["kontakt"]},
    "then": {"properties": {"adress": {"type": "string", "format": "email", "title": "E-postadress"}},
             "required": ["adress"]},
    "else": {"properties": {"nummer": {"type": "string", "format": "telefonnummer", "title": "Telefonnummer"}}},
}


@pytest.fixture
def portal_overrides(tmp_path) -> dict:
    """The shipped case types plus one whose fields depend on a choice."""
    forms = tmp_path / "forms"
    shutil.copytree(ROOT / "forms", forms)
    (forms / "kontakt.json").write_text(json.dumps(CONTACT_TYPE, ensure_ascii=False), encoding="utf-8")
    return {"forms_dir": str(forms)}


def stored(page: Page) -> dict:
    expect(page.get_by_text("Formuläret är giltigt")).to_be_visible()
    return json.loads(page.locator("pre.document").inner_text())


def test_with_javascript_fields_follow_the_choice(open_page, live_portal):
    page = open_page()
    page.goto(live_portal.at("/forhandsgranska/kontakt"))
    email, phone = page.get_by_label("E-postadress"), page.get_by_label("Telefonnummer")
    expect(email).to_be_hidden()
    page.get_by_label("E-post", exact=True).check()
    expect(email).to_be_visible()
    expect(phone).to_be_hidden()
    email.fill("anna@exempel.se")
    page.get_by_label("Telefon", exact=True).check()
    expect(email).to_be_hidden()
    expect(phone).to_be_visible()
    phone.fill("070-123 45 67")
    page.get_by_role("button", name="Kontrollera").click()
    assert stored(page) == {"kontakt": "telefon", "nummer": "+46701234567", "rader": []}  # the hidden answer is gone


def test_without_javascript_every_field_says_when_to_fill_it_in(open_page, live_portal):
    page = open_page(javascript=False)
    page.goto(live_portal.at("/forhandsgranska/kontakt"))
    expect(page.get_by_label("E-postadress")).to_be_visible()
    expect(page.get_by_label("Telefonnummer")).to_be_visible()
    expect(page.get_by_text("Fyll i om Kontaktväg är E-post.")).to_be_visible()
    expect(page.get_by_text("Fyll i om inte Kontaktväg är E-post.")).to_be_visible()
    page.get_by_label("E-post", exact=True).check()
    page.get_by_label("Telefonnummer").fill("070-123 45 67")
    page.get_by_role("button", name="Kontrollera").click()
    error = page.locator("#adress-error")
    expect(error).to_have_text(re.compile("Fältet måste fyllas i"))
    page.get_by_label("E-postadress").fill("anna@exempel.se")
    page.get_by_role("button", name="Kontrollera").click()
    assert stored(page) == {"kontakt": "epost", "adress": "anna@exempel.se", "rader": []}


def test_with_javascript_a_condition_in_a_new_row_reads_that_row(open_page, live_portal):
    page = open_page()
    page.goto(live_portal.at("/forhandsgranska/kontakt"))
    page.get_by_label("Telefon", exact=True).check()
    page.get_by_role("button", name="Lägg till ny rad").click()
    page.get_by_role("button", name="Lägg till ny rad").click()
    rows = page.locator("[data-row-body] > tr[data-row]")
    expect(rows).to_have_count(2)
    second = rows.nth(1)
    expect(second.get_by_label("Gammalt kortnummer")).to_be_hidden()
    second.get_by_label("Slag").select_option("byte")
    expect(second.get_by_label("Gammalt kortnummer")).to_be_visible()
    expect(rows.nth(0).get_by_label("Gammalt kortnummer")).to_be_hidden()
    second.get_by_label("Gammalt kortnummer").fill("K-123")
    page.get_by_role("button", name="Kontrollera").click()
    assert stored(page) == {"kontakt": "telefon", "rader": [{}, {"slag": "byte", "gammalt": "K-123"}]}
