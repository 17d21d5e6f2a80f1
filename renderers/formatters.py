"""Display values: one formatter per field kind turns a stored JSON value into the Swedish text
every output shows (detail view, PDF, e-mail, plain-text export).

This module owns how values read: choice titles, Ja/Nej, personnummer with a dash (optionally
masked), numbers with decimal comma and grouped thousands, ISO dates, "–" for nothing. It knows
nothing about HTML; escaping is the templates' job.

Public API
    FORMATTERS                  kind -> formatter(value, spec, options) -> str; covers KINDS
    display(value, spec, options) -> str   "–" for a missing/empty value, else FORMATTERS[kind]
    is_empty(value) -> bool
    FormatOptions(mask_personnummer=False)
    format_timestamp(datetime | date | str) -> str
    EMPTY_DISPLAY, YES, NO, THOUSANDS_SEPARATOR
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable
from zoneinfo import ZoneInfo

from casetypes.files import FILE_TYPES, size_text
from casetypes.formats import display_telefonnummer
from casetypes.spec import FieldSpec

EMPTY_DISPLAY = "–"  # en dash: what Swedish forms print for "not given"
YES, NO = "Ja", "Nej"
# No-break space: Swedish groups thousands with a space that must not wrap (1 250,5); a thin
# space (U+2009/U+202F) would be nicer but is missing from some PDF fonts and copies badly.
THOUSANDS_SEPARATOR = "\u00a0"
DECIMAL_SEPARATOR = ","
CHOICE_SEPARATOR = ", "
CELL_SEPARATOR = "; "
MASKED_SERIAL = "****"
CANONICAL_PERSONNUMMER = re.compile(r"[0-9]{12}")
SWEDISH_TIME = ZoneInfo("Europe/Stockholm")


@dataclass(frozen=True)
class FormatOptions:
    mask_personnummer: bool = False


Formatter = Callable[[Any, FieldSpec, FormatOptions], str]


def is_empty(value: Any) -> bool:
    """True for what a reader would call "not filled in": missing, blank text, no choices."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, (list, dict)) and not value


def display(value: Any, spec: FieldSpec, options: FormatOptions) -> str:
    if is_empty(value):
        return EMPTY_DISPLAY
    return FORMATTERS[spec.kind](value, spec, options)


# --------------------------------------------------------------------------- leaves

def format_text(value: Any, spec: FieldSpec, options: FormatOptions) -> str:
    # Line breaks stay; outputs decide how to show them (HTML turns them into <br>).
    return str(value).replace("\r\n", "\n").replace("\r", "\n")


def format_as_is(value: Any, spec: FieldSpec, options: FormatOptions) -> str:
    return str(value)


def format_personnummer(value: Any, spec: FieldSpec, options: FormatOptions) -> str:
    """Stored ÅÅÅÅMMDDXXXX -> ÅÅÅÅMMDD-XXXX, or ÅÅÅÅMMDD-**** when masked."""
    text = str(value)
    if not CANONICAL_PERSONNUMMER.fullmatch(text):
        # Not canonical (should not happen after validation): never leak it when masking.
        return "*" * len(text) if options.mask_personnummer else text
    serial = MASKED_SERIAL if options.mask_personnummer else text[8:]
    return f"{text[:8]}-{serial}"


def format_date(value: Any, spec: FieldSpec, options: FormatOptions) -> str:
    """ISO 8601 (ÅÅÅÅ-MM-DD), the Swedish standard date form."""
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        return str(value)


def format_datetime(value: Any, spec: FieldSpec, options: FormatOptions) -> str:
    """Stored RFC 3339 -> "ÅÅÅÅ-MM-DD TT:MM" in Swedish time (seconds only when not zero)."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    local = moment.astimezone(SWEDISH_TIME) if moment.tzinfo else moment
    return local.strftime("%Y-%m-%d %H:%M" if local.second == 0 else "%Y-%m-%d %H:%M:%S")


def format_time(value: Any, spec: FieldSpec, options: FormatOptions) -> str:
    """"09:30:00" -> "09:30"; a time with seconds or an offset keeps them."""
    text = str(value)
    return text[:5] if len(text) == 8 and text.endswith(":00") else text


def format_telefonnummer(value: Any, spec: FieldSpec, options: FormatOptions) -> str:
    """Stored E.164 -> 070-123 45 67 for Swedish numbers, +49 30 123456 for others."""
    return display_telefonnummer(str(value))


def format_list(value: Any, spec: FieldSpec, options: FormatOptions) -> str:
    """A free list: one item per line, each read as its own kind reads."""
    if not isinstance(value, list):
        return str(value)
    item = spec.children[0]
    return "\n".join(display(entry, item, options) for entry in value)


def format_fixed(value: Any, spec: FieldSpec, options: FormatOptions) -> str:
    """A fixed value (a `const` object or list) as compact JSON."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)


def format_number(value: Any, spec: FieldSpec, options: FormatOptions) -> str:
    """1250.5 -> "1 250,5"; 3.0 -> "3"; anything not a number is shown as-is."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    # str(float) is the shortest round-tripping form, so 0.1 stays 0.1 (no binary noise).
    text = format(Decimal(str(value)).normalize(), "f")
    sign, digits = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, _, fraction = digits.partition(".")
    return sign + group_thousands(whole) + (DECIMAL_SEPARATOR + fraction if fraction else "")


def group_thousands(digits: str) -> str:
    head = len(digits) % 3 or 3
    groups = [digits[:head]] + [digits[start:start + 3] for start in range(head, len(digits), 3)]
    return THOUSANDS_SEPARATOR.join(groups)


def format_boolean(value: Any, spec: FieldSpec, options: FormatOptions) -> str:
    if isinstance(value, bool):
        return YES if value else NO
    return str(value)


def same_value(left: Any, right: Any) -> bool:
    # True == 1 in Python; a boolean must not match a numeric choice or the other way round.
    return left == right and isinstance(left, bool) == isinstance(right, bool)


def choice_title(value: Any, spec: FieldSpec) -> str:
    """The title of the choice whose const is `value`; an unknown value is shown as-is."""
    return next((choice.title for choice in spec.choices if same_value(choice.value, value)), str(value))


def format_choice(value: Any, spec: FieldSpec, options: FormatOptions) -> str:
    return choice_title(value, spec)


def format_choices(value: Any, spec: FieldSpec, options: FormatOptions) -> str:
    if not isinstance(value, list):
        return str(value)
    return CHOICE_SEPARATOR.join(choice_title(item, spec) for item in value)


# --------------------------------------------------------------------------- containers
# The tree gives fieldsets and tables their own nodes; these formatters are for when one sits
# inside a table row and must fit in a single cell.

def labelled_values(specs, values: dict, options: FormatOptions) -> str:
    parts = [f"{spec.label}: {display(values.get(spec.name), spec, options)}"
             for spec in specs if not is_empty(values.get(spec.name))]
    return CELL_SEPARATOR.join(parts) or EMPTY_DISPLAY


def format_fieldset(value: Any, spec: FieldSpec, options: FormatOptions) -> str:
    if not isinstance(value, dict):
        return str(value)
    return labelled_values(spec.children, value, options)


def format_tuple(value: Any, spec: FieldSpec, options: FormatOptions) -> str:
    """A tuple in a table cell: "Del 1: …; Del 2: …"."""
    if not isinstance(value, list):
        return str(value)
    return labelled_values(spec.children, {str(index): item for index, item in enumerate(value)}, options)


def format_table(value: Any, spec: FieldSpec, options: FormatOptions) -> str:
    """One line per row, each "Label: value; Label: value"."""
    if not isinstance(value, list):
        return str(value)
    rows = [labelled_values(spec.children, row, options) if isinstance(row, dict) else str(row)
            for row in value]
    return "\n".join(rows)


def file_line(reference: Any) -> str:
    """"intyg.pdf (PDF, 12,5 kB)": a file as one line of text."""
    if not isinstance(reference, dict):
        return str(reference)
    media_type = str(reference.get("mediaType", ""))
    size = reference.get("size") if isinstance(reference.get("size"), int) else 0
    return f"{reference.get('name', '')} ({FILE_TYPES.get(media_type, media_type)}, {size_text(size)})"


def format_file(value: Any, spec: FieldSpec, options: FormatOptions) -> str:
    return file_line(value)


def format_files(value: Any, spec: FieldSpec, options: FormatOptions) -> str:
    return "\n".join(map(file_line, value)) if isinstance(value, list) else str(value)


FORMATTERS: dict[str, Formatter] = {
    "text": format_text,
    "textarea": format_text,
    "email": format_as_is,
    "personnummer": format_personnummer,
    "organisationsnummer": format_as_is,  # stored canonically as XXXXXX-XXXX already
    "postnummer": format_as_is,  # stored as "NNN NN" already
    "telefonnummer": format_telefonnummer,
    "hsaid": format_as_is,
    "url": format_as_is,
    "date": format_date,
    "datetime": format_datetime,
    "time": format_time,
    "integer": format_number,
    "number": format_number,
    "checkbox": format_boolean,
    "yesno": format_boolean,
    "select": format_choice,
    "radio": format_choice,
    "checkboxes": format_choices,
    "fieldset": format_fieldset,
    "table": format_table,
    "list": format_list,
    "info": format_fixed,
    "tuple": format_tuple,
    "file": format_file,
    "files": format_files,
}


def format_timestamp(moment: datetime | date | str) -> str:
    """A case's date for headers: "ÅÅÅÅ-MM-DD TT:MM" for a datetime, ISO for a date.

    The caller converts to local (Swedish) time first; this only formats.
    """
    if isinstance(moment, datetime):
        return moment.strftime("%Y-%m-%d %H:%M")
    if isinstance(moment, date):
        return moment.isoformat()
    return str(moment)
