"""Checking a (normalised) file against JSON Schema 2020-12 and against our dialect, with every
problem in Swedish, at the node it concerns, once.

jsonschema explains itself in English and points at the object that holds a bad key; an
administrator gets instead one line per offending node (`/properties/förnamn/x-ui/widgt`),
with values shortened, never a dump of the schema.
"""
from __future__ import annotations

import json

import regex
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import best_match

from .dialect import LOCAL_REF_PATTERN

TYPE_NAMES = {"string": "en text", "integer": "ett heltal", "number": "ett tal", "boolean": "true eller false",
              "object": "ett objekt", "array": "en lista", "null": "null"}
MAX_LISTED = 12


def escape(part) -> str:
    return "/" + str(part).replace("~", "~0").replace("/", "~1")


def pointer_of(path) -> str:
    return "".join(map(escape, path))


def shorten(value, limit: int = 60) -> str:
    """A value as an administrator may see it in a message: never a dump of a whole schema."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = repr(text) if isinstance(value, str) else text
    return text if len(text) <= limit else text[:limit - 1] + "…"


def listing(values) -> str:
    values = list(values)
    shown = ", ".join(shorten(value, 30) for value in values[:MAX_LISTED])
    return shown + (f" (och {len(values) - MAX_LISTED} till)" if len(values) > MAX_LISTED else "")


def type_names(expected) -> str:
    names = [expected] if isinstance(expected, str) else list(expected)
    return " eller ".join(TYPE_NAMES.get(name, str(name)) for name in names)


def extra_keys(error) -> list:
    """(pointer, message) for each key an object may not have, pointing at the key itself."""
    allowed = set(error.schema.get("properties", {})) if isinstance(error.schema, dict) else set()
    what = "Okänd hint" if "widget" in allowed else "Okänt nyckelord"
    return [(escape(key), f"{what} {shorten(key)}.") for key in error.instance if key not in allowed]


def pattern_message(error) -> str:
    if error.validator_value == LOCAL_REF_PATTERN:
        return f"$ref {shorten(error.instance)} får bara peka på en fil i forms/, aldrig en webbadress eller en sökväg utanför mappen."
    return f"Värdet {shorten(error.instance)} har fel form."


def format_message(error) -> str:
    if error.validator_value == "regex":
        return f"Ogiltigt reguljärt uttryck {shorten(error.instance)}."
    return f"Värdet {shorten(error.instance)} har inte formatet {error.validator_value}."


# One entry per keyword of the meta-schemas: the Swedish line for an error it raises.
MESSAGES = {
    "type": lambda e: f"Fel typ: {shorten(e.instance)} ska vara {type_names(e.validator_value)}.",
    "enum": lambda e: f"Okänt värde {shorten(e.instance)}; tillåtna är {listing(e.validator_value)}.",
    "const": lambda e: f"Värdet måste vara {shorten(e.validator_value)}.",
    "minimum": lambda e: f"Värdet ska vara minst {e.validator_value}.",
    "maximum": lambda e: f"Värdet får vara högst {e.validator_value}.",
    "exclusiveMinimum": lambda e: f"Värdet ska vara större än {e.validator_value}.",
    "exclusiveMaximum": lambda e: f"Värdet ska vara mindre än {e.validator_value}.",
    "minLength": lambda e: "Texten får inte vara tom." if e.validator_value == 1 else f"Skriv minst {e.validator_value} tecken.",
    "maxLength": lambda e: f"Texten får vara högst {e.validator_value} tecken.",
    "minItems": lambda e: f"Listan ska ha minst {e.validator_value} värden.",
    "maxItems": lambda e: f"Listan får ha högst {e.validator_value} värden.",
    "uniqueItems": lambda e: "Samma värde står två gånger i listan.",
    "pattern": pattern_message,
    "format": format_message,
    "required": lambda e: f"Här krävs {listing(n for n in e.validator_value if n not in e.instance)}.",
    "propertyNames": lambda e: f"Ogiltigt fältnamn {shorten(e.instance)}: 1–200 tecken, inga styrtecken.",
    "not": lambda e: "Värdet är inte tillåtet här.",
    "anyOf": lambda e: "Värdet passar inte här.",
    "oneOf": lambda e: "Värdet passar inte här.",
    "multipleOf": lambda e: f"Värdet ska vara en multipel av {e.validator_value}.",
    "dependentRequired": lambda e: "Ett nyckelord kräver ett annat som saknas.",
}
FALLBACK = "Ogiltigt värde."


def located_messages(error) -> list:
    """(pointer, message) pairs for one error: at the offending key for unknown keys and bad
    names, else at the node the error is about."""
    path = pointer_of(error.absolute_path)
    if error.validator == "additionalProperties":
        return [(path + key, message) for key, message in extra_keys(error)]
    if error.validator == "propertyNames":
        return [(path + escape(error.instance), MESSAGES["propertyNames"](error))]
    if error.validator is None or error.validator_value is False:
        return [(path, "Nyckeln är inte tillåten här.")]
    if error.validator in ("anyOf", "oneOf") and error.context:
        # Of the alternatives, the one the value came closest to explains it best.
        return located_messages(best_match(error.context))
    return [(path, MESSAGES.get(error.validator, lambda e: FALLBACK)(error))]


def meta_problems(data, meta_schema: dict, format_checker=None) -> list:
    """Every (pointer, message) a document breaks, sorted by position, each once."""
    validator = Draft202012Validator(meta_schema, format_checker=format_checker)
    found: dict = {}
    for error in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        for located in located_messages(error):
            found.setdefault(located, None)
    return list(found)


def meta_format_checker() -> FormatChecker:
    """jsonschema's checkers for the meta-schema, with "regex" read as the validator reads
    patterns (the regex module), so `\\p{L}` passes and what passes can be judged."""
    checker = FormatChecker(formats=Draft202012Validator.FORMAT_CHECKER.checkers)
    checker.checks("regex", raises=(regex.error, ValueError, OverflowError))(lambda text: regex.compile(text) is not None
                                                                            if isinstance(text, str) else True)
    return checker


META_FORMAT_CHECKER = meta_format_checker()


def json_schema_problems(data) -> list:
    """What makes a document no valid JSON Schema 2020-12 at all (jsonschema's own meta-schema)."""
    return meta_problems(data, Draft202012Validator.META_SCHEMA, META_FORMAT_CHECKER)


def dialect_problems(data, meta_schema: dict) -> list:
    """What the portal's dialect refuses in a valid JSON Schema."""
    return meta_problems(data, meta_schema)
