"""Attaching a file in a real browser, without JavaScript: a customer attaches a PDF to an
"Övrigt" case, the form comes back once with an error and keeps the file (no second upload),
the case is filed; the handler downloads the attachment from the case page and gets the same
bytes (sha256), and the download is in the audit trail."""
from __future__ import annotations

import hashlib
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.helpers import (
    CUSTOMER,
    OVRIGT_TITLE,
    choose_case_type,
    fill_mina_uppgifter,
    log_in,
    log_in_as_handler,
    open_case_as_handler,
    submit_case,
)

POLICE_REPORT = Path(__file__).resolve().parents[1] / "fixtures" / "files" / "polisanmalan.pdf"


def sha256_of(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_a_pdf_attached_to_an_ovrigt_case_reaches_the_handler_unchanged(open_page, live_portal):
    customer = open_page(javascript=False)
    log_in(customer, live_portal, CUSTOMER, javascript=False)
    fill_mina_uppgifter(customer)
    choose_case_type(customer, OVRIGT_TITLE)
    customer.get_by_label("Bilagor").set_input_files(str(POLICE_REPORT))
    customer.get_by_role("button", name="Skicka in").click()  # "Beskriv ärendet" left empty

    expect(customer.get_by_text("Fältet måste fyllas i.").first).to_be_visible()
    kept = customer.get_by_label("Behåll polisanmalan.pdf (PDF, 5,9 kB)")
    expect(kept).to_be_checked()
    customer.get_by_label("Beskriv ärendet").fill("Kortet är förlorat; polisanmälan bifogas.")
    number = submit_case(customer)
    customer.get_by_role("link", name="Visa detaljer").click()
    expect(customer.locator(".case-file", has_text="polisanmalan.pdf")).to_contain_text(sha256_of(POLICE_REPORT))

    handler = open_page(javascript=False)
    log_in_as_handler(handler, live_portal, javascript=False)
    open_case_as_handler(handler, number)
    with handler.expect_download() as info:
        handler.get_by_role("link", name="polisanmalan.pdf").click()
    download = info.value
    assert download.suggested_filename == "polisanmalan.pdf"
    assert sha256_of(download.path()) == sha256_of(POLICE_REPORT)
    handler.reload()
    expect(handler.get_by_text("Laddade ner en bilaga")).to_be_visible()
