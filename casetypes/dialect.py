"""The schema dialect: which JSON Schema keywords a case-type file may use, the presentation
hints under "x-ui", the vocabulary of field kinds, and the meta-schema that enforces it all.

A file that strays from the dialect is refused at load, so every later part (forms, renderers,
e-mail) can rely on only meeting constructs it knows.
"""
from __future__ import annotations

from .files import MAX_BYTES_LIMIT

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
    "tuple": {"array"},  # `prefixItems` with `items: false`: a fixed group of positional fields
    # A fixed value: `"type": "null"` (an information text) or a `const` object/array. It is
    # shown as text and always stored as that value.
    "info": {"null", "object", "array", "string", "integer", "number", "boolean", None},
    # An uploaded file: a string with contentMediaType in the file, the reference to the stored
    # file in the document (see files.py); "files" is a list of them.
    "file": {"object"},
    "files": {"array"},
}
KINDS = frozenset(KIND_TYPES)

# Kinds whose input always carries an answer (an unticked box is false, a group of boxes [],
# a table its rows), listed in "required" or not; an optional section left blank is left out.
ALWAYS_ANSWERED = frozenset({"checkbox", "checkboxes", "fieldset", "table", "list", "files"})

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

# Formats jsonschema itself can judge; a field with one of them is a text field whose value
# is checked. Any other format is dropped with a note (see normalize.py).
CHECKED_FORMATS = frozenset({"date-time", "time", "uri", "uri-reference", "uuid", "ipv4", "ipv6",
                             "idn-email", "idn-hostname", "regex"})
KNOWN_FORMATS = frozenset(FORMATS) | CHECKED_FORMATS
# Formats whose checked values are short by their nature, so a field of them needs no maxLength.
SELF_BOUNDED_FORMATS = BOUNDED_FORMATS | {"date-time", "time", "uuid", "ipv4", "ipv6"}

# Any property name is accepted: the web forms give each field a safe HTML name (its key).
NAME_PATTERN = r"^[^\u0000-\u001f\u007f]{1,200}$"
# Controls the portal adds to every form: a property of that name gets another HTML name.
RESERVED_NAMES = ("csrf_token", "form_key", "action", "submit", "orderer", "case_type")
# Names a property keeps as its HTML name only if it is none of these: the portal's controls
# and the attributes of a WTForms form (a field named "data" would hide the form's own).
RESERVED_KEYS = frozenset(RESERVED_NAMES) | {"data", "errors", "meta", "process", "validate",
                                             "populate_obj", "post_process", "form_errors"}

# A $ref may name a file (and a pointer) inside forms/, never a URL or a path leaving the folder.
LOCAL_REF_PATTERN = r"^(?![A-Za-z][A-Za-z0-9+.-]*:)(?!/)(?!.*(^|/)\.\.(/|#|$))[^\\]*$"

DIALECT_URI = "https://json-schema.org/draft/2020-12/schema"
TEXTAREA_KIND = "textarea"

LONG_TEXT_LENGTH = 500

MEDIA_TYPE_PATTERN = r"^[a-z0-9][a-z0-9.+-]{0,60}/([a-z0-9][a-z0-9.+-]{0,120}|\*)$"

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
        # File fields: the allowed media types ("image/*" for every image type) and the size bound.
        "accept": {"type": "array", "minItems": 1, "maxItems": 50, "uniqueItems": True,
                   "items": {"type": "string", "pattern": MEDIA_TYPE_PATTERN}},
        "maxBytes": {"type": "integer", "minimum": 1, "maximum": MAX_BYTES_LIMIT},
        "errors": {
            "type": "object",
            "propertyNames": {"pattern": "^[a-zA-Z]+$"},
            "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 300},
        },
        # Root only: whether customers may choose the case type, and where in the list.
        "active": {"type": "boolean"},
        "order": {"type": "integer"},
        # Root only: pages of top-level fields and a review page (casetypes/steps.py checks
        # the names; the meta-schema only the shape).
        "steps": {"type": "array", "minItems": 1, "maxItems": 50, "items": {
            "type": "object", "additionalProperties": False,
            "properties": {"title": {"type": "string", "maxLength": 200},
                           "fields": {"type": "array", "maxItems": 2000, "items": {"type": "string"}}}}},
        "review": {"type": "boolean"},
    },
}

JSON_TYPES = ["string", "integer", "number", "boolean", "object", "array", "null"]
SUBSCHEMA = {"$ref": "#/$defs/subschema"}
SUBSCHEMA_LIST = {"type": "array", "items": SUBSCHEMA}
SUBSCHEMA_MAP = {"type": "object", "additionalProperties": SUBSCHEMA}
COUNT = {"type": "integer", "minimum": 0, "maximum": 100000}

# Every JSON Schema 2020-12 keyword the portal serves, with the values it accepts.
SUBSCHEMA_KEYWORDS = {
    "$ref": {"type": "string", "pattern": LOCAL_REF_PATTERN},
    "$id": {"type": "string"},
    "$anchor": {"type": "string", "pattern": "^[A-Za-z_][-A-Za-z0-9._]*$"},
    "$comment": {"type": "string"},
    "$defs": SUBSCHEMA_MAP,
    "title": {"type": "string", "minLength": 1, "maxLength": 500},
    "description": {"type": "string", "maxLength": 10000},
    "type": {"anyOf": [{"enum": JSON_TYPES},
                       {"type": "array", "items": {"enum": JSON_TYPES}, "minItems": 1, "uniqueItems": True}]},
    "default": True,
    "examples": {"type": "array"},
    "readOnly": {"type": "boolean"},
    "writeOnly": {"type": "boolean"},
    "deprecated": {"type": "boolean"},
    "const": True,
    "enum": {"type": "array", "minItems": 1, "maxItems": 5000},
    "format": {"enum": sorted(KNOWN_FORMATS)},
    "contentMediaType": {"type": "string"},
    "contentEncoding": {"type": "string"},
    "minLength": COUNT,
    "maxLength": {"type": "integer", "minimum": 1, "maximum": 100000},
    "pattern": {"type": "string", "maxLength": 500},
    "minimum": {"type": "number"},
    "maximum": {"type": "number"},
    "exclusiveMinimum": {"type": "number"},
    "exclusiveMaximum": {"type": "number"},
    "multipleOf": {"type": "number", "exclusiveMinimum": 0},
    "items": SUBSCHEMA,
    "prefixItems": {**SUBSCHEMA_LIST, "minItems": 1, "maxItems": 100},  # a tuple: one field per position
    "minItems": {"type": "integer", "minimum": 0, "maximum": 1000},
    "maxItems": {"type": "integer", "minimum": 1, "maximum": 1000},
    "uniqueItems": {"type": "boolean"},
    "contains": SUBSCHEMA,
    "minContains": COUNT,
    "maxContains": COUNT,
    "unevaluatedItems": SUBSCHEMA,
    "properties": {
        "type": "object",
        "propertyNames": {"pattern": NAME_PATTERN},
        "additionalProperties": SUBSCHEMA,
    },
    "required": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
    "additionalProperties": {"const": False},
    "unevaluatedProperties": {"const": False},
    "propertyNames": SUBSCHEMA,
    "minProperties": COUNT,
    "maxProperties": COUNT,
    "dependentRequired": {
        "type": "object",
        "additionalProperties": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
    },
    "dependentSchemas": SUBSCHEMA_MAP,
    "if": SUBSCHEMA,
    "then": SUBSCHEMA,
    "else": SUBSCHEMA,
    "not": SUBSCHEMA,
    "allOf": SUBSCHEMA_LIST,
    "anyOf": SUBSCHEMA_LIST,
    "oneOf": SUBSCHEMA_LIST,
    HINT_KEYWORD: {"$ref": "#/$defs/hints"},
}
KEYWORDS = frozenset(SUBSCHEMA_KEYWORDS) - {HINT_KEYWORD}
ROOT_KEYWORDS = frozenset({"$schema"})

# Standard keywords the portal cannot serve, with what to do instead.
UNSUPPORTED_KEYWORDS = {
    "$dynamicRef": "$dynamicRef stöds inte; använd $ref.",
    "$dynamicAnchor": "$dynamicAnchor stöds inte; använd $defs och $ref.",
    "$recursiveRef": "$recursiveRef stöds inte: rekursiva träd kan inte visas som formulär. Använd en tabell.",
    "$recursiveAnchor": "$recursiveAnchor stöds inte: rekursiva träd kan inte visas som formulär. Använd en tabell.",
    "$vocabulary": "$vocabulary stöds inte; portalen läser JSON Schema 2020-12 med x-ui.",
    "contentSchema": "contentSchema stöds inte.",
}

# Bounds every input has (security checklist D1) are written in by normalize.py and checked on
# each field by the loader; the meta-schema checks the shape of each keyword.
META_SCHEMA = {
    "$schema": DIALECT_URI,
    "$defs": {
        "hints": UI_HINTS,
        "subschema": {
            "type": ["object", "boolean"],
            "properties": SUBSCHEMA_KEYWORDS,
            "additionalProperties": False,
        },
    },
    "type": "object",
    "properties": {
        **SUBSCHEMA_KEYWORDS,
        "$schema": {"const": DIALECT_URI},
        "type": {"const": "object"},
    },
    "additionalProperties": False,
    "required": ["$schema", "title", "type"],
}

FRAGMENT_META_SCHEMA = {
    **META_SCHEMA,
    "properties": {**SUBSCHEMA_KEYWORDS, "$schema": {"const": DIALECT_URI}},
    "required": [],
}
