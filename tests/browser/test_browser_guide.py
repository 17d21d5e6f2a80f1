"""The user guide, walked in a real browser: every step clicks the label the guide names, from
"Starta e-tjänsten" to the handler's answer arriving in the customer's bell and mailbox."""
from __future__ import annotations

import re
from urllib.parse import unquote_plus

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    CUSTOMER,
    CUSTOMER_EMAIL,
    OVRIGT_TITLE,
    SITHS_TITLE,
    Person,
    add_row,
    case_section,
    choose_case_type,
    download_pdf_text,
    fill_mina_uppgifter,
    fill_person,
    log_in,
    log_in_as_handler,
    menu_link,
    open_case_as_handler,
    person_rows,
    read_person,
    remove_row,
    reply_and_close,
    run_mail_worker,
    submit_case,
)

ANNA = Person("Anna Åkesson", "191212121212", "anna@example.se", "Ny medarbetare", "Uppsala")
BERTIL = Person("Bertil Berg", "198112289874", "bertil@example.se", "Tas bort igen", "Stockholm")
CECILIA = Person("Cecilia Carlsson", "194108207210", "cecilia@example.se", "", None, own_office=True)
REPLY = "Hej! Korten är beställda."
CLOSING = "Ärendet är klart."


# The row button's value in a posted body: the case form is multipart (it carries the tables'
# import files), a urlencoded body is read too.
POSTED_ACTION = re.compile(r'name="action"\r\n\r\n([^\r]*)|(?:^|&)action=([^&]*)')


def posted_action(body: str | None) -> str | None:
    match = POSTED_ACTION.search(body or "")
    if match is None:
        return None
    return match.group(1) if match.group(1) is not None else unquote_plus(match.group(2))


def order_siths_cards(page: Page, *, javascript: bool = True) -> None:
    """Step 8: three persons with "Lägg till ny rad", the second removed with "Ta bort", the
    last one with "Eget kortkontor" ticked and no kortutlämningskontor. With JavaScript the row
    buttons work in the page; without it each press is a round trip to the server."""
    choose_case_type(page, SITHS_TITLE)
    expect(person_rows(page)).to_have_count(1)
    row_actions: list[str] = []
    page.on("request", lambda request: row_actions.append(posted_action(request.post_data))
            if request.method == "POST" and posted_action(request.post_data) else None)
    fill_person(person_rows(page).nth(0), ANNA)
    add_row(page)
    fill_person(person_rows(page).nth(1), BERTIL)
    add_row(page)
    fill_person(person_rows(page).nth(2), CECILIA)
    remove_row(page, 2)
    assert [read_person(person_rows(page).nth(i)) for i in range(2)] == [ANNA, CECILIA]
    if javascript:
        assert row_actions == [], "with JavaScript the row buttons need no server round trip"
    else:
        assert row_actions == ["add:personer", "add:personer", "remove:personer-1"]


def check_details_and_pdf(page: Page, number: str, expected: list[str], absent: list[str] = ()) -> None:
    """"Visa detaljer" shows every answer; "Ladda ner som PDF" downloads the same in a PDF.
    Table rows are compared whole ("nr name personnummer e-post information office own"),
    so a value in the wrong column fails."""
    page.get_by_role("link", name="Visa detaljer").click()
    expect(page.get_by_role("term").filter(has_text="Ärendenummer")).to_be_visible()
    content = " ".join(page.locator("main").inner_text().split())
    for text in [number, "Inskickat", "Region Uppland", "232100-0016", "Akutmottagningen", *expected]:
        assert text in content, f"{text!r} not on the detail page: {content[:800]}"
    filename, pdf_text = download_pdf_text(page)
    assert number in filename and filename.endswith(".pdf")
    flat = " ".join(pdf_text.split())
    for text in [number, "Region Uppland", *expected]:
        assert text in flat, f"{text!r} not in the PDF: {flat[:500]}"
    for text in absent:
        assert text not in content and text not in flat, text


def customer_files(page: Page, portal, *, javascript: bool, case_type: str) -> str:
    """Steps 2–9 for a first-time customer; returns the case number."""
    log_in(page, portal, CUSTOMER, javascript=javascript)
    fill_mina_uppgifter(page)
    if case_type == SITHS_TITLE:
        order_siths_cards(page, javascript=javascript)
    else:
        choose_case_type(page, OVRIGT_TITLE)
        page.get_by_label("Beskriv ärendet").fill("Flera medarbetaruppdrag på olika enheter för tre personer.")
    return submit_case(page)


def handler_answers(open_page, portal, number: str, *, javascript: bool) -> None:
    """A handler logs in, opens the case from "Ärenden", replies and closes it."""
    page = open_page(javascript=javascript)
    log_in_as_handler(page, portal, javascript=javascript)
    open_case_as_handler(page, number)
    reply_and_close(page, REPLY, CLOSING)
    page.context.close()


def customer_sees_the_answer(page: Page, portal, number: str) -> None:
    """The bell counts the message and the status change, the bell page lists them, the case
    shows the reply and sits under the closed cases; the mailbox got exactly three mails (the receipt,
    the reply, the closing)."""
    page.goto(portal.at("/mina-sidor"))
    bell = page.get_by_role("link", name="Notifikationer")
    expect(bell).to_have_accessible_name("Notifikationer, 2 olästa")
    bell.click()
    expect(page.get_by_role("heading", level=1, name="Notifikationer")).to_be_visible()
    expect(page.get_by_role("button", name=f"Nytt meddelande i ärende {number}")).to_be_visible()
    expect(page.get_by_role("button", name=f"Ärende {number} har fått status Avslutat")).to_be_visible()
    page.get_by_role("button", name=f"Nytt meddelande i ärende {number}").click()
    expect(page.locator(".message__body", has_text=REPLY)).to_be_visible()
    expect(page.locator(".message__body", has_text=CLOSING)).to_be_visible()
    # Opening the case read both of its notifications.
    expect(page.get_by_role("link", name="Notifikationer")).to_have_accessible_name("Notifikationer, 0 olästa")
    menu_link(page, "Mina Sidor").click()
    expect(case_section(page, "Avslutade ärenden").get_by_role("link", name=number)).to_be_visible()
    expect(case_section(page, "Pågående ärenden").get_by_role("link", name=number)).to_have_count(0)

    mails = portal.smtp.messages
    assert len(mails) == 3, [m["Subject"] for m in mails]
    assert {m["To"] for m in mails} == {CUSTOMER_EMAIL}
    subjects = sorted(m["Subject"] for m in mails)
    assert subjects == sorted([f"Vi har tagit emot ert ärende {number}",
                               f"Nytt meddelande i ert ärende {number}",
                               f"Ert ärende {number} har fått status Avslutat"])
    for mail in mails:
        assert portal.at(f"/arenden/{number}") in mail.get_content()


@pytest.mark.parametrize("javascript", [True, False], ids=["with-javascript", "without-javascript"])
def test_the_guide_siths_order_from_login_to_closed_case(open_page, live_portal, javascript):
    """The SITHS order, end to end. Without JavaScript the row buttons work by server round
    trips and the login continues with the "Fortsätt" button."""
    page = open_page(javascript=javascript)
    number = customer_files(page, live_portal, javascript=javascript, case_type=SITHS_TITLE)
    check_details_and_pdf(page, number,
                          expected=["1 Anna Åkesson 19121212-1212 anna@example.se Ny medarbetare Uppsala Nej",
                                    "2 Cecilia Carlsson 19410820-7210 cecilia@example.se – – Ja"],
                          absent=["Bertil Berg", "Tas bort igen"])
    menu_link(page, "Mina Sidor").click()
    expect(case_section(page, "Pågående ärenden").get_by_role("link", name=number)).to_be_visible()

    handler_answers(open_page, live_portal, number, javascript=javascript)
    run_mail_worker(live_portal)
    customer_sees_the_answer(page, live_portal, number)


def test_the_guide_ovrigt_case_from_login_to_closed_case(open_page, live_portal):
    """"Övrigt", used when no other case type fits: the same loop with a free-text case."""
    page = open_page()
    number = customer_files(page, live_portal, javascript=True, case_type=OVRIGT_TITLE)
    check_details_and_pdf(page, number, expected=["Flera medarbetaruppdrag på olika enheter för tre personer."])
    menu_link(page, "Mina Sidor").click()
    expect(case_section(page, "Pågående ärenden").get_by_role("link", name=number)).to_be_visible()

    handler_answers(open_page, live_portal, number, javascript=True)
    run_mail_worker(live_portal)
    customer_sees_the_answer(page, live_portal, number)
