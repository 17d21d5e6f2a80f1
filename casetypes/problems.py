"""Turning jsonschema errors into Problems: a JSON path in the document and a plain Swedish
message for the person who typed it.

A message is looked up, first match wins: the failing subschema's own "x-ui".errors, the
target field's "x-ui".errors, a message for the field's kind, one for the format or type,
then the keyword's default. `required` and `dependentRequired` point at the missing field,
not at the object that lacks it, so the message lands next to the input that must change.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from jsonschema import ValidationError

from .dialect import HINT_KEYWORD
from .formats import FormatRejection


@dataclass(frozen=True)
class Problem:
    path: tuple  # where in the document; () is the document as a whole
    message: str


FORMAT_MESSAGES = {
    "personnummer": "Ange ett giltigt personnummer, 12 siffror ÅÅÅÅMMDDXXXX.",
    "organisationsnummer": "Ange ett giltigt organisationsnummer, 10 siffror XXXXXX-XXXX.",
    "email": "Ange en giltig e-postadress, till exempel namn@exempel.se.",
    "date": "Ange ett giltigt datum, ÅÅÅÅ-MM-DD.",
    "date-time": "Ange ett giltigt datum och klockslag.",
    "time": "Ange ett giltigt klockslag, TT:MM.",
    "uri": "Ange en fullständig webbadress, till exempel https://exempel.se.",
    "postnummer": "Ange ett giltigt postnummer, fem siffror, till exempel 123 45.",
    "telefonnummer": "Ange ett giltigt telefonnummer, till exempel 070-123 45 67 eller +46 70 123 45 67.",
    "hsa-id": "Ange ett giltigt HSA-id, till exempel SE2321000016-1003.",
}

# Why a value is not of its format (casetypes.formats.FormatRejection), when the checker can
# tell: a wrong check digit is a typo to look for, not a wrong format to learn.
FORMAT_REASON_MESSAGES = {
    ("personnummer", "check-digit"): "Kontrollsiffran stämmer inte. Kontrollera personnumret.",
    ("personnummer", "date"): "Personnumret innehåller inget giltigt datum.",
    ("personnummer", "future"): "Födelsedatumet i personnumret ligger i framtiden.",
    ("personnummer", "serial"): "Personnummer med födelsenummer 000 finns inte.",
    ("organisationsnummer", "check-digit"): "Kontrollsiffran stämmer inte. Kontrollera organisationsnumret.",
    ("organisationsnummer", "person"): "Numret är varken ett organisationsnummer eller ett giltigt personnummer.",
}

TYPE_MESSAGES = {
    "integer": "Ange ett heltal.",
    "number": "Ange ett tal, till exempel 12 eller 12,5.",
    "boolean": "Välj Ja eller Nej.",
    "string": "Ange en text.",
    "array": "Ogiltig lista.",
    "object": "Ogiltiga uppgifter.",
}

KIND_MESSAGES = {
    ("required", "select"): "Välj ett alternativ.",
    ("required", "radio"): "Välj ett alternativ.",
    ("required", "yesno"): "Välj Ja eller Nej.",
    ("required", "checkbox"): "Kryssa i rutan.",
    ("required", "checkboxes"): "Välj minst ett alternativ.",
    ("required", "table"): "Lägg till minst en rad.",
    ("minItems", "table"): "Lägg till minst {limit_rows}.",
    ("maxItems", "table"): "Högst {limit} rader får finnas.",
    ("minItems", "checkboxes"): "Välj minst {limit} alternativ.",
    ("maxItems", "checkboxes"): "Välj högst {limit} alternativ.",
    ("required", "file"): "Bifoga en fil.",
    ("minItems", "files"): "Bifoga minst {limit} filer.",
    ("maxItems", "files"): "Du kan bifoga högst {limit} filer här.",
}

DEFAULT_MESSAGES = {
    "required": "Fältet måste fyllas i.",
    "dependentRequired": "Fältet måste fyllas i.",
    "minLength": "Skriv minst {limit} tecken.",
    "maxLength": "Skriv högst {limit} tecken.",
    "pattern": "Värdet har fel form.",
    "minimum": "Ange ett värde som är minst {limit}.",
    "maximum": "Ange ett värde som är högst {limit}.",
    "exclusiveMinimum": "Ange ett värde som är större än {limit}.",
    "exclusiveMaximum": "Ange ett värde som är mindre än {limit}.",
    "multipleOf": "Ange en multipel av {limit}.",
    "enum": "Välj ett av alternativen.",
    "const": "Välj ett av alternativen.",
    "oneOf": "Välj ett av alternativen.",
    "anyOf": "Välj ett av alternativen.",
    "minItems": "Välj eller lägg till minst {limit}.",
    "maxItems": "Högst {limit} får finnas.",
    "uniqueItems": "Samma värde får inte förekomma två gånger.",
    "additionalProperties": "Uppgifterna innehåller fält som inte hör till formuläret.",
    "not": "Det här fältet ska inte fyllas i.",
    None: "Det här fältet ska inte fyllas i.",  # a `false` subschema
}
FALLBACK_MESSAGE = "Ogiltigt värde."


def missing_required(error: ValidationError) -> list[str]:
    return [name for name in error.validator_value if name not in error.instance]


def missing_dependencies(error: ValidationError) -> list[str]:
    present = [name for name in error.validator_value if name in error.instance]
    return [dep for name in present for dep in error.validator_value[name] if dep not in error.instance]


# Keywords whose error belongs to a child field rather than to the object itself.
CHILD_TARGETS = {"required": missing_required, "dependentRequired": missing_dependencies}


def targets_of(error: ValidationError) -> list[tuple]:
    path = tuple(error.absolute_path)
    children = CHILD_TARGETS.get(error.validator)
    return [path + (name,) for name in children(error)] if children else [path]


def own_message(schema, validator) -> str | None:
    hints = schema.get(HINT_KEYWORD, {}) if isinstance(schema, dict) else {}
    errors = hints.get("errors", {}) if isinstance(hints, dict) else {}
    text = errors.get(validator) if isinstance(errors, dict) else None
    return text if isinstance(text, str) else None


def format_or_type_message(error: ValidationError) -> str | None:
    table = {"format": FORMAT_MESSAGES, "type": TYPE_MESSAGES}.get(error.validator, {})
    value = error.validator_value
    return reason_message(error) or (table.get(value) if isinstance(value, str) else None)


def reason_message(error: ValidationError) -> str | None:
    """The message for why a format checker refused the value, if it said."""
    cause = error.cause
    if error.validator != "format" or not isinstance(cause, FormatRejection):
        return None
    return FORMAT_REASON_MESSAGES.get((cause.format_name, cause.reason))


# A missing dependency reads, to the person filling in, like any other missing answer.
MESSAGE_KEYS = {"dependentRequired": "required"}


# Keywords whose validator writes the finished Swedish message itself (no template).
OWN_MESSAGES = frozenset({HINT_KEYWORD})


def message_for(error: ValidationError, spec) -> str:
    if error.validator in OWN_MESSAGES:
        return error.message
    kind = spec.kind if spec else None
    key = MESSAGE_KEYS.get(error.validator, error.validator)
    candidates = (
        own_message(error.schema, error.validator),
        own_message(spec.schema, key) if spec else None,
        KIND_MESSAGES.get((key, kind)),
        format_or_type_message(error),
        DEFAULT_MESSAGES.get(error.validator),
    )
    template = next(filter(None, candidates), FALLBACK_MESSAGE)
    return fill_in(template, error.validator_value)


def fill_in(template: str, limit) -> str:
    """Our placeholders replaced; any other brace (an administrator's "Ange {kod}") stays as
    written, so no message text can break the page."""
    return template.replace("{limit_rows}", rows_text(limit)).replace("{limit}", str(limit))


def rows_text(limit) -> str:
    return "en rad" if limit == 1 else f"{limit} rader"


NULL_MEMBER = {"type": "null"}


def beside_null(error: ValidationError) -> list[ValidationError]:
    """`anyOf: [X, {"type": "null"}]` failed: what X says is the message, not "pick one"."""
    members = error.validator_value if error.validator in ("anyOf", "oneOf") else None
    if not (isinstance(members, list) and NULL_MEMBER in members and error.context):
        return [error]
    null_index = members.index(NULL_MEMBER)
    inner = [sub for sub in error.context if sub.relative_schema_path and sub.relative_schema_path[0] != null_index]
    return inner or [error]


def within_closest_alternative(error: ValidationError) -> list[ValidationError]:
    """No object alternative of an `anyOf`/`oneOf` matched: the errors of the alternative that
    came closest (fewest errors, all about its fields), so each lands by the field to change."""
    members = error.validator_value if error.validator in ("anyOf", "oneOf") else None
    if not (isinstance(members, list) and error.context and isinstance(error.instance, dict)
            and not any(isinstance(m, dict) and "const" in m for m in members)):
        return [error]
    by_alternative: dict = {}
    for sub in error.context:
        by_alternative.setdefault(sub.relative_schema_path[0] if sub.relative_schema_path else None, []).append(sub)
    about_fields = [errors for errors in by_alternative.values()
                    if all(len(sub.absolute_path) > len(error.absolute_path) or sub.validator in CHILD_TARGETS
                           for sub in errors)]
    return min(about_fields, key=len) if about_fields else [error]


def readable_errors(error: ValidationError) -> list[ValidationError]:
    return [inner for outer in beside_null(error) for inner in within_closest_alternative(outer)]


def problems_from_errors(errors: Iterable[ValidationError], spec_at: Callable) -> list[Problem]:
    """One Problem per (field, message), in the order the validator found them."""
    seen: dict[Problem, None] = {}
    for error in (inner for outer in errors for inner in readable_errors(outer)):
        for target in targets_of(error):
            seen.setdefault(Problem(target, message_for(error, spec_at(target))))
    return list(seen)
