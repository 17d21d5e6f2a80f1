"""What the row-import tests share: made-up, Luhn-valid personnummer, spreadsheets written as
Excel writes them (Windows-1252 CSV with semicolons, XLSX through openpyxl), and the fields a
browser would post from a page that came back."""
from __future__ import annotations

import datetime
import io
from html.parser import HTMLParser

from stdnum import luhn

SITHS_COLUMNS = ["För- och efternamn", "Personnummer (ÅÅÅÅMMDDXXXX)", "E-postadress", "Övrig information",
                 "Vilket kortutlämningskontor ska SITHS-kortet hämtas ut på?", "Eget kortkontor"]


def personnummer(born: datetime.date, serial: int) -> str:
    """A made-up 12-digit personnummer with a valid check digit."""
    ten = f"{born:%y%m%d}{serial:03d}"
    return f"{born:%Y%m%d}{serial:03d}{luhn.calc_check_digit(ten)}"


def wrong_check_digit(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def persons(count: int) -> list[list[str]]:
    """`count` rows for the SITHS table, each a different made-up person."""
    first = datetime.date(1960, 1, 1)
    rows = []
    for index in range(count):
        born = first + datetime.timedelta(days=97 * index)
        rows.append([f"Person Nummer{index + 1}", personnummer(born, 100 + index % 800),
                     f"person{index + 1}@example.se", "", "Uppsala", "Nej"])
    return rows


def excel_csv(header: list[str], rows: list[list[str]], encoding: str = "cp1252") -> bytes:
    """A CSV as Swedish Excel saves "CSV (semikolonavgränsad)": Windows-1252, ; and CRLF, a
    text with a semicolon quoted."""
    def cell(text: str) -> str:
        return '"' + text.replace('"', '""') + '"' if ";" in text or '"' in text else text
    lines = [";".join(cell(text) for text in row) for row in [header, *rows]]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx(header: list, rows: list[list], title: str = "Blad1") -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    for cells in sheet.iter_rows():
        for cell in cells:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text, as Excel keeps a cell typed with a leading apostrophe
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class _FormFields(HTMLParser):
    """The (name, value) pairs a browser submits from the form with id `form_id`: text inputs
    and hidden ones, ticked boxes and radios, each select's chosen option, textareas."""

    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.pairs = form_id, False, []
        self.select, self.select_first, self.select_chosen = None, None, None
        self.option_value, self.textarea, self.text = None, None, []
        self.in_template = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "template":
            self.in_template += 1
        if self.in_template:
            return
        if tag == "input" and "name" in attrs and "disabled" not in attrs:
            self.take_input(attrs)
        elif tag == "select":
            self.select, self.select_first, self.select_chosen = attrs.get("name"), None, None
        elif tag == "option" and self.select:
            value = attrs.get("value", "")
            self.select_first = value if self.select_first is None else self.select_first
            if "selected" in attrs:
                self.select_chosen = value
        elif tag == "textarea":
            self.textarea, self.text = attrs.get("name"), []

    def take_input(self, attrs):
        kind = attrs.get("type", "text")
        if kind in ("submit", "button", "file", "reset", "image"):
            return
        if kind in ("checkbox", "radio") and "checked" not in attrs:
            return
        self.pairs.append((attrs["name"], attrs.get("value", "on" if kind in ("checkbox", "radio") else "")))

    def handle_endtag(self, tag):
        if tag == "template" and self.in_template:
            self.in_template -= 1
        elif tag == "form":
            self.inside = False
        elif tag == "select" and self.select:
            chosen = self.select_chosen if self.select_chosen is not None else self.select_first
            self.pairs.append((self.select, chosen or ""))
            self.select = None
        elif tag == "textarea" and self.textarea:
            self.pairs.append((self.textarea, "".join(self.text)))
            self.textarea = None

    def handle_data(self, data):
        if self.textarea:
            self.text.append(data)


def form_fields(html: str, form_id: str = "case-form") -> list[tuple[str, str]]:
    parser = _FormFields(form_id)
    parser.feed(html)
    return parser.pairs
