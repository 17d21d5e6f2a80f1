"""The validator judges a copy of the bundle with plain `$ref`s merged in (casetypes/inlining.py):
merged where the two mean the same, left as written where they would not, and every document
judged exactly as the bundle as written judges it — for the shipped forms, the kitchen sink, the
published corpus and generated files full of odd references."""
from __future__ import annotations

import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.corpus_report import load_corpus
from casetypes import load_forms_dir
from casetypes.formats import FORMAT_CHECKER
from casetypes.inlining import GROWTH_LIMIT, inlined, size
from casetypes.loader import BASE_URI, resolver_for
from casetypes.problems import problems_from_errors
from casetypes.validator import CaseTypeValidator
from tests.conftest import KITCHEN_SINK_DIR, ROOT
from tests.schema_strategies import ANY_JSON, FILES, timed_load

SHIPPED = load_forms_dir(ROOT / "forms").case_types
SINK = load_forms_dir(KITCHEN_SINK_DIR).case_types
CORPUS = {outcome.slug: outcome.case_type for outcome in load_corpus() if outcome.case_type is not None}
CASE_TYPES = {**SHIPPED, **SINK, **CORPUS}
GENERATED_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))  # `make fuzz` runs more
WITH_REFS = sorted(slug for slug, case_type in CASE_TYPES.items() if '"$ref"' in case_type.text)


def bundle_of(schema: dict) -> dict:
    return {**schema, "$id": f"{BASE_URI}prov.json"}


def copy_of(schema: dict) -> dict:
    bundle = bundle_of(schema)
    return inlined(bundle, resolver_for(bundle)[1])


def refs_in(node) -> int:
    """How many `$ref`s the validator follows in the schema (those in $defs only through another)."""
    return json.dumps({key: value for key, value in node.items() if key != "$defs"}).count('"$ref": ')


def written_validator(case_type):
    """The validator the bundle as written would have (what the copy must agree with)."""
    registry, _ = resolver_for(case_type.schema)
    return CaseTypeValidator(case_type.schema, registry=registry, format_checker=FORMAT_CHECKER)


def judgement(validator, case_type, document) -> tuple:
    """Everything a judgement tells the portal: each error's place and keyword in order, and the
    Swedish problems drawn from them."""
    errors = list(validator.iter_errors(document))
    return ([(list(error.absolute_path), error.validator) for error in errors],
            problems_from_errors(errors, case_type.spec_at))


def assert_judged_alike(case_type, document) -> None:
    written = judgement(written_validator(case_type), case_type, document)
    assert judgement(case_type.validator, case_type, document) == written, case_type.slug


# --- what is merged, and what is left as written ------------------------------------------------

def test_the_siths_rows_judge_the_office_list_without_a_reference():
    siths = SHIPPED["bestallning-av-siths-kort"]
    assert '"$ref"' in siths.text  # the file refers to shared/kortutlamningskontor.json
    office = siths.validator.schema["properties"]["personer"]["items"]["properties"]["kortutlamningskontor"]
    assert "$ref" not in office
    # the target's keywords stand where the $ref stood; the form's own title and hints stay
    assert list(office) == ["$comment", "type", "oneOf", "title", "x-ui"]
    assert office["title"] == "Vilket kortutlämningskontor ska SITHS-kortet hämtas ut på?"
    assert [choice["const"] for choice in office["oneOf"]][:2] == ["uppsala", "stockholm"]
    # the bundle as written is untouched: the form, the PDF and the frozen text come from it
    assert siths.schema["properties"]["personer"]["items"]["properties"]["kortutlamningskontor"]["$ref"]


def test_a_chain_of_references_is_merged_from_the_far_end():
    copy = copy_of({"type": "object", "properties": {"a": {"$ref": "#/$defs/b", "title": "A"}},
                    "$defs": {"b": {"$ref": "#/$defs/c", "maxLength": 5}, "c": {"type": "string"}}})
    assert copy["properties"]["a"] == {"maxLength": 5, "type": "string", "title": "A"}


@pytest.mark.parametrize("referring, target, why", [
    ({"type": "string"}, {"type": "string", "maxLength": 3}, "a keyword on both sides"),
    ({"additionalProperties": False}, {"properties": {"x": {"type": "string"}}}, "properties read by additionalProperties"),
    ({"then": {"required": ["x"]}}, {"if": {"required": ["y"]}}, "if and then on different sides"),
    ({"minContains": 2}, {"contains": {"type": "string"}}, "contains and minContains apart"),
    ({"properties": {"y": {}}}, {"unevaluatedProperties": False}, "target sees its siblings"),
    ({"x-ui": {"errors": {"maxLength": "Högst tre."}}}, {"maxLength": 3}, "own messages would move"),
    ({}, {"x-ui": {"errors": {"minLength": "Minst två."}}, "minLength": 2}, "own messages would move"),
])
def test_a_reference_that_would_mean_something_else_merged_is_left_as_written(referring, target, why):
    copy = copy_of({"type": "object", "properties": {"a": {"$ref": "#/$defs/t", **referring}}, "$defs": {"t": target}})
    assert copy["properties"]["a"]["$ref"] == "#/$defs/t", why


def test_a_cycle_is_left_to_the_validator_and_ends():
    schema = {"type": "object", "properties": {"a": {"$ref": "#/$defs/node"}},
              "$defs": {"node": {"type": "object", "properties": {"child": {"$ref": "#/$defs/node"}}}}}
    copy = copy_of(schema)
    assert copy["properties"]["a"] == {"$ref": "#/$defs/node"}
    assert copy["$defs"]["node"]["properties"]["child"] == {"$ref": "#/$defs/node"}


def test_a_copy_that_would_grow_past_the_limit_is_not_made():
    # Each level refers to the next twice: written out, the copy doubles with every level.
    levels = 14
    defs = {f"d{level}": {"type": "object", "properties": {"p": {"$ref": f"#/$defs/d{level + 1}"},
                                                            "q": {"$ref": f"#/$defs/d{level + 1}"}}}
            for level in range(levels)}
    defs[f"d{levels}"] = {"type": "string"}
    bundle = bundle_of({"type": "object", "properties": {"root": {"$ref": "#/$defs/d0"}}, "$defs": defs})
    assert inlined(bundle, resolver_for(bundle)[1]) is bundle
    small = bundle_of({"type": "object", "properties": {"root": {"$ref": "#/$defs/d12"}}, "$defs": defs})
    copy = inlined(small, resolver_for(small)[1])
    assert copy is not small and size(copy) <= GROWTH_LIMIT * size(small) and not refs_in(copy)


def test_references_deeper_than_python_recurses_leave_the_bundle_as_written():
    deep: dict = {"type": "string"}
    for _ in range(1500):
        deep = {"type": "object", "properties": {"a": deep}}
    bundle = bundle_of({"type": "object", "properties": {"x": {"$ref": "#/$defs/deep"}}, "$defs": {"deep": deep}})
    assert inlined(bundle, resolver_for(bundle)[1]) is bundle


# --- judged alike -----------------------------------------------------------------------------------

def test_the_corpus_has_references_to_merge():
    assert len(WITH_REFS) >= 5, WITH_REFS
    merged = [slug for slug in WITH_REFS if refs_in(CASE_TYPES[slug].validator.schema) < refs_in(CASE_TYPES[slug].schema)]
    assert len(merged) >= 10, merged


@pytest.mark.parametrize("slug", WITH_REFS)
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_every_document_is_judged_as_the_written_bundle_judges_it(slug, data):
    case_type = CASE_TYPES[slug]
    names = sorted({*case_type.schema.get("properties", {}), "okänd"})
    document = data.draw(st.dictionaries(st.sampled_from(names), ANY_JSON, max_size=6)
                         | st.builds(lambda rows, value: {names[0]: [rows, value]}, st.dictionaries(st.text(max_size=3), ANY_JSON), ANY_JSON))
    assert_judged_alike(case_type, document)


@settings(max_examples=GENERATED_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(files=FILES, documents=st.lists(ANY_JSON | st.dictionaries(st.sampled_from(["a", "b", "namn", "Åsa"]), ANY_JSON),
                                       min_size=1, max_size=3))
def test_generated_files_with_odd_references_are_judged_alike(files, documents):
    report, _ = timed_load(files)
    for case_type in report.case_types.values():
        for document in documents:
            assert_judged_alike(case_type, document)
