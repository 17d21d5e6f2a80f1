"""One registry entry per field kind, holding every aspect of it: the WTForms field it becomes,
the HTML attributes the schema gives it, how a posted value reads back into JSON, what a
browser posts for a JSON value, and which template macro draws it.

Reading never rejects anything: a value that cannot be coerced is handed on as the text the
person typed, so jsonschema, the only judge, reports it in the field's own words.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any, Callable

from wtforms import fields, widgets
from wtforms.fields.choices import SelectChoice

from casetypes.datebounds import bounds_of
from casetypes.formats import RESHAPERS, local_datetime_text
from casetypes.spec import FieldSpec

from .names import SEPARATOR, row_index

MISSING = object()  # no answer: the key is left out of the document
INTEGER_TEXT = re.compile(r"[+-]?\d+\Z", re.ASCII)
NUMBER_TEXT = re.compile(r"[+-]?\d+(?:[.,]\d+)?(?:[eE][+-]?\d+)?\Z", re.ASCII)


# --- HTML attributes derived from the schema (for the browser's benefit only) -----------------

def common_attributes(spec: FieldSpec) -> dict:
    hints = spec.hints
    attrs = {
        # A conditional field is required only when its condition holds: the server says so.
        "required": (spec.required and not spec.visible_when and not spec.read_only) or None,
        "maxlength": spec.schema.get("maxLength"),
        "placeholder": spec.placeholder,
        "autocomplete": hints.get("autocomplete"),
        "readonly": spec.read_only or None,
        # A read-only field always shows its own value, whatever was posted for it.
        "value": post_text(spec.default) if spec.read_only and spec.default is not None else None,
    }
    return {key: value for key, value in attrs.items() if value is not None}


def with_attributes(**extra) -> Callable[[FieldSpec], dict]:
    return lambda spec: {**common_attributes(spec), **extra}


def number_attributes(inputmode: str) -> Callable[[FieldSpec], dict]:
    def attributes(spec: FieldSpec) -> dict:
        bounds = {"data-min": spec.schema.get("minimum"), "data-max": spec.schema.get("maximum")}
        return {**common_attributes(spec), "inputmode": inputmode,
                **{key: value for key, value in bounds.items() if value is not None}}
    return attributes


def textarea_attributes(spec: FieldSpec) -> dict:
    return {**common_attributes(spec), "rows": spec.hints.get("rows", 5)}


def choice_attributes(spec: FieldSpec) -> dict:
    attrs = {"required": spec.required and not spec.visible_when and not spec.read_only,
             "disabled": spec.read_only}
    return {key: True for key, value in attrs.items() if value}


def no_attributes(spec: FieldSpec) -> dict:
    return {}


def checkbox_attributes(spec: FieldSpec) -> dict:
    return {"disabled": True} if spec.read_only else {}


def date_bound_attributes(spec: FieldSpec) -> dict:
    """min and max from x-ui.minDate/maxDate, worked out on the day the form is drawn."""
    names = {"minDate": "min", "maxDate": "max"}
    return {names[name]: day.isoformat() for name, day in bounds_of(spec.hints).items()}


def datetime_bound_attributes(spec: FieldSpec) -> dict:
    bounds = date_bound_attributes(spec)
    return {**({"min": bounds["min"] + "T00:00"} if "min" in bounds else {}),
            **({"max": bounds["max"] + "T23:59"} if "max" in bounds else {})}


# --- reading a bound field into JSON -----------------------------------------------------------

def typed_text(field) -> str | None:
    """What the person typed, trimmed of surrounding spaces; None when blank."""
    text = (field.data or "").replace("\r\n", "\n").strip()
    return text or None


def read_text(field, spec, read_child):
    text = typed_text(field)
    return MISSING if text is None else text


def read_formatted(field, spec, read_child):
    text = typed_text(field)
    if text is None:
        return MISSING
    reshape = RESHAPERS.get(spec.schema["format"])
    return (reshape(text) if reshape else None) or text


# Longer than any number a person types. It also keeps int() under Python's 4300-digit limit and
# the judge's arithmetic (multipleOf divides by floats) within float range.
NUMBER_TEXT_LIMIT = 100


def number_from(compact: str):
    """The number a text spells, or None when it spells none the form takes: malformed, longer
    than anyone types, or beyond a float's range ("1e999" reads as infinity, which no JSON holds)."""
    if len(compact) > NUMBER_TEXT_LIMIT or not NUMBER_TEXT.match(compact):
        return None
    if INTEGER_TEXT.match(compact):
        return int(compact)
    number = float(compact)
    return number if math.isfinite(number) else None


def read_integer(field, spec, read_child):
    text = typed_text(field)
    if text is None:
        return MISSING
    compact = text.replace(" ", "")
    return int(compact) if len(compact) <= NUMBER_TEXT_LIMIT and INTEGER_TEXT.match(compact) else text


def read_number(field, spec, read_child):
    text = typed_text(field)
    if text is None:
        return MISSING
    number = number_from(text.replace(" ", "").replace(",", "."))
    return text if number is None else number


def read_checkbox(field, spec, read_child):
    return bool(field.data)


YESNO = {"true": True, "false": False}


def read_yesno(field, spec, read_child):
    return YESNO.get(field.data, field.data or MISSING)


def choice_value(spec: FieldSpec, raw: str):
    """The choice whose value posts as `raw`, or the raw text for jsonschema to refuse."""
    return next((choice.value for choice in spec.choices if post_text(choice.value) == raw), raw)


def read_choice(field, spec, read_child):
    return choice_value(spec, field.data) if field.data else MISSING


def read_choices(field, spec, read_child):
    picked = set(field.data or ())
    known = [choice.value for choice in spec.choices if post_text(choice.value) in picked]
    unknown = sorted(picked - {post_text(choice.value) for choice in spec.choices})
    return known + unknown


def read_fieldset(field, spec, read_child):
    return read_children(field.form, spec.children, read_child)


def read_table(field, spec, read_child):
    return [read_children(entry.form, spec.children, read_child) for entry in field.entries]


def read_fixed(field, spec, read_child):
    """An information text answers nothing: null where the schema requires the key, else
    left out (a `const` reads as read-only, its one value)."""
    return None if spec.required else MISSING


def post_nothing(value, spec, name, post_children):
    return iter(())


def read_list(field, spec, read_child):
    """A free list keeps what was typed in its rows, in order; blank rows are left out."""
    item = spec.children[0]
    values = (read_child(entry, item) for entry in field.entries)
    return [value for value in values if value is not MISSING and value is not None and value != []]


def read_tuple(field, spec, read_child):
    """A tuple's positions in order; blank positions at the end are left off, one in the middle
    is null (a list has no holes), so jsonschema names the position to fill in."""
    values = [read_child(field.form.field(child), child) for child in spec.children]
    while values and values[-1] is MISSING:
        values.pop()
    return [None if value is MISSING else value for value in values] or MISSING


def answerable(specs) -> tuple:
    """The fields a new answer fills in: deprecated ones only show in old cases."""
    return tuple(spec for spec in specs if not spec.deprecated)


def read_children(form, specs, read_child) -> dict:
    values = ((spec.name, read_child(form.field(spec), spec)) for spec in answerable(specs))
    return {name: value for name, value in values if value is not MISSING}


def is_blank(value, spec=None) -> bool:
    """Nothing answered: what an untouched section or tuple reads as (unticked boxes, no
    choices, empty positions)."""
    if isinstance(value, dict):
        return all(map(is_blank, value.values()))
    if isinstance(value, list):
        return all(map(is_blank, value))
    return value is False or value is None


def no_rows_where_rows_are_asked_for(value, spec) -> bool:
    """An optional table or list left empty although it asks for at least one row when
    answered: left out, rather than refused for the rows nobody meant to give."""
    return value == [] and spec.schema.get("minItems", 0) > 0


def never_blank(value, spec=None) -> bool:
    return False


# --- what a browser posts for a JSON value -----------------------------------------------------
# post(value, spec, name, post_children) yields the (name, text) pairs a browser sends for the
# value; containers hand their children to post_children with the prefix WTForms expects.

def post_text(value) -> str:
    """The text an input shows for a JSON value: JSON spelling for true/false and for objects
    and lists (keys sorted, so a choice of an object matches whatever its key order)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def post_input(value, spec, name, post_children):
    yield name, "" if value is MISSING or value is None else post_text(value)


def post_datetime(value, spec, name, post_children):
    """A stored date-time shows in Swedish wall time, which is what datetime-local takes."""
    yield name, "" if value is MISSING or value is None else local_datetime_text(value)


def post_checkbox(value, spec, name, post_children):
    if value is True:
        yield name, "y"


def post_radio(value, spec, name, post_children):
    if value is not MISSING:
        yield name, post_text(value)


def post_choices(value, spec, name, post_children):
    for item in ([] if value is MISSING else value):
        yield name, post_text(item)


def post_fieldset(value, spec, name, post_children):
    yield from post_children(spec.children, value if isinstance(value, dict) else {}, name + SEPARATOR)


def post_list(value, spec, name, post_children):
    item = spec.children[0]
    for index, entry in enumerate(value if isinstance(value, list) else []):
        yield from FIELD_KINDS[item.kind].post(entry, item, f"{name}{SEPARATOR}{index}", post_children)


def post_tuple(value, spec, name, post_children):
    values = value if isinstance(value, list) else []
    for index, child in enumerate(spec.children):
        entry = values[index] if index < len(values) else MISSING
        yield from FIELD_KINDS[child.kind].post(entry, child, f"{name}{SEPARATOR}{child.key}", post_children)


def post_table(value, spec, name, post_children):
    for index, row in enumerate(value if isinstance(value, list) else []):
        yield from post_children(spec.children, row if isinstance(row, dict) else {},
                                 f"{name}{SEPARATOR}{index}{SEPARATOR}")


# --- the value a blank form starts from ---------------------------------------------------------

def initial_leaf(spec, defaults_of):
    return MISSING if spec.default is None else spec.default


def initial_fieldset(spec, defaults_of):
    return defaults_of(spec.children)


def initial_table(spec, defaults_of):
    if spec.default is not None:
        return spec.default
    return [defaults_of(spec.children) for _ in range(spec.schema.get("minItems", 0))]


def initial_tuple(spec, defaults_of):
    return spec.default if isinstance(spec.default, list) else MISSING


def initial_list(spec, defaults_of):
    return spec.default if isinstance(spec.default, list) else []


# --- WTForms fields ----------------------------------------------------------------------------

def text_field(field_class, widget=None):
    def build(spec, child_form):
        options = {"widget": widget} if widget else {}
        return field_class(spec.label, **options)
    return build


def select_field(spec, child_form):
    empty = spec.hints.get("emptyLabel", "Välj ett alternativ")
    choices = [SelectChoice("", empty)] + choice_options(spec)
    return fields.SelectField(spec.label, choices=choices, validate_choice=False)


def choice_options(spec) -> list:
    return [SelectChoice(post_text(choice.value), choice.title) for choice in spec.choices]


def radio_field(spec, child_form):
    return fields.RadioField(spec.label, choices=choice_options(spec), validate_choice=False)


def yesno_field(spec, child_form):
    choices = [SelectChoice("true", "Ja"), SelectChoice("false", "Nej")]
    return fields.RadioField(spec.label, choices=choices, validate_choice=False)


def checkboxes_field(spec, child_form):
    return fields.SelectMultipleField(
        spec.label, choices=choice_options(spec), validate_choice=False,
        widget=widgets.ListWidget(prefix_label=False), option_widget=widgets.CheckboxInput())


def fieldset_field(spec, child_form):
    return fields.FormField(child_form(spec.children), label=spec.label)


def list_field(spec, child_form):
    item = spec.children[0]
    limit = spec.schema.get("maxItems", 1000) + 1
    return RowList(FIELD_KINDS[item.kind].build(item, child_form), label=spec.label,
                   min_entries=spec.schema.get("minItems", 0), max_entries=limit)


class RowList(fields.FieldList):
    """FieldList reading row indices with the portal's one parser: FieldList's own takes any
    key that merely starts with the table's name, Unicode digits ("²") and indices of any
    length (int() of 5000 digits raises)."""

    def _extract_indices(self, prefix, formdata):
        indices = (row_index(key, prefix) for key in formdata)
        return (index for index in indices if index is not None)


def table_field(spec, child_form):
    # One entry more than maxItems is kept, so jsonschema sees and reports the excess
    # instead of WTForms silently dropping rows.
    limit = spec.schema.get("maxItems", 1000) + 1
    return RowList(fields.FormField(child_form(spec.children)), label=spec.label,
                            min_entries=spec.schema.get("minItems", 0), max_entries=limit)


# --- file fields: the posted value is the JSON of a stored file's reference ---------------------
# The browser posts a new file in the file input and each file it keeps as a ticked box holding
# the reference; the portal's upload service (app.cases.attachments) stores new files and
# replaces every posted reference by the one it holds for the person, so what is read here is
# always a reference the service vouched for. A value that is no JSON object is handed on as
# text, for jsonschema to refuse.

def reference_of(text):
    """A posted reference: the JSON object it spells, or the text itself."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError, RecursionError):
        return text
    return value if isinstance(value, dict) else text


def posted_references(values) -> list:
    """The references among posted values (blanks and broken ones left out), for drawing."""
    parsed = (reference_of(value) for value in (values or ()) if value)
    return [value for value in parsed if isinstance(value, dict)]


def read_file(field, spec, read_child):
    text = field.data
    return reference_of(text) if text else MISSING


def read_files(field, spec, read_child):
    return [reference_of(text) for text in (field.data or ()) if text]


def post_file(value, spec, name, post_children):
    if value is not MISSING and value is not None:
        yield name, post_text(value)


def post_files(value, spec, name, post_children):
    for item in value if isinstance(value, list) else []:
        yield from post_file(item, spec, name, post_children)


class FileReferenceField(fields.Field):
    """The references a file field posts (the macro draws the file input and the kept files)."""

    def process_formdata(self, valuelist):
        self.data = list(valuelist)

    def _value(self):
        return ""


def file_field(spec, child_form):
    return FileReferenceField(spec.label, default=())


@dataclass(frozen=True)
class FieldKind:
    build: Callable[[FieldSpec, Callable], Any]  # (spec, form_class_for_children) -> unbound field
    read: Callable[[Any, FieldSpec, Callable], Any]  # (bound field, spec, read_child) -> JSON value | MISSING
    post: Callable  # (JSON value | MISSING, spec, name, post_children) -> (name, text) pairs
    macro: str
    attributes: Callable[[FieldSpec], dict] = no_attributes
    initial: Callable = initial_leaf  # (spec, defaults_of) -> JSON value | MISSING
    # Attributes that depend on the day the form is drawn (date bounds), never cached.
    live_attributes: Callable[[FieldSpec], dict] = no_attributes
    # Whether a value is no answer at all, so an optional field of this kind is left out.
    blank: Callable[[Any, FieldSpec], bool] = never_blank


def formatted(field_class, widget=None, **extra) -> dict:
    """The aspects of a string of some format: typed text reshaped to the format's spelling."""
    return dict(build=text_field(field_class, widget), read=read_formatted, post=post_input, macro="text",
                attributes=with_attributes(spellcheck="false", **extra))


FIELD_KINDS: dict[str, FieldKind] = {
    "text": FieldKind(text_field(fields.StringField), read_text, post_input, "text",
                      common_attributes),
    "textarea": FieldKind(text_field(fields.TextAreaField), read_text, post_input, "text",
                          textarea_attributes),
    "email": FieldKind(**formatted(fields.EmailField)),
    "personnummer": FieldKind(**formatted(fields.StringField, inputmode="numeric", maxlength=13)),
    "organisationsnummer": FieldKind(**formatted(fields.StringField, inputmode="numeric", maxlength=13)),
    "postnummer": FieldKind(**formatted(fields.StringField, inputmode="numeric", maxlength=9,
                                        autocomplete="postal-code")),
    "telefonnummer": FieldKind(**formatted(fields.TelField, maxlength=40, autocomplete="tel")),
    "hsaid": FieldKind(**formatted(fields.StringField, maxlength=31)),
    "url": FieldKind(**formatted(fields.URLField)),
    "date": FieldKind(text_field(fields.StringField, widgets.DateInput()), read_formatted, post_input,
                      "text", common_attributes, live_attributes=date_bound_attributes),
    "datetime": FieldKind(text_field(fields.StringField, widgets.DateTimeLocalInput()), read_formatted,
                          post_datetime, "text", common_attributes, live_attributes=datetime_bound_attributes),
    "time": FieldKind(text_field(fields.StringField, widgets.TimeInput()), read_formatted, post_input,
                      "text", common_attributes),
    "integer": FieldKind(text_field(fields.StringField), read_integer, post_input, "text",
                         number_attributes("numeric")),
    "number": FieldKind(text_field(fields.StringField), read_number, post_input, "text",
                        number_attributes("decimal")),
    "checkbox": FieldKind(text_field(fields.BooleanField), read_checkbox, post_checkbox, "checkbox",
                          checkbox_attributes),
    "yesno": FieldKind(yesno_field, read_yesno, post_radio, "radio", choice_attributes),
    "select": FieldKind(select_field, read_choice, post_input, "text", choice_attributes),
    "radio": FieldKind(radio_field, read_choice, post_radio, "radio", choice_attributes),
    "checkboxes": FieldKind(checkboxes_field, read_choices, post_choices, "checkboxes", checkbox_attributes),
    "fieldset": FieldKind(fieldset_field, read_fieldset, post_fieldset, "fieldset", initial=initial_fieldset,
                          blank=is_blank),
    "table": FieldKind(table_field, read_table, post_table, "table", initial=initial_table,
                       blank=no_rows_where_rows_are_asked_for),
    "list": FieldKind(list_field, read_list, post_list, "list", initial=initial_list,
                      blank=no_rows_where_rows_are_asked_for),
    "info": FieldKind(text_field(fields.HiddenField), read_fixed, post_nothing, "info"),
    "tuple": FieldKind(fieldset_field, read_tuple, post_tuple, "fieldset", initial=initial_tuple,
                       blank=is_blank),
    "file": FieldKind(file_field, read_file, post_file, "file"),
    "files": FieldKind(file_field, read_files, post_files, "file", initial=initial_list,
                       blank=no_rows_where_rows_are_asked_for),
}
