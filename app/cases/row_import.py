""""Importera från fil" and "Ladda ner mall" for the tables of a case form.

Importing rewrites the posted data, as "Lägg till ny rad" does: the file's rows (read by
casetypes.spreadsheet, mapped to row documents by casetypes.row_import) become the rows a
browser would have posted, the page comes back with them, and the one judge (the case type's
jsonschema validator) marks their mistakes at their cells. Everything else on the page is kept
as posted.

The imported rows are **added after** the rows already filled in; rows nobody touched (a new
form's empty first row, or a row added and left blank) are replaced. Replacing the whole table
would throw away what the person typed, which an import must never do; a person who wants the
file instead can remove the old rows with "Ta bort". A file that cannot be imported (unreadable,
wrong columns, more rows than fit) changes nothing and says why next to the file input.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from casetypes import CaseType, Problem
from casetypes.row_import import HeaderRefused, imported_rows
from casetypes.spreadsheet import MAX_DATA_ROWS, MAX_FILE_BYTES, SpreadsheetError, read_sheet
from renderers.row_templates import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, template_csv, template_xlsx
from webforms import CaseForm, bind
from webforms import rows as row_actions
from webforms.caseform import (
    apply_row_action,
    blank_row_document,
    posted_rows,
    read_posted,
    row_pairs,
)
from webforms.names import SEPARATOR, parse_row_index, spec_named

IMPORT_VERB = "import"  # the button: name="action" value="import:<table name>"
FILE_FIELD_PREFIX = "importfil-"  # each table's file input: "importfil-<table name>"


class ImportRefused(ValueError):
    """A file that changes nothing; the message says why, in Swedish."""


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes  # at most one byte more than an import may have, so "too large" can be told


def upload_of(files, table_name: str) -> Upload | None:
    """The file chosen for a table's import, read no further than the import limit."""
    storage = files.get(FILE_FIELD_PREFIX + table_name)
    if storage is None or not storage.filename:
        return None
    return Upload(shown_filename(storage.filename), storage.stream.read(MAX_FILE_BYTES + 1))


def shown_filename(name: str) -> str:
    """The file's own name, without folders or control characters, short enough to quote."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(char for char in base if unicodedata.category(char)[0] != "C")[:80] or "filen"


def form_after_action(case_type: CaseType, formdata, files) -> CaseForm:
    """The form after one of its buttons that are not "Skicka in": a row added or removed, or
    rows imported from a file."""
    action = formdata.get(row_actions.ACTION_FIELD, "")
    verb, _, target = action.partition(":")
    if verb == IMPORT_VERB:
        return imported_form(case_type, formdata, target, upload_of(files, target))
    return apply_row_action(case_type, formdata, action)


def importable_table(case_type: CaseType, table_name: str):
    """The table spec an HTML name draws, if it is a table of rows (a free list takes no file)."""
    spec = spec_named(case_type, table_name)
    return spec if spec is not None and spec.kind == "table" else None


def imported_form(case_type: CaseType, formdata, table_name: str, upload: Upload | None) -> CaseForm:
    table = importable_table(case_type, table_name)
    if table is None:
        return bind(case_type, formdata)  # no such table: nothing to do, as for an unknown row button
    try:
        return with_imported_rows(case_type, formdata, table, table_name, upload)
    except ImportRefused as refusal:
        caseform = bind(case_type, formdata)
        caseform.row_imports[table_name] = (str(refusal), True)
        caseform.focus = FILE_FIELD_PREFIX + table_name
        return caseform


def rows_of(table, upload: Upload | None):
    if upload is None:
        raise ImportRefused("Välj en fil att importera: en CSV-fil eller en Excel-arbetsbok (.xlsx).")
    try:
        found = imported_rows(table, read_sheet(upload.content))
    except (SpreadsheetError, HeaderRefused) as problem:
        raise ImportRefused(str(problem)) from None
    if not found.documents:
        raise ImportRefused("Filen har inga rader under rubrikraden.")
    return found


def with_imported_rows(case_type: CaseType, formdata, table, table_name: str, upload: Upload | None) -> CaseForm:
    found = rows_of(table, upload)
    blank = blank_row_document(table)
    kept = [index for index, document in posted_rows(table, formdata, table_name) if document != blank]
    check_room(table, len(kept), len(found.documents))
    new_formdata = row_actions.with_rows(formdata, table_name, kept,
                                         [row_pairs(table, document) for document in found.documents])
    caseform = bind(case_type, new_formdata)
    table_path = concrete_path(table, table_name)
    first = len(kept)
    imported = range(first, first + len(found.documents))
    judged = [problem for problem in case_type.validate(read_posted(case_type, new_formdata))
              if about_rows(problem.path, table_path, imported)]
    refused = [Problem(table_path + (first + position, spec.name), message)
               for position, spec, message in found.refused_cells]
    caseform.problems = judged + refused
    caseform.row_imports[table_name] = (imported_message(upload, found, first, len(caseform.problems)), False)
    located = caseform.located_problems()
    caseform.focus = located[0][0] if located else FILE_FIELD_PREFIX + table_name
    return caseform


def check_room(table, filled: int, wanted: int) -> None:
    """More rows than the table holds are refused, saying how many fit."""
    limit = table.schema.get("maxItems", MAX_DATA_ROWS)
    room = max(limit - filled, 0)
    if wanted <= room:
        return
    counted = f"fler än {MAX_DATA_ROWS}" if wanted > MAX_DATA_ROWS else str(wanted)
    filled_text = "1 rad är redan ifylld" if filled == 1 else f"{filled} rader är redan ifyllda"
    already = (f" {filled_text}, så {room} till får plats." if filled
               else f" Dela upp filen i delar om högst {limit} rader.")
    raise ImportRefused(f"Filen har {counted} rader, men tabellen rymmer högst {limit} rader.{already}")


def concrete_path(table, table_name: str) -> tuple:
    """The table's JSON path with its enclosing rows' indices filled in from its HTML name
    ("sektion-personer", or "grupper-2-personer" for a table in a row)."""
    indices = iter(index for index in map(parse_row_index, table_name.split(SEPARATOR)) if index is not None)
    return tuple(next(indices, 0) if part == "*" else part for part in table.path)


def about_rows(path: tuple, table_path: tuple, positions: range) -> bool:
    """A problem of one of the imported rows, or of the table as a whole."""
    if path[:len(table_path)] != table_path:
        return False
    return len(path) == len(table_path) or path[len(table_path)] in positions


def imported_message(upload: Upload, found, first: int, problems: int) -> str:
    count = len(found.documents)
    rows_text = "1 rad" if count == 1 else f"{count} rader"
    where = (f"rad {first + 1}" if count == 1 else f"rad {first + 1}–{first + count}")
    lines = (f"rad {found.file_rows[0]}" if count == 1 else f"rad {found.file_rows[0]}–{found.file_rows[-1]}")
    message = f"{rows_text} importerades från {upload.filename}: {where} i tabellen, från filens {lines}."
    if problems:
        message += (" 1 fel behöver rättas" if problems == 1 else f" {problems} fel behöver rättas") + \
            " i tabellen innan ärendet skickas in."
    return message[:1].upper() + message[1:]


# --- "Ladda ner mall" ---------------------------------------------------------------------------

TEMPLATES = {"csv": (template_csv, CSV_MEDIA_TYPE), "xlsx": (template_xlsx, XLSX_MEDIA_TYPE)}
_templates: dict[tuple, bytes] = {}  # (schema version, table, format) -> file; a version never changes


@dataclass(frozen=True)
class TemplateFile:
    content: bytes
    media_type: str
    filename: str


def template_file(case_type: CaseType, table_name: str, file_format: str) -> TemplateFile | None:
    """The template of one table of a case type, or None when it has no such table."""
    table = importable_table(case_type, table_name)
    if table is None or file_format not in TEMPLATES:
        return None
    make, media_type = TEMPLATES[file_format]
    key = (case_type.sha256, table.path, file_format)
    if key not in _templates:
        _templates[key] = make(table)
    return TemplateFile(_templates[key], media_type, f"mall-{case_type.slug}-{table.key}.{file_format}")
