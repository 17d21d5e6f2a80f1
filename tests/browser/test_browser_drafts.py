"""Utkast in the browser, with and without JavaScript: a SITHS order with three rows saved as a
draft, the session ended by idling, "Spara utkast" pressed after the end (kept for the same
person, and the way to log in leads back to the draft), logged in again, continued from "Utkast"
on Mina Sidor with every row and the orderer block intact, filed, and the draft gone. With
JavaScript the form also saves by itself after a change, and the session ends by its idle
timeout, warned before; without it the third row is typed after the last save and only the
press after the end keeps it."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from app.platform.extensions import db
from app.platform.models import Session, utcnow
from tests.browser.helpers import (
    CUSTOMER,
    SITHS_TITLE,
    Person,
    add_row,
    assert_accessible,
    case_section,
    choose_case_type,
    fill_mina_uppgifter,
    fill_person,
    log_in,
    log_in_here,
    menu_link,
    person_rows,
    read_person,
    submit_case,
)

ANNA = Person("Anna Åkesson", "191212121212", "anna@example.se", "Ny medarbetare", "Uppsala")
BO = Person("Bo Ek", "1941082", "bo@example.se", "Personnumret är inte klart", None)  # unfinished
CILLA = Person("Cilla Rad", "198112289874", "cilla@example.se", "", None, own_office=True)
SAVED = re.compile(r"Utkastet är sparat kl\. \d\d:\d\d\.")


def fill_order(page: Page, rows: list[Person]) -> None:
    page.get_by_label("Enhet", exact=True).fill("Röntgen, plan 3")
    for index, person in enumerate(rows):
        if index:
            add_row(page)
        fill_person(person_rows(page).nth(index), person)


def save_draft(page: Page, javascript: bool) -> None:
    page.get_by_role("button", name="Spara utkast").click()
    if javascript:  # saved in the background: the page stays, the status line says so
        expect(page.get_by_role("status").filter(has_text="Utkastet")).to_have_text(SAVED)
    else:  # the draft's own page, with the message at the top
        expect(page.locator(".notice--success")).to_have_text(SAVED)
        assert re.search(r"/utkast/[A-Za-z0-9_-]{22}$", page.url)


def session_ends(page: Page, javascript: bool, portal) -> None:
    """The tab is left alone past the session's idle limit. With JavaScript the form warns
    first, then says the session has ended; without it the clock is moved on in the database
    (the default limit is 30 minutes)."""
    if not javascript:
        with portal.app.app_context(), db.connection_context():
            Session.update(last_seen_at=utcnow() - timedelta(minutes=31)).execute()
        return
    expect(page.get_by_role("alert").filter(has_text="Du loggas ut om")).to_be_visible(timeout=IDLE_SECONDS * 1000)
    ended = page.get_by_role("alert").filter(has_text="Du har loggats ut")
    expect(ended).to_be_visible(timeout=IDLE_SECONDS * 1000)
    expect(ended).to_contain_text("Ditt utkast finns under Mina sidor")


def saved_after_the_end(page: Page, javascript: bool) -> None:
    """"Spara utkast" pressed after the end: kept for this person, then the way to log in, which
    leads back to the draft with every row."""
    page.get_by_role("button", name="Spara utkast").click()
    expect(page.get_by_role("heading", name="Logga in med BankID")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Du hade loggats ut")).to_contain_text("Utkastet är sparat kl.")
    log_in_here(page, CUSTOMER, javascript=javascript)
    expect(page.get_by_role("status").filter(has_text="Du hade loggats ut")).to_have_text(
        re.compile(r"Utkastet är sparat kl\. \d\d:\d\d\. Du hade loggats ut, men det du skrev finns kvar här\."))
    expect(person_rows(page)).to_have_count(3)
    assert read_person(person_rows(page).nth(2)) == CILLA


IDLE_SECONDS = 12  # the session's idle limit in this test: warned after 6 s, ended after 12


@pytest.fixture
def portal_overrides(request) -> dict:
    """A short idle limit where the session is to end by it (with JavaScript); the default else."""
    return {"session_idle_minutes": IDLE_SECONDS / 60} if request.node.callspec.params.get("javascript") else {}


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_three_row_order_saved_as_a_draft_is_continued_after_logging_in_again(browser_session, live_portal,
                                                                               javascript):
    page = browser_session.open_page(javascript=javascript)
    log_in(page, live_portal, CUSTOMER, javascript=javascript)
    fill_mina_uppgifter(page)
    choose_case_type(page, SITHS_TITLE)
    fill_order(page, [ANNA, BO])
    save_draft(page, javascript)
    if javascript:  # the third row is saved by the form itself, a moment after it was typed
        with page.expect_response(lambda response: response.url.endswith("/utkast") and response.ok):
            add_row(page)
            fill_person(person_rows(page).nth(2), CILLA)
        expect(page.get_by_role("status").filter(has_text="Utkastet")).to_have_text(SAVED)
    else:  # typed after the last save: only the press after the end keeps it
        add_row(page)
        fill_person(person_rows(page).nth(2), CILLA)

    session_ends(page, javascript, live_portal)
    saved_after_the_end(page, javascript)
    menu_link(page, "Mina Sidor").click()
    drafts = case_section(page, "Utkast")
    expect(drafts.get_by_role("row")).to_have_count(2)  # the header and the one draft
    expect(drafts.get_by_role("rowheader")).to_have_text(SITHS_TITLE)
    expect(drafts.get_by_text("tas bort automatiskt 30 dagar")).to_be_visible()
    if javascript:
        assert_accessible(page, "Mina sidor med ett utkast")
    drafts.get_by_role("link", name="Fortsätt").click()

    expect(page.get_by_role("heading", level=1, name=SITHS_TITLE)).to_be_visible()
    expect(person_rows(page)).to_have_count(3)
    assert [read_person(person_rows(page).nth(index)) for index in range(3)] == [ANNA, BO, CILLA]
    expect(page.get_by_label("Enhet", exact=True)).to_have_value("Röntgen, plan 3")
    expect(page.locator("[data-error-summary]")).to_have_count(0)  # a draft is not judged
    if javascript:
        assert_accessible(page, "ett fortsatt utkast")

    person_rows(page).nth(1).get_by_label("Personnummer (ÅÅÅÅMMDDXXXX)").fill("194108207210")
    person_rows(page).nth(1).get_by_label("Vilket kortutlämningskontor ska SITHS-kortet hämtas ut på?").select_option(
        label="Uppsala")
    number = submit_case(page)
    menu_link(page, "Mina Sidor").click()
    expect(page.get_by_role("heading", level=2, name="Utkast")).to_have_count(0)
    expect(case_section(page, "Pågående ärenden").get_by_role("link", name=number)).to_be_visible()
    addresses = " ".join(browser_session.requests)
    assert "/utkast/" in addresses and not [person for person in (ANNA, BO, CILLA) if person.personnummer in addresses]
