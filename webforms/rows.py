"""Repeatable rows without JavaScript: "Lägg till ny rad" and "Ta bort" are submit buttons
named `action` whose value says what to do ("add:personer", "remove:personer-2"). The posted
data is rewritten as if the browser had shown one row more or less, and the form is shown
again with everything typed kept and nothing validated yet.
"""
from __future__ import annotations

from werkzeug.datastructures import MultiDict

from .names import SEPARATOR, parse_row_index, row_index, row_indices, spec_named

PLACEHOLDER = "__index__"  # the row index in the prototype row the script clones
ROW_MARKER = "_row"  # a hidden input in every row, so a row of unticked boxes still counts
ACTION_FIELD = "action"  # the name of the add/remove row buttons
ROW_KINDS = ("table", "list")


def row_count(formdata: MultiDict, table_name: str) -> int:
    return len(row_indices(formdata.keys(), table_name))


def next_row_index(formdata: MultiDict, table_name: str) -> int:
    """One past the highest posted index, so a new row never lands on an existing one."""
    return max(row_indices(formdata.keys(), table_name), default=-1) + 1


def renumbered(key: str, table_name: str, removed: int) -> str | None:
    index = row_index(key, table_name)
    if index is None or index < removed:
        return key
    if index == removed:
        return None
    prefix = table_name + SEPARATOR
    _, separator, rest = key[len(prefix):].partition(SEPARATOR)
    return f"{prefix}{index - 1}{separator}{rest}"


def without_row(formdata: MultiDict, table_name: str, removed: int) -> MultiDict:
    pairs = ((renumbered(key, table_name, removed), value) for key, value in formdata.items(multi=True))
    return MultiDict([(key, value) for key, value in pairs if key is not None])


def with_row(formdata: MultiDict, table_name: str, blank_pairs) -> MultiDict:
    prefix = f"{table_name}{SEPARATOR}{next_row_index(formdata, table_name)}{SEPARATOR}"
    # A free list's blank row posts one pair named like the row itself ("tags-2").
    added = [(prefix + ROW_MARKER, "")] + [((prefix + key).rstrip(SEPARATOR), value) for key, value in blank_pairs]
    return MultiDict(list(formdata.items(multi=True)) + added)


def with_rows(formdata: MultiDict, table_name: str, kept: list[int], added: list[list]) -> MultiDict:
    """The posted data with a table's rows rewritten: the rows at the `kept` indices, renumbered
    from 0 in that order, then one row per list of (name in the row, text) pairs in `added`;
    every other row of the table is dropped and every other field kept as posted."""
    position = {index: new for new, index in enumerate(kept)}
    pairs = []
    for key, value in formdata.items(multi=True):
        index = row_index(key, table_name)
        if index is None:
            pairs.append((key, value))
        elif index in position:
            pairs.append((renamed_row_key(key, table_name, position[index]), value))
    for offset, row_pairs in enumerate(added, start=len(kept)):
        prefix = f"{table_name}{SEPARATOR}{offset}{SEPARATOR}"
        pairs += [(prefix + ROW_MARKER, "")] + [(prefix + key, value) for key, value in row_pairs]
    return MultiDict(pairs)


def renamed_row_key(key: str, table_name: str, index: int) -> str:
    prefix = table_name + SEPARATOR
    _, separator, rest = key[len(prefix):].partition(SEPARATOR)
    return f"{prefix}{index}{separator}{rest}"


def table_spec(case_type, table_name: str):
    spec = spec_named(case_type, table_name)
    return spec if spec is not None and spec.kind in ROW_KINDS else None


def add_row(formdata, target, case_type, blank_pairs_of):
    spec = table_spec(case_type, target)
    if spec is None or row_count(formdata, target) >= spec.schema.get("maxItems", 1000):
        return formdata
    return with_row(formdata, target, blank_pairs_of(spec))


def remove_row(formdata, target, case_type, blank_pairs_of):
    table_name, _, index = target.rpartition(SEPARATOR)
    spec = table_spec(case_type, table_name)
    removed = parse_row_index(index)
    if spec is None or removed is None:
        return formdata
    if row_count(formdata, table_name) <= spec.schema.get("minItems", 0):
        return formdata
    return without_row(formdata, table_name, removed)


ACTIONS = {"add": add_row, "remove": remove_row}


def apply(formdata: MultiDict, action: str, case_type, blank_pairs_of) -> MultiDict:
    """The posted data with the row action applied; unknown actions change nothing."""
    verb, _, target = action.partition(":")
    handler = ACTIONS.get(verb)
    return handler(formdata, target, case_type, blank_pairs_of) if handler else formdata
