"""Logging in as a person sees it: the Mobilt BankID QR code is drawn, decodes to the order's
current `bankid.` content the way a phone's camera would read it, and changes every second; and
"Starta BankID-appen" in development comes back to the portal by itself."""
from __future__ import annotations

import io
import time

import zxingcpp
from PIL import Image
from playwright.sync_api import Page, expect

from app.accounts.bankid import qr_content
from app.platform.extensions import db
from app.platform.models import PendingLogin
from tests.browser.helpers import CUSTOMER

QR_IMAGE = "img[data-bankid-qr-img]"


def start_mobile_bankid(page: Page, portal) -> None:
    page.goto(portal.at("/logga-in"))
    page.get_by_role("button", name="Mobilt BankID på annan enhet").click()
    expect(page.get_by_role("heading", name="Legitimera dig med BankID")).to_be_visible()


def drawn_width(page: Page) -> int:
    """The decoded width of the QR image: 0 when the browser could not draw it (broken image)."""
    return page.eval_on_selector(QR_IMAGE, "img => img.complete ? img.naturalWidth : 0")


def scanned_text(page: Page) -> str:
    """What a phone would read: the QR's pixels as drawn on screen, decoded by zxing-cpp."""
    pixels = Image.open(io.BytesIO(page.locator(QR_IMAGE).screenshot())).convert("L")
    found = zxingcpp.read_barcodes(pixels)
    assert found, "the QR code on the page cannot be read"
    return found[0].text


def contents_of_the_order(portal, seconds: int = 60) -> set[str]:
    """Every QR content the pending order may show in its first minute (BankID's formula)."""
    with portal.app.app_context(), db.connection_context():
        pending = PendingLogin.select().order_by(PendingLogin.id.desc()).get()
        return {qr_content(pending.qr_start_token, pending.qr_start_secret, n) for n in range(seconds)}


def wait_until_drawn(page: Page, seconds: float = 10) -> None:
    """Polled from here: the page's Content-Security-Policy forbids the eval that a string
    predicate for wait_for_function needs."""
    deadline = time.monotonic() + seconds
    while drawn_width(page) == 0:
        assert time.monotonic() < deadline, "the QR image was never drawn"
        time.sleep(0.1)


def seconds_of(content: str) -> int:
    return int(content.split(".")[2])


def test_the_mobile_bankid_qr_is_drawn_readable_and_renewed_every_second(open_page, live_portal):
    page = open_page()
    start_mobile_bankid(page, live_portal)
    wait_until_drawn(page)
    assert drawn_width(page) > 0
    expected = contents_of_the_order(live_portal)
    first = scanned_text(page)
    assert first.startswith("bankid.") and first in expected
    seen = [first]
    deadline = time.monotonic() + 2.5
    while time.monotonic() < deadline or len(seen) < 3:  # a slow machine gets a little longer
        assert time.monotonic() < deadline + 5, f"the QR code did not change: {seen}"
        time.sleep(0.3)
        wait_until_drawn(page)
        if (now := scanned_text(page)) != seen[-1]:
            seen.append(now)
    assert set(seen) <= expected
    assert [seconds_of(content) for content in seen] == sorted({seconds_of(content) for content in seen})


def test_the_qr_is_drawn_without_javascript_too(open_page, live_portal):
    page = open_page(javascript=False)
    start_mobile_bankid(page, live_portal)
    expect(page.locator(QR_IMAGE)).to_be_visible()
    page.wait_for_load_state("load")
    assert drawn_width(page) > 0
    assert scanned_text(page) in contents_of_the_order(live_portal)


def test_starting_the_app_in_the_same_tab_comes_back_to_the_portal(open_page, live_portal):
    """A newcomer clicks "Starta BankID-appen" plainly: the simulator opens in the same tab and,
    after "Verifiera", returns to the portal's waiting page, which finishes the login."""
    page = open_page()
    page.goto(live_portal.at("/logga-in"))
    page.get_by_role("button", name="BankID på denna enhet").click()
    page.get_by_role("link", name="Starta BankID-appen").click()
    expect(page.get_by_role("heading", name="BankID-appen (simulator)")).to_be_visible()
    page.get_by_label("Ange personnummer").fill(CUSTOMER)
    page.get_by_role("button", name="Verifiera").click()
    page.wait_for_url(lambda url: "/logga-in" not in url and "bankid-simulator" not in url)
    expect(page.get_by_role("button", name="Logga ut")).to_be_visible()


def test_without_javascript_the_way_back_ends_on_fortsatt(open_page, live_portal):
    page = open_page(javascript=False)
    page.goto(live_portal.at("/logga-in"))
    page.get_by_role("button", name="BankID på denna enhet").click()
    page.get_by_role("link", name="Starta BankID-appen").click()
    page.get_by_label("Ange personnummer").fill(CUSTOMER)
    page.get_by_role("button", name="Verifiera").click()
    expect(page.get_by_role("heading", name="Legitimera dig med BankID")).to_be_visible()
    page.get_by_role("button", name="Fortsätt").click()
    expect(page.get_by_role("button", name="Logga ut")).to_be_visible()


def test_the_development_scan_link_plays_the_phone_in_a_tab_of_its_own(open_page, live_portal):
    """The QR is for another device: the simulator opens beside the waiting page, which stays
    and finishes the login by itself."""
    page = open_page()
    start_mobile_bankid(page, live_portal)
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Läs av QR-koden med BankID-simulatorn").click()
    phone = opened.value
    phone.get_by_label("Ange personnummer").fill(CUSTOMER)
    phone.get_by_role("button", name="Verifiera").click()
    expect(phone.get_by_text("Klart. Du kan gå tillbaka till tjänsten.")).to_be_visible()
    page.wait_for_url(lambda url: "/logga-in" not in url)
    expect(page.get_by_role("button", name="Logga ut")).to_be_visible()
