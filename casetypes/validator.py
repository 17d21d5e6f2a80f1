"""The validator class case types are compiled with: Draft 2020-12 exactly, with a faster path
for the dialect's idiom of labelled choices, `oneOf: [{const, title}, …]`, and the date bounds of "x-ui" (casetypes.datebounds).

The standard `oneOf` builds a child validator per alternative; for alternatives that are only a
`const` (plus annotations), "exactly one matches" is the same as counting equal constants, so
the result and the error are the same, at a fraction of the cost.
"""
from __future__ import annotations

from jsonschema import Draft202012Validator, ValidationError, validators

from .datebounds import date_bounds
from .dialect import HINT_KEYWORD

ANNOTATIONS = frozenset({"const", "title", "description", "$comment"})
STANDARD_ONE_OF = Draft202012Validator.VALIDATORS["oneOf"]


def equal(one, other) -> bool:
    """JSON equality as JSON Schema means it: true is not 1, 1 is 1.0, containers compare deeply."""
    if isinstance(one, bool) or isinstance(other, bool):
        return isinstance(one, bool) and isinstance(other, bool) and one == other
    if isinstance(one, dict) and isinstance(other, dict):
        return one.keys() == other.keys() and all(equal(one[key], other[key]) for key in one)
    if isinstance(one, list) and isinstance(other, list):
        return len(one) == len(other) and all(map(equal, one, other))
    if isinstance(one, (dict, list)) or isinstance(other, (dict, list)):
        return False
    return one == other


def is_const_choice(subschema) -> bool:
    return isinstance(subschema, dict) and "const" in subschema and subschema.keys() <= ANNOTATIONS


def one_of(validator, alternatives, instance, schema):
    if not all(map(is_const_choice, alternatives)):
        yield from STANDARD_ONE_OF(validator, alternatives, instance, schema)
        return
    matches = sum(1 for alternative in alternatives if equal(instance, alternative["const"]))
    if matches == 0:
        yield ValidationError(f"{instance!r} is not valid under any of the given schemas")
    elif matches > 1:
        yield ValidationError(f"{instance!r} is valid under each of {matches} alternatives")


# "x-ui" is the dialect's own keyword: of its hints only the date bounds judge anything.
CaseTypeValidator = validators.extend(Draft202012Validator, {"oneOf": one_of, HINT_KEYWORD: date_bounds})
