"""Plain text from the document tree, for plain-text exports, e-mail bodies and tests.

Layout: "Label: value" per field; a section's title on its own line with its items indented;
a table's label, then one indented line per row ("1. Column: value; Column: value").
Continuation lines of multi-line values are indented under their field. No escaping happens
here: the result is text/plain and must never be inserted into HTML unescaped.

Public API
    to_text(tree) -> str
"""
from __future__ import annotations

from typing import Callable

from .tree import Field, Files, Section, Table, Tree

INDENT = "  "
CELL_SEPARATOR = "; "


def to_text(tree: Tree) -> str:
    return "\n".join(item_lines(tree.items, depth=0)) + "\n"


def item_lines(items, depth: int) -> list[str]:
    return [line for item in items for line in LINE_WRITERS[item.node](item, depth)]


def field_lines(field: Field, depth: int) -> list[str]:
    first, *rest = field.display.split("\n")
    return [f"{INDENT * depth}{field.label}: {first}", *(f"{INDENT * (depth + 1)}{line}" for line in rest)]


def section_lines(section: Section, depth: int) -> list[str]:
    return [f"{INDENT * depth}{section.title}", *item_lines(section.items, depth + 1)]


def table_lines(table: Table, depth: int) -> list[str]:
    rows = [f"{INDENT * (depth + 1)}{number}. {row_text(table.columns, row)}"
            for number, row in enumerate(table.rows, start=1)]
    return [f"{INDENT * depth}{table.label}:", *(rows or [f"{INDENT * (depth + 1)}–"])]


def row_text(columns, cells) -> str:
    # A cell's own line breaks would break the one-line-per-row layout.
    return CELL_SEPARATOR.join(f"{column}: {cell.replace(chr(10), ' / ')}"
                               for column, cell in zip(columns, cells))


def files_lines(files: Files, depth: int) -> list[str]:
    lines = [f"{INDENT * (depth + 1)}{f.name} ({f.type_name}, {f.size_text}, sha256 {f.sha256})" for f in files.files]
    return [f"{INDENT * depth}{files.label}:", *(lines or [f"{INDENT * (depth + 1)}–"])]


LINE_WRITERS: dict[str, Callable[..., list[str]]] = {
    "field": field_lines,
    "section": section_lines,
    "table": table_lines,
    "files": files_lines,
}
