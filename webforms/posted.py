"""The one reader of posted data: form fields into the JSON document, without WTForms.

Every form (a case, Mina uppgifter, the preview) is read here, whether it is drawn afterwards
or not; WTForms only draws. Binding a whole WTForms tree (a form object per row, a field object
per cell) is work only a re-render needs, so these light field-like views give the kinds' read
functions `.data`, `.form` and `.entries` with WTForms' own rules for missing keys, unticked
boxes and row indices (the shared row-index parser in names.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from werkzeug.datastructures import MultiDict

from casetypes.spec import FieldSpec

from .names import SEPARATOR, row_indices

FALSE_VALUES = (False, "false", "")  # wtforms BooleanField.false_values


def first_value(values: list):
    return values[0] if values else None


def ticked(values: list) -> bool:
    return bool(values) and values[0] not in FALSE_VALUES


def all_values(values: list):
    return list(values) if values else None


# How each WTForms field class turns the posted values of its name into `.data`.
RAW_DATA = {
    "text": first_value, "textarea": first_value, "email": first_value, "personnummer": first_value,
    "organisationsnummer": first_value, "postnummer": first_value, "telefonnummer": first_value,
    "hsaid": first_value, "url": first_value, "date": first_value, "datetime": first_value,
    "time": first_value, "integer": first_value, "number": first_value,
    "select": first_value, "radio": first_value, "yesno": first_value,
    "info": first_value,
    "checkbox": ticked,
    "checkboxes": all_values,
    "file": first_value,  # the reference kept (a new upload replaces it, see app.cases.attachments)
    "files": all_values,
}


@dataclass(frozen=True)
class PostedForm:
    formdata: MultiDict
    prefix: str
    specs: tuple

    def field(self, spec: FieldSpec) -> "PostedField":
        """The posted values of one of this form's fields (the reader already holds its spec,
        so no search by name)."""
        return PostedField(self.formdata, self.prefix + spec.key, spec)


@dataclass(frozen=True)
class PostedEntry:
    form: PostedForm


@dataclass(frozen=True)
class PostedField:
    formdata: MultiDict
    name: str
    spec: FieldSpec

    @property
    def data(self):
        return RAW_DATA[self.spec.kind](self.formdata.getlist(self.name))

    @property
    def form(self) -> PostedForm:
        return PostedForm(self.formdata, self.name + SEPARATOR, self.spec.children)

    @property
    def entries(self) -> list:
        """The rows that were posted, and only those: a row nobody sent is no answer (the drawn
        form still shows minItems blank rows, so a missing row is reported on the table)."""
        indices = row_indices(self.formdata.keys(), self.name)[:self.spec.schema.get("maxItems", 1000) + 1]
        return ENTRIES[self.spec.kind](self, indices)


def table_entries(field: PostedField, indices: list) -> list[PostedEntry]:
    return [PostedEntry(PostedForm(field.formdata, f"{field.name}{SEPARATOR}{index}{SEPARATOR}", field.spec.children))
            for index in indices]


def list_entries(field: PostedField, indices: list) -> list[PostedField]:
    """A free list's rows are single fields named like "tags-0"."""
    item = field.spec.children[0]
    return [PostedField(field.formdata, f"{field.name}{SEPARATOR}{index}", item) for index in indices]


ENTRIES: dict[str, Callable[[PostedField, list], list]] = {"table": table_entries, "list": list_entries}


def posted_form(specs: tuple, formdata, prefix: str = "") -> PostedForm:
    return PostedForm(formdata, prefix, specs)
