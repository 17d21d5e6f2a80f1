"""The validator's own rules: the fast path for labelled choices gives the same verdicts as plain
Draft 2020-12; patterns are judged with a time limit; multipleOf is judged in decimal."""
import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from casetypes.validator import CaseTypeValidator

CHOICES = {"oneOf": [{"const": "a", "title": "A"}, {"const": 1}, {"const": True}, {"const": None},
                     {"const": [1, 2]}, {"const": {"k": "v"}}, {"const": 1.5, "description": "x"}]}
DUPLICATES = {"oneOf": [{"const": "a"}, {"const": "a", "title": "igen"}]}
MIXED = {"oneOf": [{"const": "a"}, {"type": "integer"}]}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["a", "b", ""]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["k", "x"]), inner, max_size=2),
    max_leaves=6)


@pytest.mark.parametrize("schema", [CHOICES, DUPLICATES, MIXED])
@given(value=json_values | st.sampled_from(["a", 1, True, 1.0, [1, 2], {"k": "v"}, 1.5, 0, False]))
def test_same_verdict_as_the_standard_validator(schema, value):
    ours = [e.validator for e in CaseTypeValidator(schema).iter_errors(value)]
    standard = [e.validator for e in Draft202012Validator(schema).iter_errors(value)]
    assert ours == standard


def test_true_is_not_one():
    assert not CaseTypeValidator({"oneOf": [{"const": 1}]}).is_valid(True)
    assert CaseTypeValidator({"oneOf": [{"const": 1}]}).is_valid(1.0)


def test_a_backtracking_pattern_cannot_hold_the_worker():
    """Python's re needs seconds for 25 characters of this and centuries for 500; the validator
    refuses the answer within its time limit instead."""
    import time
    schema = {"type": "string", "maxLength": 500, "pattern": "^(a|aa)+$"}
    started = time.perf_counter()
    errors = [e.validator for e in CaseTypeValidator(schema).iter_errors("a" * 400 + "!")]
    assert errors == ["pattern"] and time.perf_counter() - started < 5
    assert CaseTypeValidator(schema).is_valid("aaaa")


@pytest.mark.parametrize("pattern, text, valid", [
    ("^[0-9]{3}$", "123", True), ("^[0-9]{3}$", "1234", False), ("abc", "xxabcxx", True),
    ("^\\p{L}+$", "Åsa", True), ("^\\p{L}+$", "Åsa1", False),
])
def test_patterns_search_as_json_schema_says(pattern, text, valid):
    assert CaseTypeValidator({"pattern": pattern}).is_valid(text) is valid
    assert CaseTypeValidator({"pattern": pattern}).is_valid(5), "a pattern only judges strings"


@pytest.mark.parametrize("divisor, typed", [(0.1, 0.3), (0.01, 1.15), (0.1, 0.7), (0.01, 0.29)])
def test_a_decimal_typed_as_a_person_would_is_a_multiple(divisor, typed):
    """Float division refuses these (0.3 / 0.1 is 2.9999999999999996)."""
    assert not Draft202012Validator({"multipleOf": divisor}).is_valid(typed)
    assert CaseTypeValidator({"multipleOf": divisor}).is_valid(typed)


@given(whole=st.integers(-10**6, 10**6), places=st.integers(0, 6), off=st.integers(1, 9))
def test_multiples_in_decimal_are_accepted_and_the_rest_refused(whole, places, off):
    divisor = float(f"1e-{places}")
    assert CaseTypeValidator({"multipleOf": divisor}).is_valid(float(f"{whole}e-{places}"))
    off_by_a_tenth = float(f"{whole * 10 + off}e-{places + 1}")
    errors = [e.validator for e in CaseTypeValidator({"multipleOf": divisor}).iter_errors(off_by_a_tenth)]
    assert errors == ["multipleOf"]


@pytest.mark.parametrize("value, multiple", [(1e308, False), (-1e308, False), (10**700, False), (5e-324, False),
                                             (6e-300, True), (3e300, True)])
def test_extreme_numbers_get_a_verdict_not_an_exception(value, multiple):
    """A quotient too long to work out is refused (no form holds such a number) instead of
    raising OverflowError as the standard rule does."""
    assert CaseTypeValidator({"multipleOf": 3e-300}).is_valid(value) == multiple
    assert CaseTypeValidator({"multipleOf": 1}).is_valid(value) == (value == int(value))
