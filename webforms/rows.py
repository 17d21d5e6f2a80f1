"""Repeatable rows without JavaScript: "Lägg till ny rad" and "Ta bort" are submit buttons
named `action` whose value says what to do ("add:personer", "remove:personer-2"). The posted
data is rewritten as if the browser had shown one row more or less, and the form is shown
again with everything typed kept and nothing validated yet.
"""
from __future__ import annotations

import re

from werkzeug.datastructures import MultiDict
from wtforms import fields

SEPARATOR = "-"  # WTForms joins the names of nested fields with it
PLACEHOLDER = "__index__"  # the row index in the prototype row the script clones
ROW_MARKER = "_row"  # a hidden input in every row, so a row of unticked boxes still counts
ACTION_FIELD = "action"  # the name of the add/remove row buttons


# A row index as a browser posts it: ASCII digits, no leading zero, short. Anything else in
# that place ("²", "٣", "007", 5 000 digits) is not a row, for every reader of posted data alike.
ROW_INDEX_TEXT = re.compile(r"(?:0|[1-9][0-9]{0,5})\Z", re.ASCII)


def parse_row_index(text: str) -> int | None:
    """The row number a name part spells, or None if it spells none."""
    return int(text) if ROW_INDEX_TEXT.match(text) else None


def name_of(path: tuple) -> str:
    return SEPARATOR.join(map(str, path))


def path_of(name: str) -> tuple:
    parts = name.split(SEPARATOR)
    return tuple(part if index is None else index for part, index in zip(parts, map(parse_row_index, parts)))


def row_head(key: str, table_name: str) -> str | None:
    """The part of a posted key after the table's name: where its row index stands."""
    prefix = table_name + SEPARATOR
    return key[len(prefix):].split(SEPARATOR, 1)[0] if key.startswith(prefix) else None


def row_index(key: str, table_name: str) -> int | None:
    """The row a posted key belongs to, if it belongs to a row of this table."""
    head = row_head(key, table_name)
    return None if head is None else parse_row_index(head)


class RowList(fields.FieldList):
    """WTForms' FieldList reading row indexes by parse_row_index: its own rule (str.isdigit,
    then int) takes "²" and fails, or takes "٣" for a row 3 whose cells are never found."""

    def _extract_indices(self, prefix, formdata):
        return filter(lambda index: index is not None, (row_index(key, prefix) for key in formdata))


def row_count(formdata: MultiDict, table_name: str) -> int:
    indices = {row_index(key, table_name) for key in formdata.keys()} - {None}
    return len(indices)


def renumbered(key: str, table_name: str, removed: int) -> str | None:
    index = row_index(key, table_name)
    if index is None or index < removed:
        return key
    if index == removed:
        return None
    prefix = table_name + SEPARATOR
    return f"{prefix}{index - 1}{key[len(prefix) + len(str(index)):]}"


def without_row(formdata: MultiDict, table_name: str, removed: int) -> MultiDict:
    pairs = ((renumbered(key, table_name, removed), value) for key, value in formdata.items(multi=True))
    return MultiDict([(key, value) for key, value in pairs if key is not None])


def with_row(formdata: MultiDict, table_name: str, blank_pairs) -> MultiDict:
    prefix = f"{table_name}{SEPARATOR}{row_count(formdata, table_name)}{SEPARATOR}"
    added = [(prefix + ROW_MARKER, "")] + [(prefix + key, value) for key, value in blank_pairs]
    return MultiDict(list(formdata.items(multi=True)) + added)


def table_spec(case_type, table_name: str):
    spec = case_type.spec_at(path_of(table_name))
    return spec if spec is not None and spec.kind == "table" else None


def add_row(formdata, target, case_type, blank_pairs_of):
    spec = table_spec(case_type, target)
    if spec is None or row_count(formdata, target) >= spec.schema["maxItems"]:
        return formdata
    return with_row(formdata, target, blank_pairs_of(spec))


def remove_row(formdata, target, case_type, blank_pairs_of):
    table_name, _, index_text = target.rpartition(SEPARATOR)
    spec, index = table_spec(case_type, table_name), parse_row_index(index_text)
    if spec is None or index is None:
        return formdata
    if row_count(formdata, table_name) <= spec.schema.get("minItems", 0):
        return formdata
    return without_row(formdata, table_name, index)


ACTIONS = {"add": add_row, "remove": remove_row}


def apply(formdata: MultiDict, action: str, case_type, blank_pairs_of) -> MultiDict:
    """The posted data with the row action applied; unknown actions change nothing."""
    verb, _, target = action.partition(":")
    handler = ACTIONS.get(verb)
    return handler(formdata, target, case_type, blank_pairs_of) if handler else formdata
