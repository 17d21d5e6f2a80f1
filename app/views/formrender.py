"""Drawing case forms: the Jinja globals that dispatch each field to its kind's macro in
templates/forms/fields.html and give every input the attributes the schema implies plus the
ARIA links to its help text and errors.

What depends only on the case-type version (a kind's attributes, the blank row the script
clones) is computed once per version and kept, since a form is drawn far more often than a
schema changes.
"""
from __future__ import annotations

import json
from datetime import date

from flask import current_app, request, url_for
from markupsafe import Markup

from app.cases.handling_hours import local_text
from app.cases.row_import import FILE_FIELD_PREFIX
from casetypes.files import FILE_TYPES, FILES_KIND, accepted_types, max_bytes_of, size_text, type_names
from casetypes.row_import import allowed_texts, importable_columns
from casetypes.spreadsheet import MAX_FILE_BYTES, TOO_LARGE
from renderers.markdown import description_html
from webforms import FIELD_KINDS
from webforms.kinds import post_text, posted_references
from webforms.rows import PLACEHOLDER, ROW_MARKER

FIELDS_TEMPLATE = "forms/fields.html"

_schema_attributes: dict[int, tuple] = {}  # id(spec) -> (spec, attributes); the spec keeps the id alive
_row_templates: dict[tuple, Markup] = {}
_blank_drawings: dict[str, tuple[str, Markup]] = {}  # sha256 -> (day, the drawn fields)


def schema_attributes(spec) -> dict:
    cached = _schema_attributes.get(id(spec))
    if cached is None or cached[0] is not spec:
        cached = _schema_attributes[id(spec)] = (spec, FIELD_KINDS[spec.kind].attributes(spec))
    return cached[1]


def field_attributes(spec, bound, errors: dict, caseform=None) -> dict:
    """Schema-derived HTML attributes, with aria-describedby naming the help and error texts,
    and autofocus on the field the page opens on (a row just added without JavaScript)."""
    attrs = {**schema_attributes(spec), **FIELD_KINDS[spec.kind].live_attributes(spec)}
    if caseform is not None and caseform.focus == bound.name:
        attrs["autofocus"] = True
    described = [f"{bound.id}-help"] if spec.help else []
    if spec.condition:
        described.insert(0, f"{bound.id}-condition")
    if errors.get(bound.name):
        described.append(f"{bound.id}-error")
        attrs["aria-invalid"] = "true"
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return attrs


def field_drawer(app):
    """render_field for this app: kind -> macro looked up once (again on every call in debug,
    so template edits show). A closure over the app, because going through current_app for
    every cell of a 200-row table is a measurable share of drawing it."""
    macros: dict = {}

    def render_field(spec, bound, errors: dict, caseform=None, in_row: bool = False) -> Markup:
        if not macros or app.debug:
            module = app.jinja_env.get_template(FIELDS_TEMPLATE).module
            macros.update({kind: getattr(module, entry.macro) for kind, entry in FIELD_KINDS.items()})
        drawn = macros[spec.kind](spec, bound, errors, caseform, in_row)
        return conditional(spec, bound, drawn) if spec.condition else drawn

    return render_field


def conditional(spec, bound, drawn: Markup) -> Markup:
    """A field that applies only under a condition: shown with a line saying when to fill it
    in; when the condition is simple, the browser script also hides it while it does not hold."""
    rule = browser_rule(spec, bound)
    data = Markup(' data-show-when="{}"').format(json.dumps(rule)) if rule else ""
    return Markup('<div class="conditional"{}><p class="condition" id="{}-condition">Fyll i om {}.</p>{}</div>').format(
        data, bound.id, spec.condition, drawn)


def browser_rule(spec, bound) -> dict | None:
    """The condition for portal.js: the posted name of the field it reads and the values
    (as the inputs post them) that show this one."""
    if not spec.client_rule or not bound.name.endswith(spec.key):
        return None
    key, values, negated, when_blank = spec.client_rule
    return {"name": bound.name[:-len(spec.key)] + key, "values": [post_text(value) for value in values],
            "negate": negated, "whenBlank": when_blank}


def markdown(text) -> Markup:
    """A description in the safe Markdown subset, sanitised (renderers.markdown)."""
    return Markup(description_html(str(text))) if text else Markup("")  # noqa: S704 (nh3-sanitised)


def row_template(row_macro, spec, name: str, caseform) -> Markup:
    """The blank row the add-row script clones: the same for every view of this version."""
    key = (caseform.case_type.sha256, name)
    if key not in _row_templates or current_app.debug:
        _row_templates[key] = row_macro(spec, caseform.row_prototype(spec, name), {}, caseform, PLACEHOLDER)
    return _row_templates[key]


def blank_fields(caseform) -> Markup:
    """The fields of an untouched case form, drawn once per case-type version and day (date
    bounds such as x-ui.minDate move with the day) and kept: every customer who opens the form
    gets the same markup, so only the orderer block, CSRF token and form key are drawn per view.
    Drawing the fields is most of the form page's work."""
    day = date.today().isoformat()
    cached = _blank_drawings.get(caseform.case_type.sha256)
    if cached is None or cached[0] != day or current_app.debug:
        draw = current_app.jinja_env.globals["render_field"]
        errors = caseform.errors_by_name()
        drawn = Markup("").join(draw(spec, caseform.form[spec.key], errors, caseform) for spec in caseform.fields)
        cached = _blank_drawings[caseform.case_type.sha256] = (day, drawn)
    return cached[1]


def import_choices(table) -> list[tuple[str, tuple]]:
    """(column title, allowed values) for the columns of a table that offer choices."""
    return [(spec.label, allowed_texts(spec)) for spec in importable_columns(table) if allowed_texts(spec)]


def row_template_url(caseform, table_name: str, file_format: str) -> str:
    """"Ladda ner mall" where the form is drawn: the preview's own, else the customer's."""
    endpoint = "preview.row_template" if request.blueprint == "preview" else "cases.row_template"
    return url_for(endpoint, slug=caseform.case_type.slug, table=table_name, file_format=file_format)


def masked_organisationsnummer(number: str) -> str:
    """A sole trader's organisationsnummer is their personnummer: lists show it masked."""
    digits = (number or "").replace("-", "")
    is_person = len(digits) == 10 and digits.isdigit() and int(digits[2]) < 2
    return f"{digits[:6]}-****" if is_person else number


def file_summary(reference: dict) -> str:
    """"PDF, 12,5 kB"."""
    size = reference.get("size") if isinstance(reference.get("size"), int) else 0
    media_type = str(reference.get("mediaType", ""))
    return f"{FILE_TYPES.get(media_type, media_type)}, {size_text(size)}"


def attachment_summary(attachment) -> str:
    """"PDF, 12,5 kB" for a stored attachment row."""
    return file_summary({"mediaType": attachment.media_type, "size": attachment.size})


def file_limits_text(spec) -> str:
    """What a file field takes, said next to it: types, size per file, how many."""
    item = spec.children[0] if spec.kind == FILES_KIND else spec
    text = (f"Tillåtna filtyper: {type_names(accepted_types(item.hints))}. "
            f"Högst {size_text(max_bytes_of(item.hints))} per fil.")
    return text + (f" Högst {spec.schema.get('maxItems')} filer." if spec.kind == FILES_KIND else "")


def init_app(app) -> None:
    app.jinja_env.filters["masked_orgnr"] = masked_organisationsnummer
    app.jinja_env.filters["file_references"] = posted_references
    app.jinja_env.filters["file_summary"] = file_summary
    app.jinja_env.filters["attachment_summary"] = attachment_summary
    app.jinja_env.filters["tojson_text"] = post_text
    app.jinja_env.filters["local"] = local_text
    app.jinja_env.filters["markdown"] = markdown
    app.jinja_env.globals.update(
        render_field=field_drawer(app),
        field_attributes=field_attributes,
        row_template=row_template,
        blank_fields=blank_fields,
        ROW_MARKER=ROW_MARKER,
        IMPORT_FILE_PREFIX=FILE_FIELD_PREFIX,
        IMPORT_MAX_BYTES=MAX_FILE_BYTES,
        IMPORT_TOO_LARGE=TOO_LARGE,
        import_choices=import_choices,
        row_template_url=row_template_url,
        file_limits_text=file_limits_text,
    )
