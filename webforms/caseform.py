"""Case forms: a WTForms class generated once per case-type version draws the form; posted
data is read into the JSON document jsonschema judges by one reader (`posted.py`), whether the
form is then drawn or not, and the problems found are attached to the fields they concern. Rows
are added and removed on the posted data itself, so the same path serves a first view, a
re-render after "Lägg till ny rad" and a failed submit.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict
from wtforms import Form
from wtforms.meta import DefaultMeta

from casetypes import CaseType, Problem
from casetypes.conditions import active_answers
from casetypes.spec import FieldSpec

from . import rows
from .kinds import FIELD_KINDS, MISSING, answerable, read_children
from .names import SEPARATOR, html_name, parse_row_index, row_indices
from .posted import posted_form

_form_classes: dict[tuple, type[Form]] = {}
_form_classes_lock = threading.Lock()


class SchemaForm(Form):
    """Base of generated forms. CSRF is checked for every POST by Flask-WTF's CSRFProtect."""


def make_form_class(specs: tuple, name: str = "CaseTypeForm") -> type[Form]:
    attributes = {spec.key: FIELD_KINDS[spec.kind].build(spec, make_form_class) for spec in answerable(specs)}
    return type(name, (SchemaForm,), attributes)


def cached_form_class(key: tuple, specs: tuple, name: str) -> type[Form]:
    """A generated class per (schema version, part of it), built on first use."""
    cached = _form_classes.get(key)
    if cached is None:
        with _form_classes_lock:
            cached = _form_classes.setdefault(key, make_form_class(specs, name))
    return cached


def form_class_for(case_type: CaseType) -> type[Form]:
    """The generated class for this exact schema version."""
    return cached_form_class((case_type.sha256,), case_type.fields, "CaseTypeForm")


# --- JSON document <-> posted data -------------------------------------------------------------

def read_value(bound, spec: FieldSpec):
    """The JSON value of a field: a read-only field's is its default whatever was posted; an
    optional field with nothing answered is left out, or null when null is one of its values."""
    if spec.read_only:
        return MISSING if spec.default is None else spec.default
    kind = FIELD_KINDS[spec.kind]
    value = kind.read(bound, spec, read_value)
    if not spec.required and kind.blank(value, spec):
        value = MISSING
    return None if value is MISSING and spec.nullable else value


def read_document(form, specs: tuple) -> dict:
    return read_children(form, specs, read_value)


def active_document(case_type: CaseType, document: dict) -> dict:
    """The document without answers in branches whose condition does not hold."""
    return active_answers(case_type.fields, document, condition_holds(case_type))


def condition_holds(case_type: CaseType):
    def holds(condition: dict, instance) -> bool:
        return case_type.validator.evolve(schema=condition).is_valid(instance)
    return holds


def posted_pairs(specs: tuple, document: dict, prefix: str = ""):
    """The (name, text) pairs a browser posts for this document."""
    for spec in answerable(specs):
        value = document.get(spec.name, MISSING)
        yield from FIELD_KINDS[spec.kind].post(value, spec, prefix + spec.key, posted_pairs)


def to_formdata(specs: tuple, document: dict, prefix: str = "") -> MultiDict:
    return MultiDict(list(posted_pairs(specs, document, prefix)))


def defaults_of(specs: tuple) -> dict:
    """The document a blank form starts from: schema defaults and minItems blank rows."""
    values = ((spec.name, FIELD_KINDS[spec.kind].initial(spec, defaults_of)) for spec in answerable(specs))
    return {name: value for name, value in values if value is not MISSING}


# --- the bound form ----------------------------------------------------------------------------

def bound_fields(form: Form):
    """Every bound field, containers and their rows included, depth first."""
    for bound in form:
        yield from with_inner_fields(bound)


def with_inner_fields(bound):
    """A field and the fields inside it: a table's rows (forms of cells), a free list's rows
    (single fields, themselves lists in a list of lists), a section's fields."""
    yield bound
    for row in getattr(bound, "entries", ()):
        yield from with_inner_fields(row)
    if hasattr(bound, "form"):
        yield from bound_fields(bound.form)


def read_posted(case_type: CaseType, formdata: MultiDict, prefix: str = "") -> dict:
    """The one reading of posted data into the document: straight from the posted names, the
    same whether the form is drawn afterwards or not (WTForms only draws)."""
    document = read_document(posted_form(case_type.fields, formdata, prefix), case_type.fields)
    return active_document(case_type, document)


@dataclass
class CaseForm:
    """A case type's form as it is drawn: the bound WTForms form, what was posted, and the
    problems to show by their fields."""
    case_type: CaseType
    form: Form
    formdata: MultiDict = field(default_factory=MultiDict)
    problems: list = field(default_factory=list)
    prefix: str = ""  # set when several schema forms share one HTML form
    focus: str = ""  # the field the page opens on (a new row's first field), "" for none
    # What "Importera från fil" said, by table name: (message, whether it is an error).
    row_imports: dict = field(default_factory=dict)

    @property
    def fields(self) -> tuple:
        return answerable(self.case_type.fields)

    @property
    def import_refused(self) -> bool:
        """Whether a file offered to "Importera från fil" was refused (the page answers 422)."""
        return any(is_error for _, is_error in self.row_imports.values())

    def document(self) -> dict:
        return read_posted(self.case_type, self.formdata, self.prefix)

    def validate(self) -> bool:
        """Judge the document with the case type's validator; keep the problems for display."""
        self.problems = self.case_type.validate(self.document())
        return not self.problems

    def field_name_for(self, path: tuple, names) -> str:
        """The nearest field that shows this path (an item of a checkbox group shows on the
        group); "" for the form as a whole."""
        while path and self.prefix + html_name(self.case_type, path) not in names:
            path = path[:-1]
        return self.prefix + html_name(self.case_type, path) if path else ""

    def located_problems(self) -> list[tuple[str, Problem]]:
        """Each problem with the field that shows it, in the order of the fields on the page
        (the form-wide ones first): the validator's own order follows the schema's keywords."""
        if not self.problems:
            return []
        position = {bound.name: index for index, bound in enumerate(bound_fields(self.form))}
        located = [(self.field_name_for(problem.path, position), problem) for problem in self.problems]
        return sorted(located, key=lambda pair: position.get(pair[0], -1))

    def errors_by_name(self) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        for name, problem in self.located_problems():
            errors.setdefault(name, []).append(problem.message)
        return errors

    def summary(self) -> list[tuple[str, str, str]]:
        """(field name, field label with row number, message) in the order of the fields."""
        return [(name, self.describe(problem.path), problem.message) for name, problem in self.located_problems()]

    def describe(self, path: tuple) -> str:
        path = self.shown_path(path)
        spec = self.case_type.spec_at(path)
        rows_in_path = [f"rad {part + 1}" for part in path if isinstance(part, int)]
        label = spec.label if spec else "Formuläret"
        text = ", ".join(rows_in_path + [label])
        return text[:1].upper() + text[1:]

    def shown_path(self, path: tuple) -> tuple:
        """Where a problem is told: an item of a checkbox group (one of its values) on the group."""
        group = self.case_type.spec_at(path[:-1]) if path and isinstance(path[-1], int) else None
        return path[:-1] if group is not None and group.kind == "checkboxes" else path

    def row_prototype(self, table: FieldSpec, name: str) -> "RowPrototype":
        """A blank row named with the placeholder index, for the script that adds rows."""
        row_name = f"{name}-{rows.PLACEHOLDER}"
        if table.kind == "list":
            return list_item_prototype(table, row_name)
        pairs = [(f"{row_name}-{key}", value) for key, value in blank_row_pairs(table)]
        row_form = row_class_for(self.case_type, table)(formdata=MultiDict(pairs), prefix=row_name + "-")
        return RowPrototype(name=row_name, id=row_name, form=row_form)


@dataclass(frozen=True)
class RowPrototype:
    """Looks like a FieldList entry to the row macro."""
    name: str
    id: str
    form: Form


def row_class_for(case_type: CaseType, table: FieldSpec) -> type[Form]:
    """The class of one row of a table, for the prototype row the add-row script clones."""
    return cached_form_class((case_type.sha256, table.path), table.children, "Row")


def list_item_prototype(table: FieldSpec, row_name: str):
    """A blank item of a free list named with the placeholder index ("tags-__index__")."""
    item = table.children[0]
    field = FIELD_KINDS[item.kind].build(item, make_form_class).bind(form=None, name=row_name, _meta=DefaultMeta())
    field.process(None)
    return field


def blank_table_row(table: FieldSpec) -> list:
    return list(posted_pairs(table.children, defaults_of(table.children)))


def blank_list_row(table: FieldSpec) -> list:
    item = table.children[0]
    return list(FIELD_KINDS[item.kind].post(MISSING, item, "", posted_pairs))


BLANK_ROWS = {"table": blank_table_row, "list": blank_list_row}


def blank_row_pairs(table: FieldSpec) -> list:
    """What a browser posts for a new, untouched row of this table (names relative to the row)."""
    return BLANK_ROWS[table.kind](table)


def posted_rows(table: FieldSpec, formdata: MultiDict, table_name: str) -> list[tuple[int, dict]]:
    """(posted index, the row as a document) for every posted row of a table."""
    return [(index, read_document(posted_form(table.children, formdata, f"{table_name}{SEPARATOR}{index}{SEPARATOR}"),
                                  table.children))
            for index in row_indices(formdata.keys(), table_name)]


def blank_row_document(table: FieldSpec) -> dict:
    """What a new, untouched row of the table reads as (its defaults)."""
    return read_document(posted_form(table.children, MultiDict(blank_row_pairs(table))), table.children)


def row_pairs(table: FieldSpec, document: dict) -> list:
    """What a browser posts for one row holding this document (names relative to the row)."""
    return list(posted_pairs(table.children, document))


def judge(case_type: CaseType, formdata: MultiDict, prefix: str = "") -> tuple[dict, list[Problem]]:
    """Read and judge posted data without drawing anything: the path of a valid submission."""
    document = read_posted(case_type, formdata, prefix)
    return document, case_type.validate(document)


def rejected(case_type: CaseType, formdata: MultiDict, problems: list, prefix: str = "") -> CaseForm:
    """The form to show again, with what was posted and the problems jsonschema found."""
    caseform = bind(case_type, formdata, prefix)
    caseform.problems = problems
    return caseform


def bind(case_type: CaseType, formdata: MultiDict, prefix: str = "") -> CaseForm:
    """`prefix` ("orderer-") keeps this form's names apart from another's in the same page."""
    form = form_class_for(case_type)(formdata=formdata, prefix=prefix)
    return CaseForm(case_type, form, formdata, prefix=prefix)


def blank(case_type: CaseType, initial: dict | None = None, prefix: str = "") -> CaseForm:
    """A fresh form: schema defaults, then `initial` (for example the orderer's details)."""
    document = {**defaults_of(case_type.fields), **(initial or {})}
    return bind(case_type, to_formdata(case_type.fields, document, prefix), prefix)


def apply_row_action(case_type: CaseType, formdata: MultiDict, action: str) -> CaseForm:
    """The form after "Lägg till ny rad" / "Ta bort" posted without JavaScript. The page opens
    where the script would put the focus, not at the top: on the new row's first field, or
    after a removal on the first field of the row that took its place (or the one before)."""
    caseform = bind(case_type, rows.apply(formdata, action, case_type, blank_row_pairs))
    verb, _, target = action.partition(":")
    table_name, position = row_to_open_on(formdata, verb, target)
    caseform.focus = first_field_of_row(caseform.form, table_name, position, rows.row_count(formdata, table_name))
    return caseform


def row_to_open_on(formdata: MultiDict, verb: str, target: str) -> tuple[str, int]:
    """(table, position among its rows) of the row to focus after the action; -1 for none."""
    if verb == "add":
        return target, rows.row_count(formdata, target)  # a new row goes last
    table_name, _, index = target.rpartition(SEPARATOR)
    positions = row_indices(formdata.keys(), table_name)
    removed = parse_row_index(index)
    return table_name, positions.index(removed) if verb == "remove" and removed in positions else -1


def first_field_of_row(form: Form, table_name: str, position: int, rows_before: int) -> str:
    """The name of the first field of the row at `position` once the action is done; "" when
    the action changed nothing (a full table, the last row that must stay, an unknown name)."""
    table = next((bound for bound in bound_fields(form) if bound.name == table_name), None)
    entries = getattr(table, "entries", [])
    if position < 0 or not entries or len(entries) == rows_before:
        return ""
    row = entries[min(position, len(entries) - 1)]
    # A table's row is a form of cells; a free list's row is the one field itself.
    return next(iter(row.form)).name if hasattr(row, "form") else row.name
