"""Details of the generated form as a person sees them: a row added without JavaScript is where
the page opens (focused and scrolled to), and choice groups inside table cells are named for
screen readers without repeating the column header on screen; on a phone, where the table is
stacked and has no header, the group's name is shown."""
from __future__ import annotations

import json
import shutil

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ROOT
from tests.browser.helpers import DESKTOP, PHONE

GROUPS_TYPE = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Behörigheter",
    "type": "object",
    "properties": {
        "personer": {
            "type": "array", "title": "Personer", "minItems": 1, "maxItems": 40,
            "x-ui": {"addLabel": "Lägg till ny rad", "removeLabel": "Ta bort"},
            "items": {
                "type": "object", "additionalProperties": False,
                "properties": {
                    "namn": {"type": "string", "title": "Namn", "maxLength": 50},
                    "roll": {"type": "string", "title": "Roll", "x-ui": {"widget": "radio"},
                             "oneOf": [{"const": "lasare", "title": "Läsare"}, {"const": "admin", "title": "Administratör"}]},
                    "dagar": {"type": "array", "title": "Dagar", "uniqueItems": True, "maxItems": 2,
                              "items": {"type": "string", "oneOf": [{"const": "man", "title": "Måndag"},
                                                                    {"const": "tis", "title": "Tisdag"}]}},
                },
                "required": ["namn", "dagar"],
            },
        },
    },
    "required": ["personer"],
    "additionalProperties": False,
}


@pytest.fixture
def portal_overrides(tmp_path) -> dict:
    """The shipped case types plus one whose table has a radio and a checkbox group per row."""
    forms = tmp_path / "forms"
    shutil.copytree(ROOT / "forms", forms)
    (forms / "behorigheter.json").write_text(json.dumps(GROUPS_TYPE, ensure_ascii=False), encoding="utf-8")
    return {"forms_dir": str(forms)}


def rows(page: Page):
    return page.locator("[data-row-body] > tr[data-row]")


def in_view(page: Page, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and 0 <= box["y"] and box["y"] + box["height"] <= page.viewport_size["height"] + 1


def test_without_javascript_the_page_opens_on_the_row_a_button_changed(open_page, live_portal):
    page = open_page(javascript=False, viewport={"width": 1280, "height": 700})
    page.goto(live_portal.at("/forhandsgranska/behorigheter"))
    for count in range(2, 9):  # enough rows that the newest is below the first screen
        rows(page).last.get_by_label("Namn").fill(f"Person {count - 1}")
        page.get_by_role("button", name="Lägg till ny rad").click()
        expect(rows(page)).to_have_count(count)
    newest = rows(page).last.get_by_label("Namn")
    expect(newest).to_be_focused()
    assert in_view(page, newest), "the new row is off screen"
    assert page.evaluate("window.scrollY") > 0
    page.keyboard.type("Person 8")  # typing goes straight into the new row
    expect(newest).to_have_value("Person 8")
    expect(rows(page).first.get_by_label("Namn")).to_have_value("Person 1")
    rows(page).nth(5).get_by_role("button", name="Ta bort").click()  # "Person 6"
    expect(rows(page)).to_have_count(7)
    moved_up = rows(page).nth(5).get_by_label("Namn")
    expect(moved_up).to_have_value("Person 7")
    expect(moved_up).to_be_focused()  # the row that took its place
    assert in_view(page, moved_up)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_choice_groups_in_table_cells_are_named_once_on_screen(open_page, live_portal, viewport):
    page = open_page(viewport=viewport)
    page.goto(live_portal.at("/forhandsgranska/behorigheter"))
    page.get_by_role("button", name="Lägg till ny rad").click()
    expect(rows(page)).to_have_count(2)
    for name in ("Roll", "Dagar"):
        groups = page.get_by_role("group", name=name, exact=True)
        expect(groups).to_have_count(2)  # a screen reader hears the name in every row
        legends = page.locator("[data-row-body] legend").filter(has_text=name)
        widths = [legends.nth(i).bounding_box()["width"] for i in range(legends.count())]
        if viewport is DESKTOP:
            expect(page.get_by_role("columnheader", name=name)).to_be_visible()
            assert max(widths) <= 1, f"{name} repeated in every cell under its column header"
        else:
            assert min(widths) > 1, f"{name} missing in the stacked rows of a phone"
