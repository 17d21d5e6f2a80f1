"""Importing rows as a person does it, without JavaScript: choose the Excel file under the SITHS
table, press "Importera från fil", see the three persons in the table, press "Skicka in", and
the filed case holds exactly those rows."""
from __future__ import annotations

from playwright.sync_api import expect

from app.platform.extensions import db
from app.platform.models import Case
from tests.browser.helpers import (
    CUSTOMER,
    SITHS_TITLE,
    Person,
    choose_case_type,
    fill_mina_uppgifter,
    log_in,
    person_rows,
    read_person,
    screenshot,
    submit_case,
)
from tests.row_import_helpers import SITHS_COLUMNS, excel_csv

PERSONS = [
    Person("Åsa Öberg", "191212121212", "asa@example.se", "Nattpersonal; avd 4", "Malmö"),
    Person("Örjan Ärlemark", "194108207210", "orjan@example.se", "", "Umeå"),
    Person("Märta Ågren", "198112289874", "marta@example.se", "", None, own_office=True),
]


def as_cells(person: Person) -> list[str]:
    return [person.name, person.personnummer, person.email, person.info, person.office or "",
            "Ja" if person.own_office else "Nej"]


def test_three_persons_imported_from_excel_are_filed(open_page, live_portal, tmp_path):
    staff = tmp_path / "personal.csv"
    staff.write_bytes(excel_csv(SITHS_COLUMNS, [as_cells(person) for person in PERSONS]))  # Windows-1252, ;
    page = open_page(javascript=False)
    log_in(page, live_portal, CUSTOMER, javascript=False)
    fill_mina_uppgifter(page)
    choose_case_type(page, SITHS_TITLE)
    page.get_by_label("Enhet", exact=True).fill("Röntgen")  # typed before the import: kept

    page.get_by_label("Importera rader från fil (CSV eller Excel)").set_input_files(str(staff))
    page.get_by_role("button", name="Importera från fil").click()

    expect(page.get_by_role("status").filter(has_text="importerades")).to_have_text(
        "3 rader importerades från personal.csv: rad 1–3 i tabellen, från filens rad 2–4.")
    expect(person_rows(page)).to_have_count(3)  # the form's empty first row was replaced
    assert [read_person(person_rows(page).nth(index)) for index in range(3)] == PERSONS
    expect(page.get_by_label("Enhet", exact=True)).to_have_value("Röntgen")
    screenshot(page, "row-import-siths")

    number = submit_case(page)
    with live_portal.app.app_context(), db.connection_context():
        case = Case.get(Case.number == number)
        assert case.orderer["enhet"] == "Röntgen"
        assert case.data["personer"] == [
            {"namn": "Åsa Öberg", "personnummer": "191212121212", "epost": "asa@example.se",
             "ovrig_information": "Nattpersonal; avd 4", "kortutlamningskontor": "malmo", "eget_kortkontor": False},
            {"namn": "Örjan Ärlemark", "personnummer": "194108207210", "epost": "orjan@example.se",
             "kortutlamningskontor": "umea", "eget_kortkontor": False},
            {"namn": "Märta Ågren", "personnummer": "198112289874", "epost": "marta@example.se",
             "eget_kortkontor": True}]


def test_a_file_over_the_limit_is_refused_before_the_form_is_sent(open_page, live_portal, tmp_path):
    """With JavaScript, a 1.5 MB file gets the Swedish message at the file input at once: no
    request leaves the page, and what was typed stays."""
    huge = tmp_path / "stor.csv"
    huge.write_bytes(b"Namn\r\n" + b"a" * 1_500_000)
    page = open_page()
    page.goto(live_portal.at("/forhandsgranska/bestallning-av-siths-kort"))
    person_rows(page).nth(0).get_by_label("För- och efternamn").fill("Kvar Efteråt")
    file_input = page.get_by_label("Importera rader från fil (CSV eller Excel)")
    file_input.set_input_files(str(huge))
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    page.get_by_role("button", name="Importera från fil").click()
    expect(page.get_by_role("alert")).to_have_text("Fel: Filen är för stor: högst 1 MB går att importera.")
    expect(file_input).to_have_attribute("aria-invalid", "true")
    expect(file_input).to_be_focused()
    assert posts == []
    expect(person_rows(page).nth(0).get_by_label("För- och efternamn")).to_have_value("Kvar Efteråt")
