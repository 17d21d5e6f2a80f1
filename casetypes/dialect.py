"""The schema dialect: which JSON Schema keywords a case-type file may use, the presentation
hints under "x-ui", the vocabulary of field kinds, and the meta-schema that enforces it all.

A file that strays from the dialect is refused at load, so every later part (forms, renderers,
e-mail) can rely on only meeting constructs it knows.
"""
from __future__ import annotations

HINT_KEYWORD = "x-ui"

# Field kinds. Every consumer (web forms, renderers) keeps one registry entry per kind;
# tests check that each registry covers exactly this vocabulary.
KIND_TYPES = {
    "text": {"string"},
    "textarea": {"string"},
    "email": {"string"},
    "personnummer": {"string"},
    "organisationsnummer": {"string"},
    "postnummer": {"string"},
    "telefonnummer": {"string"},
    "hsaid": {"string"},
    "url": {"string"},
    "date": {"string"},
    "datetime": {"string"},
    "time": {"string"},
    "integer": {"integer"},
    "number": {"number"},
    "checkbox": {"boolean"},
    "yesno": {"boolean"},
    # None: choices of mixed types (["a", 1, true]); the choices themselves say what is stored.
    "select": {"string", "integer", "number", "boolean", None},
    "radio": {"string", "integer", "number", "boolean", None},
    "checkboxes": {"array"},
    "fieldset": {"object"},
    "table": {"array"},
    "list": {"array"},  # a free list of strings or numbers: a one-column table
}
KINDS = frozenset(KIND_TYPES)

# Kinds whose input always carries an answer (an unticked box is false, a group of boxes [],
# a table its rows), listed in "required" or not; an optional section left blank is left out.
ALWAYS_ANSWERED = frozenset({"checkbox", "checkboxes", "fieldset", "table", "list"})

# format -> the field kind it gives a string.
FORMAT_KINDS = {
    "email": "email",
    "personnummer": "personnummer",
    "organisationsnummer": "organisationsnummer",
    "postnummer": "postnummer",
    "telefonnummer": "telefonnummer",
    "hsa-id": "hsaid",
    "uri": "url",
    "date": "date",
    "date-time": "datetime",
    "time": "time",
}
FORMATS = tuple(FORMAT_KINDS)

# Strings of these formats are bounded by the format itself, so need no maxLength.
BOUNDED_FORMATS = frozenset({"personnummer", "organisationsnummer", "postnummer", "telefonnummer",
                             "hsa-id", "date", "date-time", "time"})

# Field names that would collide with controls the portal adds to every form.
RESERVED_NAMES = ("csrf_token", "form_key", "action", "submit", "orderer", "case_type")
NAME_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"
# Names a property keeps as its HTML name only if it is none of these: the portal's controls
# and the attributes of a WTForms form (a field named "data" would hide the form's own).
RESERVED_KEYS = frozenset(RESERVED_NAMES) | {"data", "errors", "meta", "process", "validate",
                                             "populate_obj", "post_process", "form_errors"}

# A $ref may name a file (and a pointer) inside forms/, never a URL or a path leaving the folder.
LOCAL_REF_PATTERN = r"^(?![A-Za-z][A-Za-z0-9+.-]*:)(?!/)(?!.*(^|/)\.\.(/|#|$))[^\\]*$"

LONG_TEXT_LENGTH = 500

DATE_BOUND_PATTERN = r"^(today([+-][0-9]{1,4}[dwmy])?|[0-9]{4}-[0-9]{2}-[0-9]{2})$"

UI_HINTS = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "widget": {"enum": sorted(KINDS)},
        "placeholder": {"type": "string", "maxLength": 200},
        "emptyLabel": {"type": "string", "maxLength": 200},
        "addLabel": {"type": "string", "maxLength": 100},
        "removeLabel": {"type": "string", "maxLength": 100},
        "rows": {"type": "integer", "minimum": 1, "maximum": 40},
        "autocomplete": {"type": "string", "pattern": "^[a-z -]{1,60}$"},
        # Date bounds JSON Schema lacks: "today", "today+30d", "today-1y", "2026-01-31".
        "minDate": {"type": "string", "pattern": DATE_BOUND_PATTERN},
        "maxDate": {"type": "string", "pattern": DATE_BOUND_PATTERN},
        "errors": {
            "type": "object",
            "propertyNames": {"pattern": "^[a-zA-Z]+$"},
            "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 300},
        },
        # Root only: whether customers may choose the case type, and where in the list.
        "active": {"type": "boolean"},
        "order": {"type": "integer"},
    },
}

SUBSCHEMA_KEYWORDS = {
    "$ref": {"type": "string", "pattern": LOCAL_REF_PATTERN},
    "$comment": {"type": "string"},
    "title": {"type": "string", "minLength": 1, "maxLength": 300},
    "description": {"type": "string", "maxLength": 2000},
    "type": {"enum": ["string", "integer", "number", "boolean", "object", "array"]},
    "default": True,
    "examples": True,
    "readOnly": {"type": "boolean"},
    "deprecated": {"type": "boolean"},
    "const": True,
    "enum": {"type": "array", "minItems": 1},
    "format": {"enum": list(FORMATS)},
    "minLength": {"type": "integer", "minimum": 0},
    "maxLength": {"type": "integer", "minimum": 1, "maximum": 100000},
    "pattern": {"type": "string", "maxLength": 500},
    "minimum": {"type": "number"},
    "maximum": {"type": "number"},
    "exclusiveMinimum": {"type": "number"},
    "exclusiveMaximum": {"type": "number"},
    "multipleOf": {"type": "number", "exclusiveMinimum": 0},
    "items": {"$ref": "#/$defs/subschema"},
    "minItems": {"type": "integer", "minimum": 0},
    "maxItems": {"type": "integer", "minimum": 1, "maximum": 1000},
    "uniqueItems": {"type": "boolean"},
    "properties": {
        "type": "object",
        "propertyNames": {"pattern": NAME_PATTERN, "not": {"enum": list(RESERVED_NAMES)}},
        "additionalProperties": {"$ref": "#/$defs/subschema"},
    },
    "required": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
    "additionalProperties": {"const": False},
    "dependentRequired": {
        "type": "object",
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
    },
    "if": {"$ref": "#/$defs/subschema"},
    "then": {"$ref": "#/$defs/subschema"},
    "else": {"$ref": "#/$defs/subschema"},
    "not": {"$ref": "#/$defs/subschema"},
    "allOf": {"type": "array", "items": {"$ref": "#/$defs/subschema"}},
    "anyOf": {"type": "array", "items": {"$ref": "#/$defs/subschema"}},
    "oneOf": {"type": "array", "items": {"$ref": "#/$defs/subschema"}},
    "$defs": {"type": "object", "additionalProperties": {"$ref": "#/$defs/subschema"}},
    HINT_KEYWORD: {"$ref": "#/$defs/hints"},
}

# Rules that bound every input (security checklist D1): value objects are closed,
# free strings have a maxLength, arrays have a maxItems.
BOUNDS = [
    {
        "if": {"required": ["type"], "properties": {"type": {"const": "object"}}},
        "then": {"required": ["properties", "additionalProperties"]},
    },
    {
        "if": {
            "required": ["type"],
            "properties": {"type": {"const": "string"}},
            "not": {"anyOf": [
                {"required": ["enum"]}, {"required": ["oneOf"]}, {"required": ["const"]},
                {"required": ["format"], "properties": {"format": {"enum": sorted(BOUNDED_FORMATS)}}},
            ]},
        },
        "then": {"required": ["maxLength"]},
    },
    {
        "if": {"required": ["type"], "properties": {"type": {"const": "array"}}},
        "then": {"required": ["maxItems", "items"]},
    },
]

META_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$defs": {
        "hints": UI_HINTS,
        "subschema": {
            "type": ["object", "boolean"],
            "properties": SUBSCHEMA_KEYWORDS,
            "additionalProperties": False,
            "allOf": BOUNDS,
        },
    },
    "type": "object",
    "properties": {
        **SUBSCHEMA_KEYWORDS,
        "$schema": {"const": "https://json-schema.org/draft/2020-12/schema"},
    },
    "additionalProperties": False,
    "required": ["$schema", "title", "type", "properties", "additionalProperties"],
    "allOf": [{"properties": {"type": {"const": "object"}}}, *BOUNDS],
}

FRAGMENT_META_SCHEMA = {
    **META_SCHEMA,
    "required": [],
    "allOf": BOUNDS,
}
