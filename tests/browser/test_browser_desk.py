"""The handlers' desk in Chromium: one handler (without JavaScript) assigns a case to themself,
another sees it under that name and not among "Ej tilldelade", the first hands it back and it is
there again; Statistik on 1 000 generated cases draws three charts (the images decode) with
tables whose numbers are the cases counted one by one; axe on the new pages; the three trust
pages are reached from the footer of every kind of page, and "Om kakor" names every cookie the
browser holds."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from app.accounts.users import ensure_user
from app.cases import statistics
from app.dev.sample_cases import insert_sample_cases
from app.platform.extensions import db
from app.platform.models import utcnow
from tests.browser.helpers import (
    CUSTOMER,
    DESKTOP,
    PHONE,
    assert_accessible,
    log_in,
    log_in_as_handler,
    menu_link,
    open_case_as_handler,
    screenshot,
)
from tests.browser.test_browser_handler import filed_case
from tests.desk_expectations import expected

COLLEAGUE = "197001012389"  # made up, Luhn-valid
TITLES = {"bestallning-av-siths-kort": "Beställning av SITHS-kort", "ovrigt": "Övrigt"}
TRUST_PAGES = {"Tillgänglighetsredogörelse": "Tillgänglighetsredogörelse",
               "Behandling av personuppgifter": "Behandling av personuppgifter", "Om kakor": "Om kakor"}


def queue_row(page, number: str):
    return page.locator("table.case-list tbody tr").filter(has=page.get_by_role("link", name=number, exact=True))


def test_a_handler_takes_a_case_another_sees_it_and_it_is_handed_back(open_page, live_portal):
    number = filed_case(live_portal)
    with live_portal.app.app_context(), db.connection_context():
        ensure_user(COLLEAGUE, "Bo Bengtsson", "handler")
    hanna = open_page(javascript=False)
    log_in_as_handler(hanna, live_portal, javascript=False)
    open_case_as_handler(hanna, number)
    hanna.get_by_role("button", name="Tilldela mig").click()
    expect(hanna.get_by_text("Ärendet är tilldelat dig.")).to_be_visible()
    me = hanna.locator(".user-name").inner_text()
    screenshot(hanna, "desk-arende-utan-js")

    bo = open_page()  # with JavaScript, so axe can run in the page
    log_in(bo, live_portal, COLLEAGUE)
    menu_link(bo, "Ärenden").click()
    expect(queue_row(bo, number).locator("td[data-label='Handläggare']")).to_have_text(me)
    bo.get_by_role("link", name="Ej tilldelade").click()
    expect(bo.get_by_role("heading", level=1, name="Ärenden")).to_be_visible()
    expect(bo.get_by_role("link", name=number, exact=True)).to_have_count(0)
    assert_accessible(bo, "the queue, Ej tilldelade")
    bo.goto(live_portal.at(f"/handlaggare/arenden/{number}"))
    expect(bo.get_by_text(f"Ärendet är tilldelat {me}.")).to_be_visible()
    for viewport in (DESKTOP, PHONE):
        bo.set_viewport_size(viewport)
        assert_accessible(bo, f"the handler's case page (desk) at {viewport['width']} px")
        screenshot(bo, "desk-arende")
        assert bo.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0
    content, side = (bo.locator(part).bounding_box() for part in (".desk__case", ".desk__side"))
    assert side["y"] > content["y"] + content["height"] - 1  # stacked on a phone, content first
    bo.set_viewport_size(DESKTOP)
    content, side = (bo.locator(part).bounding_box() for part in (".desk__case", ".desk__side"))
    assert side["x"] >= content["x"] + content["width"] and abs(side["y"] - content["y"]) < 2  # side by side
    closing = bo.locator(".desk__case").get_by_role("button", name="Avsluta ärendet").bounding_box()
    content_bottom = bo.evaluate("() => Math.max(...[...document.querySelector('.desk__case').children]"
                                 ".filter(part => !part.matches('.close-case'))"
                                 ".map(part => part.getBoundingClientRect().bottom + window.scrollY))")
    assert closing["y"] >= content_bottom and closing["x"] < side["x"]  # under the case's content, on its side
    bo.get_by_role("link", name="Ärenden", exact=True).first.click()
    bo.get_by_role("link", name="Ej tilldelade").click()

    hanna.get_by_role("button", name="Lämna tillbaka").click()
    expect(hanna.get_by_text("Ingen handläggare är tilldelad.")).to_be_visible()
    expect(hanna.locator(".history").first).to_contain_text(f"Lämnades tillbaka: ingen handläggare ({me})")
    bo.reload()
    expect(queue_row(bo, number).locator("td[data-label='Handläggare']")).to_have_text("–")


def test_statistics_draws_three_charts_with_their_numbers(open_page, live_portal):
    with live_portal.app.app_context(), db.connection_context():
        owner = ensure_user(CUSTOMER, "Tolvan Tolvansson")
        insert_sample_cases(1000, owner, utcnow(), days=200, seed=11)
        period = statistics.period_of(26)
        truth = expected(period.first_day, period.last_day)
    page = open_page()
    log_in_as_handler(page, live_portal)
    menu_link(page, "Statistik").click()
    expect(page.get_by_role("heading", level=1, name="Statistik")).to_be_visible()

    images = page.locator("img.chart")
    expect(images).to_have_count(3)
    for index in range(3):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        assert image.evaluate("img => img.complete && img.naturalWidth") == 800
        box = image.bounding_box()
        assert box["width"] > 300 and box["height"] > 150
    expect(page.locator("table.data-table caption")).to_have_count(3)

    weekly = read_table(page, "inkomna")
    for (monday, slug), count in truth["inkomna"].items():
        assert weekly[statistics.week_label(monday)][TITLES[slug]] == str(count)
    handling = read_table(page, "handlaggningstid")
    for slug, (count, median, p90) in truth["handlaggningstid"].items():
        assert handling[TITLES[slug]] == {"Avslutade ärenden": str(count), "Median": str(median),
                                          "90:e percentilen": str(p90)}
    backlog = read_table(page, "balans")
    labels = [label for label, _, _ in statistics.AGE_BUCKETS]
    for (bucket, slug), count in truth["balans"].items():
        assert backlog[labels[bucket]][TITLES[slug]] == str(count)
    assert sum(truth["balans"].values()) > 0 and len(truth["handlaggningstid"]) == 2

    with page.expect_download() as info:
        page.get_by_role("link", name="Ladda ner handläggningstid som CSV").click()
    text = open(info.value.path(), encoding="utf-8-sig").read()
    assert text.splitlines()[0] == "Ärendetyp;Avslutade ärenden;Median;90:e percentilen"
    assert_accessible(page, "Statistik")
    screenshot(page, "statistik")


def read_table(page, key: str) -> dict:
    """{row header: {column header: cell text}} of one figure's table, as the page shows it."""
    table = page.locator(f"[data-figure='{key}'] table")
    headers = table.locator("thead th").all_inner_texts()[1:]
    rows = {}
    for row in table.locator("tbody tr").all():
        label = row.locator("th").inner_text()
        rows[label] = dict(zip(headers, row.locator("td").all_inner_texts(), strict=True))
    return rows


def test_trust_pages_are_in_every_footer_and_name_the_real_cookie(open_page, live_portal):
    number = filed_case(live_portal)
    page = open_page()
    log_in_as_handler(page, live_portal)
    pages = ["/", "/logga-in", "/handlaggare/arenden", f"/handlaggare/arenden/{number}", "/handlaggare/statistik",
             "/notiser", "/tillganglighet", "/personuppgifter", "/kakor", "/finns-inte"]
    for path in pages:
        page.goto(live_portal.at(path))
        footer = page.get_by_role("navigation", name="Om tjänsten")
        for link in TRUST_PAGES:
            expect(footer.get_by_role("link", name=link, exact=True)).to_be_visible()
    for link, heading in TRUST_PAGES.items():
        page.get_by_role("navigation", name="Om tjänsten").get_by_role("link", name=link, exact=True).click()
        expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()
        assert_accessible(page, heading)
        screenshot(page, "trust-" + re.sub(r"\W+", "-", heading.lower()))
    names = {cookie["name"] for cookie in page.context.cookies()}
    shown = set(page.locator("[data-cookie-name]").all_inner_texts())
    assert names and names <= shown, (names, shown)
    page.get_by_role("link", name="Tillgänglighetsredogörelse").click()
    expect(page.get_by_role("link", name="kontakta Myndigheten för digital förvaltning och påtala det")) \
        .to_have_attribute("href", "https://www.digg.se/tdosanmalan")
