"""The fast path for labelled choices gives the same verdicts as plain Draft 2020-12."""
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
