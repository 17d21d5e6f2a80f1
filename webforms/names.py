"""HTML field names of a case form and the JSON paths they stand for.

A field's HTML name is the `key`s of its spec and its ancestors joined by "-", with row
indices between ("personer-0-namn"); keys are safe names the spec tree derives from any
property name (see casetypes.spec.html_keys). Posted names come from strangers, so one parser
reads a row index for every reader (posted data, row buttons, WTForms' FieldList): ASCII
digits only and a bounded length, since int() of a 5000-digit text raises and "²".isdigit()
is true.
"""
from __future__ import annotations

SEPARATOR = "-"  # WTForms joins the names of nested fields with it
ROW_INDEX_DIGITS = 4  # maxItems is at most 1000, so no real row index is longer
ANY_ROW = "*"


def parse_row_index(text: str) -> int | None:
    """The row index `text` spells, or None: ASCII digits only, at most four of them."""
    if not isinstance(text, str) or not 0 < len(text) <= ROW_INDEX_DIGITS:
        return None
    return int(text) if text.isascii() and text.isdigit() else None


def row_index(key: str, table_name: str) -> int | None:
    """The row a posted key belongs to, if it is a key inside a row of this table."""
    prefix = table_name + SEPARATOR
    if not key.startswith(prefix):
        return None
    return parse_row_index(key[len(prefix):].split(SEPARATOR, 1)[0])


def row_indices(names, table_name: str) -> list[int]:
    """The distinct row indices among posted names, in ascending order."""
    found = {row_index(name, table_name) for name in names}
    found.discard(None)
    return sorted(found)


def html_name(case_type, path: tuple) -> str:
    """The HTML name of the field at a JSON path, as far as the path names fields."""
    parts: list[str] = []
    for depth, part in enumerate(path):
        spec = case_type.spec_at(path[:depth + 1])
        if isinstance(part, int) and (spec is None or spec.path[-1] != part):
            parts.append(str(part))  # a row of a table or a list (a tuple's position has a key)
            continue
        if spec is None:
            break
        parts.append(spec.key)
    return SEPARATOR.join(parts)


def key_pattern(name: str) -> tuple:
    """A posted name as the pattern of keys it follows, row indices as "*"."""
    return tuple(ANY_ROW if parse_row_index(part) is not None else part for part in name.split(SEPARATOR))


def spec_named(case_type, name: str):
    """The spec an HTML name (without prefix) draws, or None."""
    return key_index(case_type).get(key_pattern(name))


_key_indexes: dict[str, dict] = {}


def key_index(case_type) -> dict:
    """Key pattern -> spec for every field of this version, built once."""
    index = _key_indexes.get(case_type.sha256)
    if index is None:
        index = _key_indexes[case_type.sha256] = {
            key_path_of(spec, case_type): spec for spec in case_type.spec_index.values()}
    return index


def key_path_of(spec, case_type) -> tuple:
    return tuple(part if part == ANY_ROW else case_type.spec_index[spec.path[:depth + 1]].key
                 for depth, part in enumerate(spec.path))
