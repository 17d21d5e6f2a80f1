"""Nothing leaves for the internet: no CSS, JavaScript, fonts or images from a CDN. (Every
browser test is also guarded by the fixture, which aborts and reports off-host requests.)"""
from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.browser.helpers import (
    CUSTOMER,
    SITHS_TITLE,
    Person,
    choose_case_type,
    download_pdf_text,
    fill_mina_uppgifter,
    fill_person,
    log_in,
    menu_link,
    person_rows,
    submit_case,
)


def test_every_request_goes_to_127_0_0_1(open_page, live_portal, browser_session):
    """Log in, fill Mina uppgifter, file a case, open it, fetch the PDF and Mina sidor, and
    listen to every request the browser makes (page.on("request") on every page of the
    context): all go to 127.0.0.1, the portal's own CSS and script among them, and the pages
    name no stylesheet, script or font anywhere else."""
    page = open_page()
    seen: list[tuple[str, str]] = []
    page.context.on("page", lambda new: new.on("request", lambda r: seen.append((r.resource_type, r.url))))
    page.on("request", lambda request: seen.append((request.resource_type, request.url)))

    log_in(page, live_portal, CUSTOMER)
    fill_mina_uppgifter(page)
    choose_case_type(page, SITHS_TITLE)
    fill_person(person_rows(page).nth(0), Person("Anna Åkesson", "191212121212", "anna@example.se"))
    submit_case(page)
    page.get_by_role("link", name="Visa detaljer").click()
    download_pdf_text(page)
    menu_link(page, "Mina Sidor").click()
    expect(page.get_by_role("heading", level=1, name="Mina sidor")).to_be_visible()

    elsewhere = [url for _, url in seen if urlsplit(url).hostname != "127.0.0.1"]
    assert elsewhere == []
    assert browser_session.blocked == []
    kinds = {kind for kind, _ in seen}
    assert {"document", "stylesheet", "script"} <= kinds, kinds
    assert any(url.endswith("/static/portal.css") for _, url in seen)
    assert any(url.endswith("/static/portal.js") for _, url in seen)

    foreign = page.evaluate("""() => {
        const urls = [...document.querySelectorAll('link[href], script[src], img[src], iframe[src]')]
            .map(el => el.href || el.src);
        for (const sheet of document.styleSheets) {
            for (const rule of sheet.cssRules) {
                for (const match of rule.cssText.matchAll(/url\\(["']?([^"')]+)/g)) urls.push(match[1]);
                if (rule.href) urls.push(rule.href);
            }
        }
        return urls.filter(url => /^(https?:)?\\/\\//.test(url) && !url.startsWith(location.origin));
    }""")
    assert foreign == []


def test_the_guard_blocks_and_reports_a_request_to_the_internet(open_page, browser_session):
    """The fixture's guard works: a page that asks for a CDN stylesheet gets nothing and the
    attempt is recorded (so a real page doing this would fail its test)."""
    page = open_page()
    page.set_content('<link rel="stylesheet" href="https://cdn.example.com/x.css"><p>hej</p>')
    page.wait_for_timeout(200)
    assert browser_session.blocked == ["https://cdn.example.com/x.css"]
    browser_session.blocked.clear()  # expected here; the teardown check stays for every other test
