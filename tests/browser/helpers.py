"""What a person does in the portal, step by step as the user guide tells it, plus the checks
the browser tests share: axe-core, screenshots, the PDF's text, the mail worker."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from app.accounts.users import ensure_user
from app.messaging.mailer import deliver_due
from app.platform.extensions import db

CUSTOMER = "191212121212"
HANDLER = "198112289874"
HANDLER_NAME = "Hanna Handläggare"
CUSTOMER_EMAIL = "tolvan@example.se"

ROOT = Path(__file__).resolve().parents[2]
AXE_SOURCE = (ROOT / "tests" / "vendor" / "axe" / "axe.min.js").read_text(encoding="utf-8")
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
BLOCKING_IMPACTS = ("serious", "critical")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

SITHS_TITLE = "Beställning av SITHS-kort"
OVRIGT_TITLE = "Övrigt"
LABEL_NAME = "För- och efternamn"
LABEL_PNR = "Personnummer (ÅÅÅÅMMDDXXXX)"
LABEL_EMAIL = "E-postadress"
LABEL_INFO = "Övrig information"
LABEL_OFFICE = "Vilket kortutlämningskontor ska SITHS-kortet hämtas ut på?"
LABEL_OWN_OFFICE = "Eget kortkontor"


@dataclass
class Person:
    """One row of the SITHS order; `office` is the option label, None when left unchosen."""
    name: str
    personnummer: str
    email: str
    info: str = ""
    office: str | None = "Uppsala"
    own_office: bool = False


# --- login (steps 2–4) -------------------------------------------------------------------------

def log_in(page: Page, portal, personnummer: str, *, javascript: bool = True) -> None:
    """Starta e-tjänsten → BankID på denna enhet → Starta BankID-appen → the simulator's app
    page (in its own window): Ange personnummer, Verifiera → back to the portal's tab. With JavaScript the waiting page's
    polling script moves on by itself; without it the person presses "Fortsätt"."""
    page.goto(portal.at("/"))
    page.get_by_role("link", name="Starta e-tjänsten").click()
    log_in_here(page, personnummer, javascript=javascript)


def log_in_here(page: Page, personnummer: str, *, javascript: bool = True) -> None:
    """The same from the login page on screen (one a form led to, with its way back)."""
    page.get_by_role("button", name="BankID på denna enhet").click()
    expect(page.get_by_role("heading", name="Legitimera dig med BankID")).to_be_visible()
    # The BankID app is another program: the link opens in a window of its own (Ctrl+click),
    # while the portal's tab stays on the waiting page, as it does on a real desktop.
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Starta BankID-appen").click(modifiers=["ControlOrMeta"])
    bankid_app = opened.value
    approve_in_bankid_app(bankid_app, personnummer)
    bankid_app.close()
    page.bring_to_front()
    if javascript:
        page.wait_for_url(lambda url: "/logga-in" not in url)
    else:
        page.get_by_role("button", name="Fortsätt").click()
    expect(page.get_by_role("button", name="Logga ut")).to_be_visible()


def approve_in_bankid_app(page: Page, personnummer: str) -> None:
    """Play the person in "the BankID app" (the simulator's page): type the number, Verifiera."""
    expect(page.get_by_role("heading", name="BankID-appen (simulator)")).to_be_visible()
    page.get_by_label("Ange personnummer").fill(personnummer)
    page.get_by_role("button", name="Verifiera").click()
    expect(page.get_by_text("Klart. Du kan gå tillbaka till tjänsten.")).to_be_visible()


def log_in_as_handler(page: Page, portal, *, javascript: bool = True) -> None:
    """Give the handler test person the role, then log in like anybody else."""
    grant_handler(portal.app)
    log_in(page, portal, HANDLER, javascript=javascript)


def grant_handler(app, personnummer: str = HANDLER, name: str = HANDLER_NAME) -> None:
    with app.app_context(), db.connection_context():
        ensure_user(personnummer, name, "handler")


# --- Mina uppgifter (steps 5–6) ------------------------------------------------------------------

def fill_mina_uppgifter(page: Page, email: str = CUSTOMER_EMAIL) -> None:
    """Organisation, organisationsnummer, enhet, e-post, tick the notification box, Spara."""
    expect(page.get_by_role("heading", name="Mina uppgifter", exact=True)).to_be_visible()
    page.get_by_label("Organisationsnamn").fill("Region Uppland")
    page.get_by_label("Organisationsnummer ÅÅMMDD-XXXX eller XXXXXX-XXXX").fill("232100-0016")
    page.get_by_label("Enhetens namn").fill("Akutmottagningen")
    page.get_by_role("textbox", name="E-postadress").fill(email)
    page.get_by_label("Jag vill bli notifierad via e-post").check()
    page.get_by_role("button", name="Spara").click()
    expect(page.get_by_text("Dina uppgifter är sparade.")).to_be_visible()


# --- filing a case (steps 7–9) -------------------------------------------------------------------

def choose_case_type(page: Page, title: str) -> None:
    """Beskriv ärendet › → Vad gäller ärendet? → the type → Fortsätt."""
    page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Beskriv ärendet").click()
    page.get_by_label("Vad gäller ärendet?").select_option(label=title)
    page.get_by_role("button", name="Fortsätt").click()
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()


def menu_link(page: Page, name: str):
    """A link in the menu bar at the top ("Beskriv ärendet", "Mina Sidor", "Ärenden", ...)."""
    return page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name=name, exact=True)


def person_rows(page: Page):
    """The persons table's body rows (not the hidden template row)."""
    return page.locator("[data-row-body] > tr[data-row]")


def fill_person(row, person: Person) -> None:
    """Fill one table row through its labels, as a person (or a screen reader user) finds them."""
    row.get_by_label(LABEL_NAME).fill(person.name)
    row.get_by_label(LABEL_PNR).fill(person.personnummer)
    row.get_by_label(LABEL_EMAIL).fill(person.email)
    row.get_by_label(LABEL_INFO).fill(person.info)
    office = row.get_by_label(LABEL_OFFICE)
    if person.office:
        office.select_option(label=person.office)
    else:
        office.select_option(label="Välj ett alternativ")
    row.get_by_label(LABEL_OWN_OFFICE).set_checked(person.own_office)


def add_row(page: Page) -> None:
    """Press "Lägg till ny rad" and wait for the new row (script or server round trip)."""
    before = person_rows(page).count()
    page.get_by_role("button", name="Lägg till ny rad").click()
    expect(person_rows(page)).to_have_count(before + 1)


def remove_row(page: Page, number: int) -> None:
    """Press "Ta bort" on row `number` (1-based; its accessible name is "Ta bort rad N")."""
    before = person_rows(page).count()
    person_rows(page).nth(number - 1).get_by_role("button", name="Ta bort").click()
    expect(person_rows(page)).to_have_count(before - 1)


def read_person(row) -> Person:
    """What a row's fields hold now."""
    office = row.get_by_label(LABEL_OFFICE)
    value = office.input_value()
    chosen = office.locator(f"option[value='{value}']").inner_text() if value else None
    return Person(name=row.get_by_label(LABEL_NAME).input_value(),
                  personnummer=row.get_by_label(LABEL_PNR).input_value(),
                  email=row.get_by_label(LABEL_EMAIL).input_value(),
                  info=row.get_by_label(LABEL_INFO).input_value(),
                  office=chosen, own_office=row.get_by_label(LABEL_OWN_OFFICE).is_checked())


def submit_case(page: Page) -> str:
    """Skicka in → the confirmation; returns the case number shown there."""
    page.get_by_role("button", name="Skicka in").click()
    expect(page.get_by_role("heading", name="Ditt ärende är nu inskickat.")).to_be_visible()
    expect(page.get_by_text("Tack, ditt ärende är nu registrerat!")).to_be_visible()
    expect(page.get_by_text("Inkomna ärenden hanteras helgfria vardagar mellan 09:00-16.00.")).to_be_visible()
    text = page.locator(".case-number").inner_text()
    return re.search(r"\d{4}-\d{5}", text).group(0)


def download_pdf_text(page: Page, link_name: str = "Ladda ner som PDF") -> tuple[str, str]:
    """Click the PDF link, let Playwright catch the download; returns (file name, text)."""
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name).first.click()
    download = info.value
    reader = PdfReader(download.path())
    return download.suggested_filename, "\n".join(p.extract_text() for p in reader.pages)


def case_section(page: Page, heading: str):
    """The <section> on Mina sidor whose h2 is `heading` ("Pågående ärenden", "Avslutade ärenden")."""
    return page.locator("main section").filter(has=page.get_by_role("heading", level=2, name=heading, exact=True))


# --- the handler ---------------------------------------------------------------------------------

def open_case_as_handler(page: Page, number: str) -> None:
    """Ärenden → the case number in the queue."""
    menu_link(page, "Ärenden").click()
    expect(page.get_by_role("heading", level=1, name="Ärenden")).to_be_visible()
    page.get_by_role("link", name=number, exact=True).click()
    expect(page).to_have_url(re.compile(rf"/handlaggare/arenden/{number}$"))
    expect(page.get_by_role("button", name="Avsluta ärendet")).to_be_visible()


def reply_and_close(page: Page, reply: str, closing: str = "") -> None:
    """Write a reply (Skicka), then "Avsluta ärendet" with an optional closing message."""
    page.get_by_label("Skriv ett meddelande").fill(reply)
    page.get_by_role("button", name="Skicka", exact=True).click()
    expect(page.locator(".message__body", has_text=reply)).to_be_visible()
    if closing:
        page.get_by_label("Meddelande till kunden när ärendet avslutas (valfritt)").fill(closing)
    confirm_and_close(page)


def confirm_and_close(page: Page) -> None:
    """Avsluta ärendet, then say yes: in the dialog with JavaScript, on the confirmation page
    without it."""
    def accept(dialog):
        dialog.accept()
    page.on("dialog", accept)
    page.get_by_role("button", name="Avsluta ärendet").click()
    confirm = page.get_by_role("button", name="Ja, avsluta ärendet")
    reopen = page.get_by_role("button", name="Återöppna ärendet")
    expect(confirm.or_(reopen)).to_be_visible()
    if confirm.is_visible():
        confirm.click()
    expect(reopen).to_be_visible()
    page.remove_listener("dialog", accept)


def run_mail_worker(portal) -> None:
    """One pass of the outbox worker, as the deployed worker process runs it."""
    with portal.app.app_context():
        deliver_due(portal.app)


# --- checks --------------------------------------------------------------------------------------

def axe_violations(page: Page) -> list[dict]:
    """Run the vendored axe-core on the page (injected over the DevTools protocol, so the
    portal's Content-Security-Policy stays as it is) and return its violations."""
    page.wait_for_load_state("load")  # a click returns once navigation commits, not when it ends
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE + "\n;undefined")
    return page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            helpUrl: v.helpUrl, nodes: v.nodes.map(n => ({target: n.target.join(' '),
            html: n.html, summary: n.failureSummary}))}));
    }""")


def format_violations(violations: list[dict]) -> str:
    """Violations as a readable list: rule, impact, help, then each element and why."""
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
        for node in violation["nodes"]:
            lines.append(f"    at {node['target']}\n      {node['html'][:200]}")
            lines.extend(f"      {line}" for line in (node["summary"] or "").splitlines())
    return "\n".join(lines)


def assert_accessible(page: Page, where: str) -> None:
    """No axe violation of impact serious or critical on this page."""
    blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"axe on {where} ({page.url}):\n{format_violations(blocking)}"


def screenshot(page: Page, name: str) -> Path:
    """A full-page screenshot under test-artifacts/screenshots/, named by page and width."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("load")
    path = SCREENSHOTS / f"{name}-{page.viewport_size['width']}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
