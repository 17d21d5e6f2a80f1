"""Importing table rows from a spreadsheet and the templates "Ladda ner mall" gives.

The reading itself (casetypes.spreadsheet, casetypes.row_import) is tested on real files made
here as Excel makes them; then, logged in as a customer on both databases, the SITHS form takes
a Windows-1252 CSV and XLSX files (200 rows, a wrong personnummer in row 37), shows every
mistake at its cell, keeps what was typed, files the case with the imported rows, and refuses
hostile files with a Swedish message next to the file input, never a server error.
"""
from __future__ import annotations

import csv
import io
import re
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from app.platform.extensions import db
from app.platform.models import Case
from casetypes import load_forms_dir
from casetypes.row_import import HeaderRefused, imported_rows
from casetypes.spreadsheet import MAX_FILE_BYTES, SpreadsheetError, read_sheet
from tests.login_helpers import portal_app
from tests.row_import_helpers import (
    SITHS_COLUMNS,
    excel_csv,
    form_fields,
    persons,
    wrong_check_digit,
    xlsx,
)
from tests.test_cases import ORDERER, SITHS, form_key

ROOT = Path(__file__).resolve().parent.parent
IMPORT = {"action": "import:personer"}
FILE_FIELD = "importfil-personer"


@pytest.fixture(scope="module")
def siths_table():
    return load_forms_dir(ROOT / "forms").case_types["bestallning-av-siths-kort"].fields[0]


# --- reading files as Excel writes them -------------------------------------------------------

def test_a_windows_1252_csv_with_semicolons_reads_with_its_swedish_letters():
    content = excel_csv(["Namn", "Ort"], [["Åsa Öberg", "Västerås"], ["Örjan Ärlig", "Umeå; centrum"]])
    assert b"\xc5sa" in content  # Å is one byte: Windows-1252, not UTF-8
    sheet = read_sheet(content)
    assert sheet.header == ("Namn", "Ort")
    assert [cells for _, cells in sheet.rows] == [("Åsa Öberg", "Västerås"), ("Örjan Ärlig", "Umeå; centrum")]


@pytest.mark.parametrize("encoded", [
    lambda text: text.encode("utf-8"),
    lambda text: "\ufeff".encode("utf-8") + text.encode("utf-8"),
    lambda text: text.encode("utf-16"),  # with its byte order mark, as Excel's "Unicode-text"
], ids=["utf-8", "utf-8 with BOM", "utf-16"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_in_every_encoding_and_separator_excel_writes(encoded, delimiter):
    text = delimiter.join(["Namn", "Övrigt"]) + "\r\n" + delimiter.join(["Åke Ärla", "ö"]) + "\r\n"
    sheet = read_sheet(encoded(text))
    assert sheet.header == ("Namn", "Övrigt")
    assert sheet.rows == ((2, ("Åke Ärla", "ö")),)


def test_formula_looking_cells_are_text_as_typed():
    cells = ('=HYPERLINK("http://x";"klicka")', "+46701234567", "-", "@SUM(A1)")
    assert read_sheet(excel_csv(["A", "B", "C", "D"], [list(cells)])).rows[0][1] == cells
    assert read_sheet(xlsx(["A", "B", "C", "D"], [list(cells)])).rows[0][1] == cells  # text cells, never computed


def test_xlsx_numbers_and_dates_read_as_people_see_them():
    import datetime
    sheet = read_sheet(xlsx(["Nr", "Tal", "Datum", "Ja"], [[191212121212, 12.0, datetime.datetime(2026, 3, 1), True]]))
    assert sheet.rows[0][1] == ("191212121212", "12", "2026-03-01", "Ja")


def test_header_titles_match_without_case_spaces_or_accents(siths_table):
    header = ["FÖR- OCH  EFTERNAMN", "personnummer(ååååmmddxxxx)", "e-postadress", "kortutlämningskontor", "eget kortkontor"]
    rows = imported_rows(siths_table, read_sheet(excel_csv(header, [["Åsa", "191212121212", "a@b.se", "malmö", "x"],
                                                                      ["Bo", "191212121212", "b@b.se", "uppsala", "nej"]])))
    assert [row["kortutlamningskontor"] for row in rows.documents] == ["malmo", "uppsala"]  # label or stored value
    assert [row["eget_kortkontor"] for row in rows.documents] == [True, False]
    assert rows.documents[0]["namn"] == "Åsa"


def test_a_column_named_twice_is_refused(siths_table):
    header = SITHS_COLUMNS + ["Kortutlamningskontor"]  # the field's property name, spelt without accents
    with pytest.raises(HeaderRefused, match="^Kolumnen ”Vilket kortutlämningskontor ska SITHS-kortet hämtas ut på"
                                            "[?]” finns mer än en gång i filen."):
        imported_rows(siths_table, read_sheet(excel_csv(header, [])))


def test_unknown_and_missing_columns_are_named(siths_table):
    with pytest.raises(HeaderRefused) as refused:
        imported_rows(siths_table, read_sheet(excel_csv(["Namn", "Födelsedag", "Telefon"], [["a", "b", "c"]])))
    message = str(refused.value)
    assert "Kolumnerna ”Födelsedag” (kolumn B) och ”Telefon” (kolumn C) finns inte i tabellen." in message
    assert "Kolumnerna ”Personnummer (ÅÅÅÅMMDDXXXX)” och ”E-postadress” saknas i filen." in message
    assert "Den första raden ska ha tabellens rubriker: ”För- och efternamn”" in message


def test_a_row_wider_than_the_header_is_refused_with_its_line(siths_table):
    content = excel_csv(SITHS_COLUMNS, persons(2)) + "Ny;1;2;3;4;5;6;extra\r\n".encode("cp1252")
    with pytest.raises(HeaderRefused, match="Rad 4 i filen har fler värden än den första raden har rubriker"):
        imported_rows(siths_table, read_sheet(content))


# --- hostile files -------------------------------------------------------------------------------

def zip_bomb() -> bytes:
    """An XLSX-looking archive whose one sheet unpacks to 200 MB of blanks (a few hundred kB packed)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            block = b" " * (1024 * 1024)
            for _ in range(200):
                sheet.write(block)
    return buffer.getvalue()


def entity_bomb() -> bytes:
    """A real workbook whose sheet declares entities (billion laughs)."""
    workbook = xlsx(["Namn"], [["a"]])
    source = zipfile.ZipFile(io.BytesIO(workbook))
    buffer = io.BytesIO()
    laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              + "".join(f'<!ENTITY lol{n} "{("&lol%s;" % (n - 1 if n > 1 else "")) * 10}">' for n in range(1, 10))
              + ']>')
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = (laughs + data.decode()).replace("<t>a</t>", "<t>&lol9;</t>").encode()
            archive.writestr(item.filename, data)
    return buffer.getvalue()


def far_row() -> bytes:
    """A sheet whose second row is the spreadsheet's last (row 1 048 576): read-only mode would fill
    every row between."""
    workbook = xlsx(["Namn"], [])
    source = zipfile.ZipFile(io.BytesIO(workbook))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", b'<row r="1048576"><c r="A1048576" t="inlineStr">'
                                                     b"<is><t>Sist</t></is></c></row></sheetData>")
            archive.writestr(item.filename, data)
    return buffer.getvalue()


HOSTILE_FILES = {  # name: (the file's bytes, or what makes them; the message's start)
    "empty": (b"", "Filen är tom."),
    "huge": (b"Namn\r\n" + b"a" * (MAX_FILE_BYTES + 10), "Filen är för stor: högst 1 MB går att importera."),
    "binary as csv": (bytes(range(256)) * 40, "Filen går inte att läsa som CSV eller Excel."),
    "png as csv": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 50, "Filen går inte att läsa som CSV eller Excel."),
    "old excel": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "Filen är i Excels gamla format (.xls)"),
    "zip bomb": (zip_bomb, "Excel-arbetsboken är för stor uppackad"),
    "zip, not a workbook": (lambda: xlsx(["a"], []).replace(b"[Content_Types].xml", b"[Content_Typez].xml"),
                            "Filen är ett zip-arkiv men ingen Excel-arbetsbok (.xlsx)."),
    "broken zip": (b"PK\x03\x04" + b"\x00" * 100, "Filen ser ut som en Excel-arbetsbok men är skadad."),
    "entity bomb": (entity_bomb, "Excel-arbetsboken går inte att läsa."),
    "too many columns, csv": (";".join(f"k{n}" for n in range(150)).encode() + b"\r\n",
                              "Filen har för många kolumner: högst 100 går att importera."),
    "too many columns, xlsx": (lambda: xlsx([f"k{n}" for n in range(150)], [["a"] * 150]),
                               "Filen har för många kolumner: högst 100 går att importera."),
    "unterminated quote": (b'Namn\r\n"' + b"a" * 200_000, "Filen går inte att läsa som CSV"),
}


def hostile_file(name: str) -> tuple[bytes, str]:
    content, message = HOSTILE_FILES[name]
    return (content() if callable(content) else content), message


@pytest.mark.parametrize("name", list(HOSTILE_FILES))
def test_hostile_files_are_refused_quickly_in_swedish(name):
    content, message = hostile_file(name)
    started = time.monotonic()
    with pytest.raises(SpreadsheetError) as refused:
        read_sheet(content)
    assert str(refused.value).startswith(message)
    assert time.monotonic() - started < 3


def test_a_row_far_down_the_sheet_costs_no_time():
    started = time.monotonic()
    sheet = read_sheet(far_row())
    assert sheet.header == ("Namn",) and sheet.rows == ()  # the last row is past the rows looked at
    assert time.monotonic() - started < 3


# --- the templates --------------------------------------------------------------------------------

@pytest.fixture
def portal(database_url, simulator_url):
    return portal_app(database_url, simulator_url)


def test_the_templates_download_and_open_with_the_form_s_titles(customer):
    page = customer.get(SITHS).get_data(as_text=True)
    links = dict(re.findall(r'<a href="([^"]+/mall/personer\.(?:csv|xlsx))">(Ladda ner mall[^<]*)</a>', page))
    assert set(links.values()) == {"Ladda ner mall (CSV)", "Ladda ner mall (Excel)"}
    assert "Tillåtna värden i kolumner med val" in page
    offices = ["Uppsala", "Stockholm", "Göteborg", "Malmö", "Örebro", "Västerås", "Linköping", "Umeå"]
    assert f"<dd>{', '.join(offices)}</dd>" in page and "<dd>Ja, Nej</dd>" in page
    csv_url, xlsx_url = sorted(links)
    response = customer.get(csv_url)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert next(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";")) == SITHS_COLUMNS
    response = customer.get(xlsx_url)
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data))
    rows_sheet, choices = workbook["Rader"], workbook["Tillåtna värden"]
    assert [cell.value for cell in rows_sheet[1]] == SITHS_COLUMNS
    assert [[cell.value for cell in column if cell.value] for column in choices.iter_cols()] == [
        [SITHS_COLUMNS[4], *offices], [SITHS_COLUMNS[5], "Ja", "Nej"]]
    offered = {str(validation.sqref): validation.formula1 for validation in rows_sheet.data_validations.dataValidation}
    assert offered == {"E2:E201": "'Tillåtna värden'!$A$2:$A$9", "F2:F201": "'Tillåtna värden'!$B$2:$B$3"}
    assert rows_sheet["B2"].number_format == "@"  # personnummer kept as text, never 1,91E+11
    assert customer.get(SITHS + "/mall/finns-inte.csv").status_code == 404
    assert customer.get(SITHS + "/mall/personer.pdf").status_code == 404


def test_a_filled_in_xlsx_template_imports_as_it_is(customer):
    template = load_workbook(io.BytesIO(customer.get(SITHS + "/mall/personer.xlsx").data))
    sheet = template["Rader"]
    for row, person in enumerate(persons(3), start=2):
        for column, value in enumerate(person, start=1):
            sheet.cell(row=row, column=column, value=value or None)
    buffer = io.BytesIO()
    template.save(buffer)
    response = import_file(customer, buffer.getvalue(), "mall-ifylld.xlsx")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "3 rader importerades från mall-ifylld.xlsx: rad 1–3 i tabellen, från filens rad 2–4." in html
    assert "Formuläret innehåller fel" not in html


# --- importing over HTTP ----------------------------------------------------------------------------

def import_file(client, content: bytes, filename: str, fields=None):
    """Press "Importera från fil" on the SITHS form with `fields` as the rest of the page."""
    data = fields if fields is not None else [*ORDERER.items(), ("form_key", form_key(client)),
                                              ("personer-0-_row", ""), ("personer-0-eget_kortkontor", "")]
    data = [pair for pair in data if pair[0] != "action"] + list(IMPORT.items())
    data.append((FILE_FIELD, (io.BytesIO(content), filename)))
    return client.post(SITHS, data=data_dict(data), content_type="multipart/form-data")


def data_dict(pairs):
    from werkzeug.datastructures import MultiDict
    return MultiDict(pairs)


def filed_rows(portal, response) -> list:
    number = re.fullmatch(r"/arenden/(\d{4}-\d{5})/skickat", response.headers["Location"]).group(1)
    with portal.app_context(), db.connection_context():
        return Case.get(Case.number == number).data["personer"]


def file_page(client, html: str):
    """Press "Skicka in" on a page that came back: post what its form holds."""
    return client.post(SITHS, data=data_dict(form_fields(html)), content_type="multipart/form-data")


def test_a_csv_from_excel_fills_the_table_and_files_the_case(portal, customer):
    rows = [["Åsa Öberg", "19121212-1212", "asa.oberg@example.se", "Nattpersonal; avd 4", "Malmö", "Nej"],
            ["Örjan Ärlemark", "194108207210", "orjan@example.se", "", "Uppsala", ""],
            ["Märta Ågren", "198112289874", "marta@example.se", "", "", "Ja"]]
    fields = [*ORDERER.items(), ("orderer-enhet", "Barnkliniken"), ("form_key", form_key(customer)),
              ("personer-0-_row", "")]
    fields = [pair for pair in fields if pair != ("orderer-enhet", "Akutmottagningen")]
    response = import_file(customer, excel_csv(SITHS_COLUMNS, rows), "personal från Excel.csv", fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "3 rader importerades från personal från Excel.csv: rad 1–3 i tabellen, från filens rad 2–4." in html
    assert 'value="Barnkliniken"' in html  # typed before the import, still there
    assert 'value="Åsa Öberg"' in html and 'value="Märta Ågren"' in html
    assert "Formuläret innehåller fel" not in html
    assert re.search(r'<option selected value="malmo">Malmö</option>', html)
    response = file_page(customer, html)
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    assert filed_rows(portal, response) == [
        {"namn": "Åsa Öberg", "personnummer": "191212121212", "epost": "asa.oberg@example.se",
         "ovrig_information": "Nattpersonal; avd 4", "kortutlamningskontor": "malmo", "eget_kortkontor": False},
        {"namn": "Örjan Ärlemark", "personnummer": "194108207210", "epost": "orjan@example.se",
         "kortutlamningskontor": "uppsala", "eget_kortkontor": False},
        {"namn": "Märta Ågren", "personnummer": "198112289874", "epost": "marta@example.se", "eget_kortkontor": True}]


def test_an_xlsx_with_200_rows_files_200_rows(portal, customer):
    rows = persons(200)
    response = import_file(customer, xlsx(SITHS_COLUMNS, rows), "200 personer.xlsx")
    html = response.get_data(as_text=True)
    assert "200 rader importerades från 200 personer.xlsx: rad 1–200 i tabellen, från filens rad 2–201." in html
    assert len(re.findall(r'name="personer-\d+-namn"', html)) == 200
    assert "Formuläret innehåller fel" not in html
    response = file_page(customer, html)
    assert response.status_code == 303
    filed = filed_rows(portal, response)
    assert len(filed) == 200
    assert [row["personnummer"] for row in filed] == [row[1] for row in rows]
    assert filed[199]["namn"] == "Person Nummer200"


def test_a_wrong_personnummer_in_row_37_is_shown_at_row_37_s_cell(customer):
    rows = persons(60)
    rows[36][1] = wrong_check_digit(rows[36][1])
    response = import_file(customer, xlsx(SITHS_COLUMNS, rows), "lista.xlsx")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "60 rader importerades från lista.xlsx: rad 1–60 i tabellen, från filens rad 2–61. 1 fel behöver rättas" in html
    summary = re.findall(r'<li><a href="#([^"]+)">([^<]+)</a></li>', html)
    assert summary == [("personer-36-personnummer",
                        "Rad 37, Personnummer (ÅÅÅÅMMDDXXXX): Kontrollsiffran stämmer inte. Kontrollera personnumret.")]
    cell = re.search(r'<input[^>]*id="personer-36-personnummer"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in cell and f'value="{rows[36][1]}"' in cell and "autofocus" in cell
    assert re.search(r'id="personer-36-personnummer-error"><span class="visually-hidden">Fel: </span>'
                     r'Kontrollsiffran stämmer inte', html)
    assert 'id="personer-35-personnummer-error"' not in html and 'id="personer-37-personnummer-error"' not in html


def test_typed_rows_are_kept_and_the_file_s_rows_follow_them(customer):
    typed = [*ORDERER.items(), ("form_key", form_key(customer)),
             ("personer-0-_row", ""), ("personer-0-namn", "Skriven Först"), ("personer-0-personnummer", "191212121212"),
             ("personer-0-epost", "forst@example.se"), ("personer-0-kortutlamningskontor", "uppsala"),
             ("personer-1-_row", "")]  # a second row added and left blank: replaced
    response = import_file(customer, excel_csv(SITHS_COLUMNS, persons(2)), "två.csv", typed)
    html = response.get_data(as_text=True)
    names = re.findall(r'name="personer-\d+-namn"[^>]*value="([^"]*)"', html)
    assert names == ["Skriven Först", "Person Nummer1", "Person Nummer2"]
    assert "2 rader importerades från två.csv: rad 2–3 i tabellen" in html


def test_more_rows_than_fit_are_refused_saying_how_many_fit(customer):
    typed = [*ORDERER.items(), ("form_key", form_key(customer)), ("personer-0-_row", ""),
             ("personer-0-namn", "Skriven Först")]
    response = import_file(customer, xlsx(SITHS_COLUMNS, persons(200)), "för många.xlsx", typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert ("Filen har 200 rader, men tabellen rymmer högst 200 rader. 1 rad är redan ifylld, så 199 till "
            "får plats.") in html
    assert re.findall(r'name="personer-\d+-namn"[^>]*value="([^"]*)"', html) == ["Skriven Först"]
    much_too_long = excel_csv(SITHS_COLUMNS, persons(1) * 1500)  # more than any table holds: not read to the end
    html = import_file(customer, much_too_long, "alla.csv", typed).get_data(as_text=True)
    assert "Filen har fler än 1000 rader, men tabellen rymmer högst 200 rader. 1 rad är redan ifylld" in html


@pytest.mark.parametrize("name", ["huge", "zip bomb", "binary as csv", "too many columns, xlsx"])
def test_a_hostile_file_gets_its_message_at_the_file_input_and_nothing_is_lost(customer, name):
    content, message = hostile_file(name)
    typed = [*ORDERER.items(), ("orderer-enhet", "Röntgen"), ("form_key", form_key(customer)),
             ("personer-0-_row", ""), ("personer-0-namn", "Kvar Efteråt")]
    typed = [pair for pair in typed if pair != ("orderer-enhet", "Akutmottagningen")]
    response = import_file(customer, content, "lista.xlsx", typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    status = re.search(r'<p class="error-message" id="importfil-personer-status" role="alert">(.*?)</p>', html, re.S)
    assert status and message in status.group(1)
    file_input = re.search(r'<input type="file" id="importfil-personer"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in file_input and "importfil-personer-status" in file_input
    assert 'value="Kvar Efteråt"' in html and 'value="Röntgen"' in html


def test_a_checkbox_cell_that_says_neither_yes_nor_no_is_marked_at_its_cell(customer):
    rows = persons(2)
    rows[1][5] = "kanske"
    html = import_file(customer, excel_csv(SITHS_COLUMNS, rows), "lista.csv").get_data(as_text=True)
    assert re.findall(r'<li><a href="#([^"]+)">([^<]+)</a></li>', html) == [
        ("personer-1-eget_kortkontor", "Rad 2, Eget kortkontor: Skriv Ja eller Nej (eller lämna cellen tom för Nej), "
                                       "inte ”kanske”.")]
    assert 'id="personer-1-eget_kortkontor-error"' in html


def test_pressing_import_without_a_file_asks_for_one(customer):
    data = {**ORDERER, "form_key": form_key(customer), "personer-0-_row": "", **IMPORT}
    response = customer.post(SITHS, data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Välj en fil att importera: en CSV-fil eller en Excel-arbetsbok (.xlsx)." in response.get_data(as_text=True)


# --- any table: inside a section, with numbers, several choices, Ja/Nej -------------------------

NESTED = {
    "title": "Utrustning", "type": "object", "additionalProperties": False,
    "properties": {"beställning": {
        "type": "object", "title": "Beställning", "additionalProperties": False,
        "properties": {"enhet": {"type": "string", "title": "Enhet", "maxLength": 50},
                       "saker": {
            "type": "array", "title": "Saker", "maxItems": 3,
            "items": {"type": "object", "additionalProperties": False, "required": ["antal"],
                      "properties": {
                          "antal": {"type": "integer", "title": "Antal", "minimum": 1},
                          "färger": {"type": "array", "title": "Färger", "uniqueItems": True,
                                     "items": {"enum": ["röd", "blå"]}},
                          "brådskande": {"type": "boolean", "title": "Brådskande", "x-ui": {"widget": "yesno"}},
                          "storlek": {"type": "string", "title": "Storlek", "x-ui": {"widget": "radio"},
                                      "oneOf": [{"const": "s", "title": "Liten"}, {"const": "l", "title": "Stor"}]}}}}}}},
}


@pytest.fixture
def nested_preview(tmp_path):
    import json

    from tests.conftest import make_app
    (tmp_path / "forms").mkdir()
    (tmp_path / "forms" / "utrustning.json").write_text(json.dumps(NESTED), encoding="utf-8")
    return make_app(f"sqlite:///{tmp_path / 'portal.db'}", forms_dir=str(tmp_path / "forms")).test_client()


def test_a_table_inside_a_section_imports_numbers_choices_and_yes_no(nested_preview):
    page = nested_preview.get("/forhandsgranska/utrustning").get_data(as_text=True)
    table = re.search(r'name="action" value="import:([^"]+)"', page).group(1)
    assert table.endswith("-saker") and table != "saker"
    header = ["Antal", "Färger", "Brådskande", "Storlek"]
    rows = [["2", "Röd; blå", "Ja", "Stor"], ["två", "grön", "kanske", "s"]]
    data = data_dict([(f"{table.split('-')[0]}-enhet", "Lager 3"), ("action", f"import:{table}"),
                      (f"importfil-{table}", (io.BytesIO(excel_csv(header, rows)), "saker.csv"))])
    html = nested_preview.post("/forhandsgranska/utrustning", data=data,
                               content_type="multipart/form-data").get_data(as_text=True)
    assert "2 rader importerades från saker.csv: rad 1–2 i tabellen, från filens rad 2–3." in html
    assert 'value="Lager 3"' in html
    assert re.search(rf'<input[^>]*checked[^>]*id="{table}-0-[^"]*-0"|<input[^>]*id="{table}-0-[^"]*-0"[^>]*checked', html)
    summary = [text for _, text in re.findall(r'<li><a href="#([^"]+)">([^<]+)</a></li>', html)]
    assert summary == ["Rad 2, Antal: Ange ett heltal.",
                       "Rad 2, Färger: Välj ett av alternativen.",
                       "Rad 2, Brådskande: Välj Ja eller Nej."], summary
    names = dict(re.findall(r'<li><a href="#([^"]+)">(Rad 2, [^:]+):', html))
    assert all(name.startswith(f"{table}-1-") for name in names)
