"""Drawing case forms: the Jinja globals that dispatch each field to its kind's macro in
templates/forms/fields.html and give every input the attributes the schema implies plus the
ARIA links to its help text and errors.
"""
from __future__ import annotations

from flask import current_app
from markupsafe import Markup

from app.webforms import FIELD_KINDS
from app.webforms.rows import PLACEHOLDER, ROW_MARKER

FIELDS_TEMPLATE = "forms/fields.html"


def field_attributes(spec, bound, errors: dict) -> dict:
    """Schema-derived HTML attributes, with aria-describedby naming the help and error texts."""
    attrs = dict(FIELD_KINDS[spec.kind].attributes(spec))
    described = [f"{bound.id}-help"] if spec.help else []
    if errors.get(bound.name):
        described.append(f"{bound.id}-error")
        attrs["aria-invalid"] = "true"
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return attrs


def render_field(spec, bound, errors: dict, caseform=None, in_row: bool = False) -> Markup:
    module = current_app.jinja_env.get_template(FIELDS_TEMPLATE).module
    macro = getattr(module, FIELD_KINDS[spec.kind].macro)
    return macro(spec, bound, errors, caseform, in_row)


def init_app(app) -> None:
    app.jinja_env.globals.update(
        render_field=render_field,
        field_attributes=field_attributes,
        ROW_MARKER=ROW_MARKER,
        ROW_PLACEHOLDER=PLACEHOLDER,
    )
