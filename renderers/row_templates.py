"""The templates "Ladda ner mall" offers for a table: a CSV and an XLSX workbook whose first row
holds the table's column titles as the form shows them, so a filled-in copy imports as it is.

The CSV is the header row only (UTF-8 with a byte order mark and semicolons, what Swedish Excel
opens without asking): a comment row is no CSV convention, and other programs would read it as
data. The allowed values of choice columns are listed where the template is offered, and in the
workbook: a second sheet "Tillåtna värden" lists them, and each choice column of the first sheet
offers them as a drop-down (data validation). Text columns are formatted as text, so Excel keeps
a personnummer's twelve digits instead of turning them into 1,91E+11.
"""
from __future__ import annotations

import csv
import io

from casetypes.row_import import allowed_texts, column_letter, importable_columns
from casetypes.spec import FieldSpec

ROWS_SHEET = "Rader"
CHOICES_SHEET = "Tillåtna värden"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Kinds whose cells are text a spreadsheet must not reshape (leading zeros, long digit runs, "+46").
TEXT_FORMAT_KINDS = frozenset({"text", "textarea", "email", "personnummer", "organisationsnummer", "postnummer",
                               "telefonnummer", "hsaid", "url"})
MULTIPLE_CHOICE_KINDS = frozenset({"checkboxes"})  # several values in a cell: no drop-down


def column_titles(table: FieldSpec) -> list[str]:
    return [spec.label for spec in importable_columns(table)]


def template_csv(table: FieldSpec) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerow(column_titles(table))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def template_xlsx(table: FieldSpec) -> bytes:
    from openpyxl import Workbook  # only when a workbook is asked for

    workbook = Workbook()
    rows_sheet = workbook.active
    rows_sheet.title = ROWS_SHEET
    columns = importable_columns(table)
    last_row = table.schema.get("maxItems", 1000) + 1
    write_header(rows_sheet, columns)
    choice_columns = [spec for spec in columns if allowed_texts(spec)]
    if choice_columns:
        write_choices(workbook.create_sheet(CHOICES_SHEET), choice_columns)
    for index, spec in enumerate(columns):
        letter = column_letter(index)
        if spec.kind in TEXT_FORMAT_KINDS:
            for row in range(2, last_row + 1):
                rows_sheet[f"{letter}{row}"].number_format = "@"
        if spec in choice_columns and spec.kind not in MULTIPLE_CHOICE_KINDS:
            offer_choices(rows_sheet, f"{letter}2:{letter}{last_row}", choice_columns.index(spec), spec)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_header(sheet, columns: tuple) -> None:
    from openpyxl.styles import Font

    sheet.append([spec.label for spec in columns])
    for index, spec in enumerate(columns):
        sheet[f"{column_letter(index)}1"].font = Font(bold=True)
        sheet.column_dimensions[column_letter(index)].width = min(max(len(spec.label) + 2, 14), 50)
    sheet.freeze_panes = "A2"


def write_choices(sheet, choice_columns: list) -> None:
    """One column per choice column: its title, then its allowed values."""
    from openpyxl.styles import Font

    for index, spec in enumerate(choice_columns):
        letter = column_letter(index)
        sheet[f"{letter}1"] = spec.label
        sheet[f"{letter}1"].font = Font(bold=True)
        sheet.column_dimensions[letter].width = min(max(len(spec.label) + 2, 14), 50)
        for row, text in enumerate(allowed_texts(spec), start=2):
            sheet[f"{letter}{row}"] = text
            sheet[f"{letter}{row}"].number_format = "@"


def offer_choices(sheet, cells: str, choices_column: int, spec: FieldSpec) -> None:
    """A drop-down of the allowed values (from the second sheet) on a column's cells."""
    from openpyxl.worksheet.datavalidation import DataValidation

    letter = column_letter(choices_column)
    count = len(allowed_texts(spec))
    validation = DataValidation(
        type="list", formula1=f"'{CHOICES_SHEET}'!${letter}$2:${letter}${count + 1}", allow_blank=True,
        showErrorMessage=True, errorTitle="Inget tillåtet värde",
        error=f"Välj ett av värdena i listan (bladet {CHOICES_SHEET}).")
    sheet.add_data_validation(validation)
    validation.add(cells)
