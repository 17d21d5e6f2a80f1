"""The validator class case types are compiled with: Draft 2020-12 exactly, with a faster path
for the dialect's idiom of labelled choices, `oneOf: [{const, title}, …]`, and the date bounds of "x-ui" (casetypes.datebounds).

The standard `oneOf` builds a child validator per alternative; for alternatives that are only a
`const` (plus annotations), "exactly one matches" is the same as counting equal constants, so
the result and the error are the same, at a fraction of the cost.

`pattern` is judged by the `regex` module with a time limit: Python's `re` backtracks without
bound, so a schema's `^(a|aa)+$` and a hostile answer could hold a worker for ever; `regex`
also reads ECMA-262's `\\p{L}`, which published schemas use.

`multipleOf` is judged in decimal, as a person writes numbers: the standard float division says
0.00003 is no multiple of 0.00001 (the quotient is 2.9999999999999996), which refuses what was
typed correctly.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation, localcontext

import regex
from jsonschema import Draft202012Validator, ValidationError, validators

from .datebounds import date_bounds
from .dialect import HINT_KEYWORD

ANNOTATIONS = frozenset({"const", "title", "description", "$comment"})
PATTERN_SECONDS = 0.25  # a real pattern judges a bounded answer in microseconds
STANDARD_ONE_OF = Draft202012Validator.VALIDATORS["oneOf"]
# Digits enough for any float over any float (17 significant digits, exponents within ±324)
# and for the longest number the form reads (webforms.kinds.NUMBER_TEXT_LIMIT).
DECIMAL_DIGITS = 800


def equal(one, other) -> bool:
    """JSON equality as JSON Schema means it: true is not 1, 1 is 1.0, containers compare deeply."""
    if isinstance(one, str) or isinstance(other, str):  # the common case: labelled text choices
        return one == other
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


def matches(pattern: str, text: str) -> bool:
    """Whether the pattern is found in the text; a search that runs out of time counts as no
    match, so the answer is refused with the pattern's message instead of being waited on."""
    try:
        return regex.search(pattern, text, timeout=PATTERN_SECONDS) is not None
    except TimeoutError:
        return False


def pattern(validator, expected, instance, schema):
    if validator.is_type(instance, "string") and not matches(expected, instance):
        yield ValidationError(f"{instance!r} does not match {expected!r}")


def is_decimal_multiple(instance, divisor) -> bool | None:
    """Whether the number is a whole multiple of the divisor, reading both as their shortest
    decimal spelling; None when the quotient is too long to work out."""
    with localcontext() as context:
        context.prec = DECIMAL_DIGITS
        try:
            return Decimal(repr(instance)) % Decimal(repr(divisor)) == 0
        except (InvalidOperation, ValueError):
            return None


def multiple_of(validator, divisor, instance, schema):
    if not validator.is_type(instance, "number") or not validator.is_type(divisor, "number"):
        return
    if not is_decimal_multiple(instance, divisor):  # a quotient too long to work out is refused too
        yield ValidationError(f"{instance!r} is not a multiple of {divisor}")


# "x-ui" is the dialect's own keyword: of its hints only the date bounds judge anything.
CaseTypeValidator = validators.extend(Draft202012Validator,
                                      {"oneOf": one_of, "pattern": pattern, "multipleOf": multiple_of,
                                       HINT_KEYWORD: date_bounds})
