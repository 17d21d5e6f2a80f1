"""The document tree: one walk over (schema fields, case document) into plain frozen nodes with
display strings, which every output (HTML detail, PDF, plain text, e-mail) then only lays out.

This module owns the shape: fieldsets become Sections, arrays of objects become Tables, every
other field a Field, all in schema order. How a value reads is `renderers.formatters`' job.

Public API
    build_tree(fields, document, *, mask_personnummer=False) -> Tree
    build_section(title, fields, document, *, path="", mask_personnummer=False) -> Section
    tree_to_dict(tree) -> dict      plain JSON-able form, for golden files
    Tree(items), Section(title, items, path), Field(label, display, kind, path, empty),
    Table(label, columns, rows, path), Files(label, files, path) of AttachedFile(id, name, media_type,
    type_name, size, size_text, sha256)
Paths are JSON pointers into the document ("/adress/gata"); rows are tuples of cell strings.
"""
from __future__ import annotations

from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from typing import Any, Callable, ClassVar, Mapping, Union

from casetypes.files import FILE_TYPES, size_text
from casetypes.spec import FieldSpec

from .formatters import FormatOptions, display, is_empty
from .markdown import description_html


@dataclass(frozen=True)
class Field:
    node: ClassVar[str] = "field"
    label: str
    display: str
    kind: str
    path: str
    empty: bool


@dataclass(frozen=True)
class Table:
    node: ClassVar[str] = "table"
    label: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    path: str


@dataclass(frozen=True)
class Section:
    node: ClassVar[str] = "section"
    title: str
    items: tuple["Item", ...]
    path: str
    description: str = ""  # the section's description as sanitised HTML (safe Markdown subset)


@dataclass(frozen=True)
class AttachedFile:
    """One uploaded file as every output lists it: name, type, size and its sha256."""
    node: ClassVar[str] = "file"
    id: str
    name: str
    media_type: str
    type_name: str  # "PDF"
    size: int
    size_text: str  # "12,5 kB"
    sha256: str


@dataclass(frozen=True)
class Files:
    node: ClassVar[str] = "files"
    label: str
    files: tuple[AttachedFile, ...]
    path: str


Item = Union[Field, Table, Section, Files]


@dataclass(frozen=True)
class Tree:
    node: ClassVar[str] = "tree"
    items: tuple[Item, ...]


def build_tree(fields, document: Mapping | None, *, mask_personnummer: bool = False) -> Tree:
    """The tree of `document` laid out by `fields` (a CaseType's `.fields`)."""
    return Tree(build_items(fields, document, FormatOptions(mask_personnummer=mask_personnummer)))


def build_section(title: str, fields, document: Mapping | None, *, path: str = "",
                  mask_personnummer: bool = False) -> Section:
    """`document` laid out by `fields` as one titled section: a case's tree is two of them, the
    orderer block (from its own schema) and the form's content."""
    return Section(title=title, items=build_tree(fields, document, mask_personnummer=mask_personnummer).items,
                   path=path)


def build_items(specs, values: Any, options: FormatOptions) -> tuple[Item, ...]:
    values = values if isinstance(values, Mapping) else {}
    return tuple(NODE_BUILDERS.get(spec.kind, field_node)(spec, values.get(spec.name), options)
                 for spec in specs if shown(spec, values))


# Kinds that are text in the form, not answers: the detail leaves them out.
NOT_ANSWERS = frozenset({"info"})


def shown(spec: FieldSpec, values: Mapping) -> bool:
    """Deprecated fields and fields under a condition show only when the case answered them
    (an old case filled in before the field was retired; a branch that applied)."""
    if spec.kind in NOT_ANSWERS:
        return False
    return not (spec.deprecated or spec.visible_when or spec.condition) or not is_empty(values.get(spec.name))


def field_node(spec: FieldSpec, value: Any, options: FormatOptions) -> Field:
    return Field(label=spec.label, display=display(value, spec, options), kind=spec.kind,
                 path=json_pointer(spec.path), empty=is_empty(value))


def section_node(spec: FieldSpec, value: Any, options: FormatOptions) -> Section:
    return Section(title=spec.label, items=build_items(spec.children, value, options),
                   path=json_pointer(spec.path), description=description_html(spec.help))


def tuple_node(spec: FieldSpec, value: Any, options: FormatOptions) -> Section:
    """A tuple reads as a section of its positions."""
    positions = {str(index): item for index, item in enumerate(value)} if isinstance(value, list) else {}
    return Section(title=spec.label, items=build_items(spec.children, positions, options),
                   path=json_pointer(spec.path), description=description_html(spec.help))


def table_node(spec: FieldSpec, value: Any, options: FormatOptions) -> Table:
    rows = value if isinstance(value, list) else []
    return Table(label=spec.label, columns=tuple(child.label for child in spec.children),
                 rows=tuple(table_row(spec.children, row, options) for row in rows),
                 path=json_pointer(spec.path))


def table_row(columns, row: Any, options: FormatOptions) -> tuple[str, ...]:
    cells = row if isinstance(row, Mapping) else {}
    return tuple(display(cells.get(column.name), column, options) for column in columns)


def attached_file(reference: Mapping) -> AttachedFile:
    media_type = str(reference.get("mediaType", ""))
    size = reference.get("size") if isinstance(reference.get("size"), int) else 0
    return AttachedFile(id=str(reference.get("id", "")), name=str(reference.get("name", "")), media_type=media_type,
                        type_name=FILE_TYPES.get(media_type, media_type), size=size, size_text=size_text(size),
                        sha256=str(reference.get("sha256", "")))


def files_node(spec: FieldSpec, value: Any, options: FormatOptions) -> Files:
    """A file field (one reference) or a list of files: each file with name, type, size, sha256."""
    references = value if isinstance(value, list) else [value]
    return Files(label=spec.label, files=tuple(attached_file(ref) for ref in references if isinstance(ref, Mapping)),
                 path=json_pointer(spec.path))


# Kinds that become their own node; every other kind is a Field.
NODE_BUILDERS: dict[str, Callable[[FieldSpec, Any, FormatOptions], Item]] = {
    "fieldset": section_node,
    "table": table_node,
    "tuple": tuple_node,
    "file": files_node,
    "files": files_node,
}


def json_pointer(path: tuple) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def tree_to_dict(node: "Tree | Item | AttachedFile") -> dict:
    """The node as plain dicts and lists, each tagged with its "node" type."""
    data: dict[str, Any] = {"node": node.node}
    for field in dataclass_fields(node):
        data[field.name] = to_plain(getattr(node, field.name))
    return data


def to_plain(value: Any) -> Any:
    if isinstance(value, (Tree, Section, Field, Table, Files, AttachedFile)):
        return tree_to_dict(value)
    if isinstance(value, tuple):
        return [to_plain(item) for item in value]
    return value
