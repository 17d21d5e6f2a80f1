"""A table's columns and a spreadsheet's rows as rows of that table: which fields of a row a file
can fill (one column each, titled as the form shows them), matching a file's header to them
(case, spaces and accents ignored; the property name is accepted too), and each cell read into
the JSON value the form would have posted for it.

Reading never judges: a cell that is no known choice, or a number with letters in it, is handed
on as typed, so jsonschema (the only judge) reports it at its cell just as it does for the form.
Only what a form field cannot carry is refused here: a checkbox cell that says neither yes nor no.
Formula-looking text ("=SUMMA(A1)", "+46…", "-", "@") is text like any other, never evaluated.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable

from .spec import FieldSpec
from .spreadsheet import Sheet

# The answers a checkbox cell may give, as people write them in a spreadsheet (compared folded).
YES_WORDS = frozenset({"ja", "j", "x", "sant", "true", "1", "yes", "y", "✓", "✔"})
NO_WORDS = frozenset({"nej", "n", "falskt", "false", "0", "no"})
YES_NO_TITLES = ("Ja", "Nej")
# Several choices in one cell: one per line, or separated by semicolons or commas.
CHOICE_SEPARATORS = re.compile(r"[;\n,]")


class CellRefused(ValueError):
    """A cell the form could not carry; the message is for the person, in Swedish."""


def folded(text: str) -> str:
    """Text compared without case, spaces, accents or a trailing required-star: "Förnamn *" and
    "fornamn" are the same title."""
    decomposed = unicodedata.normalize("NFKD", str(text).casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char) and not char.isspace())
    return plain.rstrip("*")


def value_text(value) -> str:
    """How a stored choice value is written in a cell: true/false, else its own spelling."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- reading one cell --------------------------------------------------------------------------
# Each reader takes (spec, cell text, trimmed and not blank) and gives the row's JSON value.

def as_text(spec: FieldSpec, text: str):
    return text


def one_choice(spec: FieldSpec, text: str):
    """A choice by its label as the form shows it, or by its stored value; anything else as
    typed, for jsonschema to refuse at the cell."""
    wanted = folded(text)
    for choice in spec.choices:
        if wanted in (folded(choice.title), folded(value_text(choice.value))):
            return choice.value
    return text


def several_choices(spec: FieldSpec, text: str) -> list:
    """A cell of a checkbox group: the whole text if it is one label, else its parts."""
    whole = one_choice(spec, text)
    if whole is not text:
        return [whole]
    return [one_choice(spec, part.strip()) for part in CHOICE_SEPARATORS.split(text) if part.strip()]


def yes_or_no(spec: FieldSpec, text: str):
    """Ja/Nej (and their usual spellings) as true/false; anything else as typed, for
    jsonschema to refuse with the form's own message."""
    word = folded(text)
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    return text


def ticked(spec: FieldSpec, text: str) -> bool:
    """A checkbox is ticked or not; it cannot carry a third answer to the judge, so a cell that
    says neither is refused here."""
    answer = yes_or_no(spec, text)
    if isinstance(answer, bool):
        return answer
    raise CellRefused(f"Skriv Ja eller Nej (eller lämna cellen tom för Nej), inte ”{text[:40]}”.")


TEXT_KINDS = ("text", "textarea", "email", "personnummer", "organisationsnummer", "postnummer", "telefonnummer",
              "hsaid", "url", "date", "datetime", "time", "integer", "number")
CELL_READERS: dict[str, Callable[[FieldSpec, str], Any]] = {
    **{kind: as_text for kind in TEXT_KINDS},
    "select": one_choice,
    "radio": one_choice,
    "yesno": yes_or_no,
    "checkbox": ticked,
    "checkboxes": several_choices,
}


def importable_columns(table: FieldSpec) -> tuple:
    """The fields of a row that a file's cell can fill, in the form's order: not fixed values,
    not groups or lists inside the row (a cell holds one answer)."""
    return tuple(spec for spec in table.form_children if spec.kind in CELL_READERS and not spec.read_only)


def allowed_texts(spec: FieldSpec) -> tuple:
    """What a column's cells may say, where the form offers choices ("" for any text)."""
    if spec.kind in ("checkbox", "yesno"):
        return YES_NO_TITLES
    return tuple(choice.title for choice in spec.choices)


def must_have_column(spec: FieldSpec) -> bool:
    """A file without this column could not give any row its required answer (a checkbox
    always has one: unticked)."""
    return spec.required and not spec.visible_when and spec.kind != "checkbox"


# --- the header ---------------------------------------------------------------------------------

def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA, as a spreadsheet names its columns."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def listed(texts: list) -> str:
    """"A", "A och B", "A, B och C"."""
    return texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + " och " + texts[-1]


def quoted_list(items: list) -> str:
    return listed([f"”{item}”" for item in items])


class HeaderRefused(ValueError):
    """The file's first row does not name the table's columns; the message says how."""


@dataclass(frozen=True)
class ColumnMap:
    """Which field each column of the file fills (None: a blank column, left alone)."""
    fields: tuple

    def row_document(self, cells) -> tuple[dict, list]:
        """The row as the JSON values the form would post, and the (field, message) pairs of
        cells it could not carry."""
        document: dict = {}
        refused = []
        for spec, cell in zip(self.fields, cells):
            text = cell.strip()
            if spec is None or not text:
                continue
            try:
                document[spec.name] = CELL_READERS[spec.kind](spec, text)
            except CellRefused as problem:
                refused.append((spec, str(problem)))
        return document, refused


def header_keys(spec: FieldSpec) -> set:
    return {folded(spec.label), folded(spec.name)}


def column_map(table: FieldSpec, header: tuple) -> ColumnMap:
    """The file's columns matched to the table's fields by title; every unknown, repeated or
    missing column is named in one message."""
    columns = importable_columns(table)
    by_key: dict = {}
    for spec in columns:
        for key in header_keys(spec):
            by_key.setdefault(key, spec)
    fields: list = []
    unknown, repeated = [], []
    for index, title in enumerate(header):
        spec = by_key.get(folded(title)) if title.strip() else None
        if title.strip() and spec is None:
            unknown.append(f"”{title.strip()[:60]}” (kolumn {column_letter(index)})")
        elif spec is not None and spec in fields:
            repeated.append(spec.label)
        fields.append(spec)
    missing = [spec.label for spec in columns if must_have_column(spec) and spec not in fields]
    messages = header_messages(unknown, repeated, missing, columns)
    if messages:
        raise HeaderRefused(" ".join(messages))
    return ColumnMap(tuple(fields))


def header_messages(unknown: list, repeated: list, missing: list, columns: tuple) -> list:
    messages = []
    if unknown:
        noun = "Kolumnen" if len(unknown) == 1 else "Kolumnerna"
        messages.append(f"{noun} {listed(unknown)} finns inte i tabellen.")
    if repeated:
        messages.append(f"{'Kolumnen' if len(repeated) == 1 else 'Kolumnerna'} {quoted_list(repeated)} "
                        "finns mer än en gång i filen.")
    if missing:
        messages.append(f"{'Kolumnen' if len(missing) == 1 else 'Kolumnerna'} {quoted_list(missing)} "
                        "saknas i filen.")
    if messages:
        messages.append(f"Den första raden ska ha tabellens rubriker: {quoted_list([c.label for c in columns])}.")
    return messages


# --- the rows -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ImportedRows:
    """The file's rows as documents of the table's rows, in order, with the number each had in
    the file and the cells no form field could carry: (row position, field, message)."""
    documents: tuple
    file_rows: tuple
    refused_cells: tuple


def imported_rows(table: FieldSpec, sheet: Sheet) -> ImportedRows:
    """Every row of the sheet as a row of the table. Raises HeaderRefused for the header, or
    for a row with more values than the header has titles (a separator inside an unquoted
    text moves every cell after it)."""
    columns = column_map(table, sheet.header)
    documents: list = []
    refused: list = []
    for position, (number, cells) in enumerate(sheet.rows):
        if any(cell.strip() for cell in cells[sheet.width:]):
            raise HeaderRefused(f"Rad {number} i filen har fler värden än den första raden har rubriker. "
                                "Står en text med semikolon eller komma utan citattecken?")
        document, cell_problems = columns.row_document(cells)
        documents.append({**absent_column_defaults(table, columns), **document})
        refused.extend((position, spec, message) for spec, message in cell_problems)
    return ImportedRows(tuple(documents), tuple(number for number, _ in sheet.rows), tuple(refused))


def absent_column_defaults(table: FieldSpec, columns: ColumnMap) -> dict:
    """A field the file has no column for starts from its default, as in a new row of the form."""
    return {spec.name: spec.default for spec in table.form_children
            if spec not in columns.fields and spec.default is not None and not spec.read_only}
