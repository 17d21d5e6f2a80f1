"""Reading an uploaded spreadsheet into a header and rows of text, as a person sees them in
Excel: a CSV (semicolon, comma or tab; UTF-8 with or without BOM, UTF-16 with BOM, or
Windows-1252 as Swedish Excel writes it) or an XLSX workbook (its first sheet).

The kind of file is told by its content, never by its name. Every read is bounded, because the
file comes from a stranger: its size, the rows and columns looked at, the XLSX archive's
unpacked size and number of parts. openpyxl reads in read-only mode (streaming, nothing
computed: a formula gives the value Excel last saved), and through defusedxml (installed with
it), so an entity bomb is refused. Anything that cannot be read is a SpreadsheetError whose
message is a Swedish sentence for the person who chose the file.
"""
from __future__ import annotations

import codecs
import csv
import datetime
import io
import re
import zipfile
from dataclasses import dataclass

MAX_FILE_BYTES = 1024 * 1024  # 1 MiB: more than 10 000 rows of an ordinary table as CSV
MAX_DATA_ROWS = 1000  # the most rows a table may hold (the dialect bounds maxItems at 1000)
MAX_SCANNED_ROWS = 10_000  # rows of a sheet looked at, blank ones included (a sheet may skip to row 1 048 576)
MAX_COLUMNS = 100
MAX_CELL_CHARACTERS = 10_000  # a cell longer than any field's text (csv's own limit is 131 072)
MAX_UNPACKED_BYTES = 10 * 1024 * 1024  # an XLSX archive's parts, unpacked, together
MAX_ARCHIVE_PARTS = 500

TOO_LARGE = f"Filen är för stor: högst {MAX_FILE_BYTES // 1024 // 1024} MB går att importera."
ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (.xls), and encrypted .xlsx
DELIMITERS = (";", ",", "\t")
# Control characters no spreadsheet text holds (tab, line feed and carriage return aside):
# their presence means the file is not text at all.
BINARY_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class SpreadsheetError(ValueError):
    """A file that cannot be read as a spreadsheet; the message says why, in Swedish."""


@dataclass(frozen=True)
class Sheet:
    """A spreadsheet as text: the first row's titles and the rows under it (blank rows left out),
    each with the number of the line it had in the file, so messages can point to it."""
    header: tuple
    rows: tuple  # (file row number, cells) pairs

    @property
    def width(self) -> int:
        return len(self.header)


def read_sheet(content: bytes) -> Sheet:
    """The header and rows of an uploaded CSV or XLSX file."""
    if not content:
        raise SpreadsheetError("Filen är tom.")
    if len(content) > MAX_FILE_BYTES:
        raise SpreadsheetError(TOO_LARGE)
    if content.startswith(OLE2_MAGIC):
        raise SpreadsheetError("Filen är i Excels gamla format (.xls) eller lösenordsskyddad. "
                               "Spara den som Excel-arbetsbok (.xlsx) eller CSV och försök igen.")
    rows = xlsx_rows(content) if content.startswith(ZIP_MAGIC) else csv_rows(decoded_text(content))
    return sheet_of(rows)


# --- CSV ---------------------------------------------------------------------------------------

# Byte order marks Excel writes: "CSV UTF-8" starts with UTF-8's, "Unicode-text" with UTF-16's.
BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def decoded_text(content: bytes) -> str:
    """The file's text: by its byte order mark, else UTF-8 if it is valid UTF-8, else
    Windows-1252 (what Excel's plain "CSV" writes on a Swedish Windows). A file with control
    characters, or bytes Windows-1252 leaves undefined, is no text file."""
    encoding = next((name for bom, name in BOMS if content.startswith(bom)), None)
    candidates = [encoding] if encoding else ["utf-8", "cp1252"]
    for name in candidates:
        try:
            text = content.decode(name)
        except UnicodeDecodeError:
            continue
        if not BINARY_CHARACTERS.search(text):
            return text
    raise SpreadsheetError("Filen går inte att läsa som CSV eller Excel. Välj en CSV-fil eller en "
                           "Excel-arbetsbok (.xlsx).")


def delimiter_of(text: str) -> str:
    """The separator of the header line: the most frequent of ; , and tab outside quotes
    (Swedish Excel writes semicolons, English comma; a one-column file has none: ";")."""
    first_line = re.sub(r'"[^"]*"', "", text.lstrip("\ufeff").split("\n", 1)[0])
    counts = {delimiter: first_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ";"


def csv_rows(text: str):
    """(line number, cells) for each record; a quoted cell may span lines."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter_of(text), strict=False)
    try:
        for cells in reader:
            yield reader.line_num, cells
    except csv.Error:
        raise SpreadsheetError("Filen går inte att läsa som CSV: en cell är för lång eller ett "
                               "citattecken saknar sin avslutning.") from None


# --- XLSX --------------------------------------------------------------------------------------

def check_archive(content: bytes) -> None:
    """Refuses an XLSX archive before anything is unpacked when it claims more than a real
    workbook holds (a zip bomb declares its true sizes, or is cut short at the declared ones)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise SpreadsheetError("Filen ser ut som en Excel-arbetsbok men är skadad.") from None
    if len(parts) > MAX_ARCHIVE_PARTS or sum(part.file_size for part in parts) > MAX_UNPACKED_BYTES:
        raise SpreadsheetError("Excel-arbetsboken är för stor uppackad: spara bara tabellen i en ny "
                               "arbetsbok, eller som CSV.")
    if "[Content_Types].xml" not in archive.namelist():
        raise SpreadsheetError("Filen är ett zip-arkiv men ingen Excel-arbetsbok (.xlsx).")


def xlsx_rows(content: bytes):
    """(row number, cell texts) of the first sheet, read in openpyxl's read-only mode."""
    import openpyxl  # only when a workbook arrives

    check_archive(content)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True, keep_links=False)
    except Exception:  # openpyxl raises many kinds (KeyError, ParseError, TypeError ...) on a bad file
        raise SpreadsheetError("Excel-arbetsboken går inte att läsa. Spara den på nytt som .xlsx "
                               "eller som CSV och försök igen.") from None
    try:
        if not workbook.worksheets:
            raise SpreadsheetError("Excel-arbetsboken har inget kalkylblad.")
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(max_row=MAX_SCANNED_ROWS, max_col=MAX_COLUMNS + 1, values_only=True)
        for number, values in enumerate(rows, start=1):
            yield number, [cell_text(value) for value in values]
    except SpreadsheetError:
        raise
    except Exception:
        raise SpreadsheetError("Excel-arbetsboken går inte att läsa. Spara den på nytt som .xlsx "
                               "eller som CSV och försök igen.") from None
    finally:
        workbook.close()


def number_text(value) -> str:
    """A number as a person reads it: 191212121212 stays whole (never 1.91E+11), 12.0 is "12"."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return str(value)


def datetime_text(value: datetime.datetime) -> str:
    return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(timespec="minutes")


CELL_TEXTS = {
    bool: lambda value: "Ja" if value else "Nej",
    int: number_text,
    float: number_text,
    datetime.datetime: datetime_text,
    datetime.date: lambda value: value.isoformat(),
    datetime.time: lambda value: value.isoformat(timespec="minutes"),
    str: lambda value: value,
}


def cell_text(value) -> str:
    """A cell's value as the text a person typed or sees (a formula's saved value included)."""
    if value is None:
        return ""
    return CELL_TEXTS.get(type(value), str)(value)


# --- the sheet ---------------------------------------------------------------------------------

def is_blank_row(cells) -> bool:
    return all(not cell.strip() for cell in cells)


def sheet_of(numbered_rows) -> Sheet:
    """The first non-blank row is the header; the blank rows under it are left out. Reading
    stops one row past the most any table holds, so the caller can say there were too many."""
    header, rows = None, []
    for number, cells in numbered_rows:
        if is_blank_row(cells):
            continue
        if any(len(cell) > MAX_CELL_CHARACTERS for cell in cells):
            raise SpreadsheetError(f"Rad {number} i filen har en cell med mer än {MAX_CELL_CHARACTERS} tecken.")
        if header is None:
            header = trimmed_header(cells)
            continue
        rows.append((number, without_blank_end(cells)))
        if len(rows) > MAX_DATA_ROWS:
            break
    if header is None:
        raise SpreadsheetError("Filen är tom: den första raden ska ha kolumnernas rubriker.")
    return Sheet(header=header, rows=tuple(rows))


def without_blank_end(cells) -> tuple:
    """A row without the blank cells at its end (a workbook's rows come padded to the widest)."""
    cells = list(cells)
    while cells and not cells[-1].strip():
        cells.pop()
    return tuple(cells)


def trimmed_header(cells) -> tuple:
    """The header without blank cells at its end; more columns than any table has is refused."""
    cells = without_blank_end(cells)
    if len(cells) > MAX_COLUMNS:
        raise SpreadsheetError(f"Filen har för många kolumner: högst {MAX_COLUMNS} går att importera.")
    return tuple(cells)
