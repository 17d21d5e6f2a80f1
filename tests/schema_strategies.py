"""Hypothesis strategies for schema-shaped JSON: JSON Schema keywords with right and wrong
values, random nesting, $ref cycles and recursion, boolean subschemas, huge numbers, odd names,
shared fragments; plus the loader run the fuzz properties share (tests and `make fuzz`)."""
from __future__ import annotations

import json
import shutil
import signal
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from casetypes import load_forms_dir
from casetypes.dialect import KINDS
from casetypes.steps import review_wanted, step_index_of, steps_of
from webforms import blank, judge
from webforms.caseform import defaults_of, to_formdata

NAMES = st.sampled_from(["a", "b", "namn", "firstName", "e-post adress", "Åsa", "csrf_token", "action",
                         "~/x", "*", "0", "$ref", "properties", "x" * 70]) | st.text(min_size=1, max_size=6)
REFS = st.sampled_from(["#", "#/$defs/a", "#/$defs/b", "#/definitions/a", "#/properties/a", "#/nope", "#a",
                        "shared/x.json", "shared/x.json#/$defs/a", "shared/saknas.json", "http://x.test/s",
                        "../x.json", "#/$defs/a/properties/a", "#/items", "#/$defs/%"])
TYPES = st.sampled_from(["string", "integer", "number", "boolean", "object", "array", "null", "strin"]) | st.lists(
    st.sampled_from(["string", "null", "integer", "object"]), max_size=3)
HUGE = st.sampled_from([0, -1, 1, 2, 3, 5, 100, 10**6, 10**30, -(10**30), 1.5, 1e308, True, None, "5"])
SCALARS = st.none() | st.booleans() | st.integers(-10, 10) | st.sampled_from(["", "a", "Ange {kod}", "{0}", "x" * 300])
FORMATS = st.sampled_from(["email", "personnummer", "organisationsnummer", "date", "date-time", "uri", "phone", 5])
PATTERNS = st.sampled_from(["^[0-9]+$", "(", "[a-", "\\p{L}", ".*", "^a{2,3}$", "(?P<x>a)", "\\"])
DRAFTS = st.sampled_from(["https://json-schema.org/draft/2020-12/schema", "http://json-schema.org/draft-07/schema#",
                          "http://json-schema.org/draft-04/schema#", "https://example.test/x", 5])
WIDGETS = st.sampled_from(sorted(KINDS) + ["slider", ""])
# Steps hints right and wrong: unknown names, a name twice, no title, no fields, not a list.
STEPS = st.lists(st.fixed_dictionaries({}, optional={"title": SCALARS, "fields": st.lists(NAMES, max_size=3) | SCALARS,
                                                     "felds": SCALARS}) | SCALARS, max_size=3) | SCALARS
HINTS = st.fixed_dictionaries({}, optional={
    "widget": WIDGETS, "rows": HUGE, "placeholder": SCALARS, "addLabel": SCALARS, "order": HUGE,
    "active": st.booleans(), "widgt": SCALARS, "steps": STEPS, "review": st.booleans() | SCALARS,
    "errors": st.dictionaries(st.sampled_from(["pattern", "required", "maxLength", "type", "not", "x y"]),
                              SCALARS, max_size=3),
})

LEAF_KEYWORDS = {
    "type": TYPES, "title": SCALARS, "description": SCALARS, "maxLength": HUGE, "minLength": HUGE,
    "minimum": HUGE, "maximum": HUGE, "exclusiveMinimum": HUGE | st.booleans(), "multipleOf": HUGE,
    "minItems": HUGE, "maxItems": HUGE, "uniqueItems": st.booleans(), "format": FORMATS, "pattern": PATTERNS,
    "enum": st.lists(SCALARS, max_size=4), "const": SCALARS, "default": SCALARS | st.lists(SCALARS, max_size=2),
    "$ref": REFS, "x-ui": HINTS | SCALARS, "required": st.lists(NAMES, max_size=3) | SCALARS,
    "readOnly": st.booleans(), "nullable": st.booleans(), "examples": st.lists(SCALARS, max_size=2),
    "$schema": DRAFTS, "$id": st.sampled_from(["https://x.test/s.json", "#x", 5]), "$anchor": st.sampled_from(["a", "1"]),
    "dependentRequired": st.dictionaries(NAMES, st.lists(NAMES, max_size=2) | SCALARS, max_size=2),
    "dependencies": st.dictionaries(NAMES, st.lists(NAMES, max_size=2), max_size=2),
    "additionalProperties": st.booleans(), "unevaluatedProperties": st.booleans(), "maxLenght": HUGE,
    "ui:widget": SCALARS, "$dynamicRef": REFS,
}


def some_of(keywords: dict, most: int):
    """A dict of a few of these keywords (drawing only the chosen ones keeps generation fast)."""
    chosen = st.lists(st.sampled_from(sorted(keywords)), max_size=most, unique=True)
    return chosen.flatmap(lambda keys: st.fixed_dictionaries({key: keywords[key] for key in keys}))


def leaf():
    return st.booleans() | some_of(LEAF_KEYWORDS, 5)


def extend(children):
    mapping = st.dictionaries(NAMES, children, max_size=3)
    defs = st.dictionaries(st.sampled_from(["a", "b", "c"]), children, max_size=2)
    listed = st.lists(children, max_size=2)
    structural = {
        "properties": mapping | SCALARS, "items": children | listed, "prefixItems": listed,
        "$defs": defs, "definitions": defs, "allOf": listed, "anyOf": listed, "oneOf": listed | st.just([]),
        "if": children, "then": children, "else": children, "not": children,
        "dependentSchemas": mapping, "additionalProperties": children, "patternProperties": mapping,
        "contains": children, "propertyNames": children,
    }
    return st.tuples(some_of(structural, 3), some_of(LEAF_KEYWORDS, 4)).map(lambda parts: {**parts[1], **parts[0]})


SUBSCHEMAS = st.recursive(leaf(), extend, max_leaves=15)

# A case type somewhat like a real one (an object with properties), so a fair share is accepted.
CASE_TYPES = st.tuples(
    st.fixed_dictionaries({"type": st.just("object"), "properties": st.dictionaries(NAMES, SUBSCHEMAS, min_size=1, max_size=4)}),
    some_of({"$schema": DRAFTS, "title": SCALARS, "$defs": st.dictionaries(st.sampled_from(["a", "b"]), SUBSCHEMAS, max_size=2),
             "definitions": st.dictionaries(st.sampled_from(["a"]), SUBSCHEMAS, max_size=1),
             "required": st.lists(NAMES, max_size=3), "additionalProperties": st.booleans(),
             "allOf": st.lists(SUBSCHEMAS, max_size=2), "if": SUBSCHEMAS, "then": SUBSCHEMAS,
             "dependencies": st.dictionaries(NAMES, st.lists(NAMES, max_size=2) | SUBSCHEMAS, max_size=2),
             "x-ui": HINTS}, 4),
).map(lambda parts: {**parts[1], **parts[0]})
# Fields as a published form would have them, so that a fair share of files is accepted and
# the accepted ones are exercised too.
GOOD_LEAVES = st.one_of(
    some_of({"maxLength": st.integers(1, 2000), "minLength": st.integers(0, 3), "title": st.text(max_size=5),
             "format": st.sampled_from(["email", "date", "personnummer", "uri", "phone"]),
             "pattern": st.sampled_from(["^[0-9]+$", "^.*$"]), "default": st.just("ab"),
             "x-ui": st.just({"widget": "textarea"})}, 3).map(lambda d: {"type": "string", **d}),
    some_of({"minimum": st.integers(-5, 0), "maximum": st.integers(0, 5), "default": st.just(1)}, 2).map(
        lambda d: {"type": "integer", **d}),
    st.just({"type": "number"}), st.just({"type": "boolean", "default": False}),
    st.just({"type": ["string", "null"]}),
    st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, unique=True).map(lambda values: {"enum": values}),
    st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, unique=True).map(
        lambda values: {"type": "array", "items": {"type": "string", "enum": values}, "uniqueItems": True}),
    st.just({"$ref": "#/definitions/a"}), st.just({"$ref": "#/$defs/b"}),
)
GOOD_NAMES = st.sampled_from(["a", "namn", "firstName", "e-post", "Åsa", "action", "x y"])


def good_objects(children):
    return st.dictionaries(GOOD_NAMES, children, min_size=1, max_size=3).flatmap(lambda properties: st.one_of(
        st.just({"type": "object", "properties": properties}),
        st.just({"type": "array", "items": {"type": "object", "properties": properties}}),
        st.just({"properties": properties, "required": list(properties)[:1]})))


GOOD_FIELDS = st.recursive(GOOD_LEAVES, good_objects, max_leaves=8)
GOOD_CASE_TYPES = st.tuples(
    st.dictionaries(GOOD_NAMES, GOOD_FIELDS, min_size=1, max_size=5),
    some_of({"$schema": DRAFTS, "title": st.just("Prov"), "required": st.lists(GOOD_NAMES, max_size=2),
             "dependencies": st.dictionaries(GOOD_NAMES, st.lists(GOOD_NAMES, max_size=1), max_size=1)}, 3),
).map(lambda parts: {"type": "object", "properties": parts[0], **parts[1],
                     "definitions": {"a": {"type": "string", "maxLength": 9}},
                     "$defs": {"b": {"type": "object", "properties": {"c": {"type": "integer"}}}}})



def steps_over(names: list):
    """A steps hint over these property names: mostly right (each name once, some left for the
    last step), sometimes with a name twice, an unknown one or a step without a title."""
    def hint(draw_order, cut, titled, extra):
        groups = [draw_order[:cut], draw_order[cut:cut + 1]]
        steps = [{"title": f"Steg {index}", "fields": group} if titled or index else {"fields": group}
                 for index, group in enumerate(groups) if group]
        if extra and steps:
            steps[-1]["fields"] = [*steps[-1]["fields"], extra]
        return steps
    return st.builds(hint, st.permutations(names), st.integers(0, len(names)), st.sampled_from([True, True, True, False]),
                     st.sampled_from([None, None, None, None, "saknas", names[0]]))


def with_steps(schema: dict):
    """The schema as it is, or with a steps hint (and sometimes review) over its own fields."""
    names = sorted(schema["properties"])
    hints = st.fixed_dictionaries({"steps": steps_over(names)}, optional={"review": st.booleans()})
    return st.one_of(st.just(schema), hints.map(lambda ui: {**schema, "x-ui": ui}))


GOOD_CASE_TYPES = GOOD_CASE_TYPES.flatmap(with_steps)

ANY_JSON = st.recursive(SCALARS | st.floats(allow_nan=False), lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(NAMES, inner, max_size=3), max_leaves=10)
FILES = st.fixed_dictionaries(
    {"prov.json": st.one_of(GOOD_CASE_TYPES, GOOD_CASE_TYPES, CASE_TYPES, SUBSCHEMAS | ANY_JSON)},
    optional={"shared/x.json": SUBSCHEMAS, "annan.json": CASE_TYPES},
)
DOCUMENTS = ANY_JSON

# A load that takes longer than this counts as a hang (real ones take milliseconds).
HANG_SECONDS = 5.0
# The loader's net (loader.guarded) turns an unexpected exception into this problem; the fuzz
# counts it as a crash, since the net is defence in depth, not a cause fixed.
GUARD_TEXT = "kunde inte läsas in ("
ENGLISH_MARKERS = ("is not", "is a required", "Expecting", "Additional properties", "Traceback", "Error:")


class Hang(Exception):
    pass


@contextmanager
def time_limit(seconds: float):
    """Interrupt a load that runs past the limit (a hang becomes a failure, not a stuck run)."""
    def interrupt(signum, frame):
        raise Hang(f"more than {seconds} s")
    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def write_folder(files: dict) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="fuzz-forms-"))
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
    return folder


def timed_load(files: dict):
    """(report, seconds) for a folder of these files; raises Hang past the limit."""
    folder = write_folder(files)
    try:
        started = time.perf_counter()
        with time_limit(HANG_SECONDS):
            report = load_forms_dir(folder)
        return report, time.perf_counter() - started
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def check_report(files: dict, report) -> None:
    """What every answer must be: each case-type file loaded or refused with Swedish reasons."""
    case_type_files = {name for name in files if "/" not in name}
    refused = {problem.file for problem in report.problems}
    loaded = {f"{slug}.json" for slug in report.case_types}
    assert case_type_files <= loaded | refused, (case_type_files, loaded, refused)
    for problem in [*report.problems, *report.notes]:
        assert problem.message and isinstance(problem.pointer, str), problem
        assert problem.pointer == "" or problem.pointer.startswith("/"), problem
        assert not any(marker in problem.message for marker in ENGLISH_MARKERS), problem
        assert GUARD_TEXT not in problem.message, f"an exception reached the loader's net: {problem}"
        assert len(problem.message) < 600, problem


def leaves(value) -> list:
    if isinstance(value, dict):
        return [leaf for child in value.values() for leaf in leaves(child)]
    if isinstance(value, list):
        return [leaf for child in value for leaf in leaves(child)]
    return [value]


def posted_from(case_type, document) -> MultiDict:
    """Form data under the form's own names (and one it does not have), filled with the
    document's values as text: what a person, or a script, might post."""
    names = list(to_formdata(case_type.fields, defaults_of(case_type.fields)).keys()) + ["okänd", "x-99999-y"]
    texts = [str(leaf) for leaf in leaves(document)] or [""]
    return MultiDict([(name, texts[index % len(texts)]) for index, name in enumerate(names)])


def exercise(report, document) -> None:
    """An accepted case type judges any document, builds its form and judges any posted data
    without raising: what the check accepts can be served."""
    for case_type in report.case_types.values():
        problems = case_type.validate(document)
        case_type.validate({})
        blank(case_type)
        judge(case_type, posted_from(case_type, document))
        check_steps(case_type, problems)


def check_steps(case_type, problems) -> None:
    """An accepted steps hint divides every field into exactly one non-empty step, and every
    problem lands on one of them."""
    steps = steps_of(case_type.schema, case_type.fields)
    review_wanted(case_type.schema, case_type.fields)
    if steps:
        shown = [name for step in steps for name in step.names]
        assert sorted(shown) == sorted(spec.name for spec in case_type.fields) and all(s.names and s.title for s in steps)
        assert all(0 <= step_index_of(steps, problem.path) < len(steps) for problem in problems)
