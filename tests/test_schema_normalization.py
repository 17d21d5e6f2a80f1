"""Plain JSON Schema in: the loader's answer to published, older-draft, odd and hostile files.
Every file gets a case type or Swedish problems (file, pointer of the node, text); what the
portal assumed is a note, and `forms check --strict` turns notes into errors."""
import copy
import json

import pytest

from casetypes import case_type_from_frozen, load_forms_dir
from tests.conftest import KITCHEN_SINK_DIR, ROOT
from tests.test_case_type_loading import write_forms

SCHEMA = "https://json-schema.org/draft/2020-12/schema"
BASE = {
    "$schema": SCHEMA, "title": "Prov", "type": "object",
    "properties": {"namn": {"type": "string", "title": "Namn", "maxLength": 50}},
    "required": ["namn"], "additionalProperties": False,
}
ENGLISH = ("is not", "is a required", "Expecting", "Additional properties", "should", "valid under",
           "does not match", "Traceback", "Error")


def with_properties(**properties):
    schema = copy.deepcopy(BASE)
    schema["properties"].update(properties)
    return schema


def load(tmp_path, schema, name="prov.json"):
    return load_forms_dir(write_forms(tmp_path, {name: schema}))


def refused(tmp_path, schema):
    report = load(tmp_path, schema)
    assert report.case_types == {} and report.problems, "the file must be refused with a reason"
    for problem in report.problems:
        assert not any(word in problem.message for word in ENGLISH), problem
        assert len(problem.message) < 400, problem
    return report.problems


def notes_of(report) -> dict:
    return {note.pointer: note.message for note in report.notes}


# --- never a crash, never a hang: each of these crashed or hung the loader before -----------

ROW = {"type": "object", "properties": {"a": {"type": "string", "maxLength": 5}}, "additionalProperties": False}


@pytest.mark.parametrize("schema, pointer, words", [
    ({**BASE, "$defs": {"a": {"$ref": "#/$defs/a"}}}, "/$defs/a", "cirkel"),
    ({**BASE, "$defs": {"a": {"allOf": [{"$ref": "#/$defs/b"}]}, "b": {"not": {"$ref": "#/$defs/a"}}}},
     "/$defs/b/not", "cirkel"),
    (with_properties(x={"$ref": "#/$defs/a"}) | {"$defs": {"a": {"$ref": "#/$defs/a"}}}, "/$defs/a", "cirkel"),
    (with_properties(t={"$ref": "#/$defs/node"}) | {"$defs": {"node": {
        "type": "object", "additionalProperties": False,
        "properties": {"barn": {"type": "array", "maxItems": 5, "items": {"$ref": "#/$defs/node"}}}}}},
     "/properties/t/properties/barn", "tabell"),
    (with_properties(a=True), "/properties/a", "type"),
    (with_properties(lista={"type": "array", "maxItems": 3, "items": True}), "/properties/lista", "type"),
    (with_properties(lista={"type": "array", "maxItems": 3, "x-ui": {"widget": "checkboxes"}}), "/properties/lista", "items"),
    (with_properties(lista={"type": "array", "maxItems": 3, "x-ui": {"widget": "table"}}), "/properties/lista", "items"),
    (with_properties(rader={"type": "array", "minItems": 5, "maxItems": 2, "items": ROW}),
     "/properties/rader/minItems", "större än maxItems"),
    (with_properties(val={"type": "array", "maxItems": 2, "default": "a", "items": {"enum": ["a", "b"]}}),
     "/properties/val/default", "fel typ"),
    (with_properties(x={"type": "string", "maxLength": 5, "not": {"$ref": "#/$defs/saknas"}}),
     "/properties/x/not/$ref", "kan inte lösas upp"),
    (with_properties(x={"type": "string", "maxLength": 5, "pattern": "(a"}), "/properties/x/pattern", "reguljärt"),
])
def test_files_that_crashed_or_hung_are_refused_at_the_node(tmp_path, schema, pointer, words):
    problems = refused(tmp_path, schema)
    assert any(p.pointer == pointer and words in p.message for p in problems), problems


def test_recursive_trees_say_what_to_use_instead(tmp_path):
    schema = with_properties(t={"$ref": "#/$defs/node"}) | {"$defs": {"node": {
        "type": "object", "properties": {"namn": {"type": "string"}, "barn": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}}}
    [problem] = refused(tmp_path, schema)
    assert "Rekursiva träd stöds inte" in problem.message and "tabell" in problem.message


@pytest.mark.parametrize("text, words", [
    ("[" * 5000 + "]" * 5000, "nästlad för djupt"),
    ('{"a": ' * 150 + "1" + "}" * 150, "nästlad för djupt"),
    ('{"minimum": ' + "9" * 5000 + "}", "för stort"),
    ('{"minimum": NaN}', "NaN"),
    ('{"title": "a", "title": "b"}', "två gånger"),
    ('{"title": "a",\n "type": }', "rad 2, kolumn 10: ett värde saknas"),
    ("\xff\xfe", "UTF-8"),
    ("[1, 2]", "JSON-objekt"),
    ('"text"', "JSON-objekt"),
])
def test_unreadable_files_get_one_swedish_line(tmp_path, text, words):
    path = tmp_path / "prov.json"
    path.write_bytes(text.encode("latin-1") if text == "\xff\xfe" else text.encode("utf-8"))
    report = load_forms_dir(tmp_path)
    [problem] = report.problems
    assert report.case_types == {}
    assert words in problem.message and problem.file == "prov.json"


def test_an_unexpected_failure_is_a_problem_of_that_file_only(tmp_path, monkeypatch):
    """The net under the known checks: whatever a file makes go wrong stays with that file."""
    import casetypes.loader as loader
    real_build = loader.build_form_spec

    def build(schema, resolver):
        if schema["title"] == "Trasig":
            raise ZeroDivisionError("simulated")
        return real_build(schema, resolver)

    monkeypatch.setattr(loader, "build_form_spec", build)
    report = load_forms_dir(write_forms(tmp_path, {"bra.json": BASE, "trasig.json": {**BASE, "title": "Trasig"}}))
    assert list(report.case_types) == ["bra"]
    [problem] = report.problems
    assert problem.file == "trasig.json" and "kunde inte läsas in" in problem.message


def test_a_message_text_with_braces_is_shown_as_written(tmp_path):
    schema = with_properties(kod={"type": "string", "maxLength": 9, "pattern": "^[0-9]+$",
                                  "x-ui": {"errors": {"pattern": "Ange {kod} med siffror, {0} {}"}}})
    case_type = load(tmp_path, schema).case_types["prov"]
    [problem] = case_type.validate({"namn": "x", "kod": "abc"})
    assert problem.message == "Ange {kod} med siffror, {0} {}"
    [too_long] = case_type.validate({"namn": "x" * 51})
    assert too_long.message == "Skriv högst 50 tecken."


# --- plain JSON Schema in, with notes for what the portal assumed ------------------------------

DRAFT_07 = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Kund",
    "type": "object",
    "definitions": {"adress": {"type": "object", "properties": {"gata": {"type": "string", "title": "Gata"}}}},
    "properties": {
        "firstName": {"type": "string", "title": "Förnamn"},
        "hem": {"$ref": "#/definitions/adress"},
        "fler": {"type": "array", "items": {"$ref": "#/definitions/adress"}},
        "kort": {"type": "number"},
        "faktura": {"type": "string"},
        "pris": {"type": "number", "minimum": 0, "exclusiveMinimum": True},
    },
    "dependencies": {"kort": ["faktura"], "faktura": {"properties": {"kort": {"minimum": 1}}}},
    "required": ["firstName"],
}


def test_a_draft_07_file_works_with_notes(tmp_path):
    report = load(tmp_path, DRAFT_07)
    assert report.ok, report.problems
    case_type = report.case_types["prov"]
    notes = notes_of(report)
    assert "draft-07" in notes["/$schema"]
    assert "$defs" in notes["/definitions"] and "dependentRequired" in notes["/dependencies"]
    assert "500" in notes["/properties/firstName"]
    assert "/definitions/adress/properties/gata" in notes, "notes point into the file as written"
    schema = case_type.schema
    assert schema["dependentRequired"] == {"kort": ["faktura"]} and "faktura" in schema["dependentSchemas"]
    assert schema["properties"]["pris"] == {"type": "number", "exclusiveMinimum": 0}
    assert [spec.kind for spec in case_type.fields] == ["text", "fieldset", "table", "number", "text", "number"]
    assert case_type.validate({"firstName": "Ada", "hem": {"gata": "Storgatan 1"}, "fler": [{"gata": "x"}]}) == []
    assert [p.path for p in case_type.validate({"firstName": "Ada", "kort": 5})] == [("faktura",)]
    assert [p.path for p in case_type.validate({"firstName": "Ada", "faktura": "x", "kort": 0.5})] == [("kort",)]
    assert [p.path for p in case_type.validate({"firstName": "Ada", "hem": {"okänd": "x"}})] == [("hem",)]
    assert [p.path for p in case_type.validate({"firstName": "x" * 501})] == [("firstName",)]


def test_the_frozen_bundle_records_what_was_applied(tmp_path):
    case_type = load(tmp_path, DRAFT_07).case_types["prov"]
    frozen = json.loads(case_type.text)
    assert frozen["$schema"] == SCHEMA and "definitions" not in frozen and "dependencies" not in frozen
    assert frozen["properties"]["firstName"]["maxLength"] == 500
    assert frozen["unevaluatedProperties"] is False, "closed so that the dependentSchemas fields still count"
    assert frozen["$defs"]["adress"]["additionalProperties"] is False
    again = case_type_from_frozen("prov", case_type.text)
    assert again.sha256 == case_type.sha256 and again.validate({"firstName": "Ada"}) == []


def test_a_file_without_schema_title_or_closing_gets_defaults(tmp_path):
    report = load(tmp_path, {"type": "object", "properties": {"e": {"type": "string", "format": "email"}}},
                  name="min-typ.json")
    assert report.ok, report.problems
    notes = notes_of(report)
    assert ("", "$schema saknas; filen läses som JSON Schema 2020-12.") in [(n.pointer, n.message) for n in report.notes]
    case_type = report.case_types["min-typ"]
    assert case_type.title == "Min typ"
    assert case_type.schema["properties"]["e"]["maxLength"] == 254
    assert notes["/properties/e"] == "maxLength saknas; 254 antogs."


@pytest.mark.parametrize("prop, key, value, words", [
    ({"type": "string", "x-ui": {"widget": "textarea"}}, "maxLength", 5000, "5000"),
    ({"type": "string", "minLength": 800}, "maxLength", 800, "800"),
    ({"type": "array", "items": {"enum": ["a", "b", "c"]}}, "maxItems", 3, "3"),
    ({"type": "array", "items": {"oneOf": [{"const": 1, "title": "Ett"}, {"const": 2, "title": "Två"}]}}, "maxItems", 2, "2"),
    ({"type": "array", "items": {"type": "object", "properties": {"a": {"type": "integer"}}}}, "maxItems", 100, "100"),
])
def test_bounds_the_portal_assumes(tmp_path, prop, key, value, words):
    report = load(tmp_path, with_properties(falt=prop))
    assert report.ok, report.problems
    assert report.case_types["prov"].schema["properties"]["falt"][key] == value
    assert words in notes_of(report)["/properties/falt"]


def test_any_property_name_is_accepted(tmp_path):
    names = ["firstName", "e-post adress", "Åsa Öberg", "csrf_token", "action", "_intern", "1a", "名前"]
    report = load(tmp_path, with_properties(**{name: {"type": "string", "maxLength": 9} for name in names}))
    assert report.ok, report.problems
    case_type = report.case_types["prov"]
    assert [spec.name for spec in case_type.fields] == ["namn", *names]
    assert case_type.validate({"namn": "x", "Åsa Öberg": "ja", "e-post adress": "a"}) == []


def test_standard_keywords_are_accepted(tmp_path):
    schema = with_properties(
        kod={"type": ["string", "null"], "maxLength": 5, "readOnly": True, "deprecated": False,
             "examples": ["ABC"], "$comment": "internt", "contentEncoding": "7bit", "writeOnly": False},
        nummer={"type": "integer", "const": 3},
        blandat={"enum": ["a", "b"], "type": "string"},
        tid={"type": "string", "format": "date-time"},
    ) | {"$id": "https://example.com/prov.json", "$anchor": "rot"}
    report = load(tmp_path, schema)
    assert report.ok, report.problems
    assert report.notes == [], report.notes


@pytest.mark.parametrize("prop, pointer, words", [
    ({"type": "string", "format": "telefon"}, "/properties/falt/format", "vanlig text"),
    ({"type": "string", "maxLength": 5, "ui:widget": "x"}, "/properties/falt/ui:widget", "ignoreras"),
    ({"type": "string", "maxLength": 5, "nullable": True}, "/properties/falt/nullable", "null"),
    ({"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": True},
     "/properties/falt/additionalProperties", "avvisas"),
    ({"type": "array", "prefixItems": [{"type": "string", "maxLength": 5}]}, "/properties/falt/prefixItems",
     "items: false antogs"),
    ({"type": "array", "items": [{"type": "string", "maxLength": 5}], "additionalItems": {"type": "number"}},
     "/properties/falt/items", "prefixItems"),
])
def test_assumptions_are_notes_at_the_node(tmp_path, prop, pointer, words):
    report = load(tmp_path, with_properties(falt=prop))
    assert report.ok, report.problems
    assert words in notes_of(report)[pointer]


@pytest.mark.parametrize("prop, pointer, words", [
    ({"type": "object", "additionalProperties": {"type": "string"}}, "/properties/falt/additionalProperties", "tabell"),
    ({"type": "object", "patternProperties": {"^x": {"type": "string"}}}, "/properties/falt/patternProperties", "tabell"),
    ({"type": "string", "maxLength": 5, "$dynamicRef": "#x"}, "/properties/falt/$dynamicRef", "$ref"),
    ({"type": "string", "maxLength": 5, "format": "email", "minLength": 9, "maxLenght": 3},
     "/properties/falt/maxLenght", "menade du 'maxLength'"),
])
def test_what_cannot_be_a_form_is_refused_with_what_to_use(tmp_path, prop, pointer, words):
    problems = refused(tmp_path, with_properties(falt=prop))
    assert any(p.pointer == pointer and words in p.message for p in problems), problems


def test_conditional_fields_are_not_shut_out_by_the_closing(tmp_path):
    schema = {"$schema": SCHEMA, "title": "Villkor", "type": "object",
              "properties": {"har_bil": {"type": "boolean"}},
              "dependentSchemas": {"har_bil": {"properties": {"regnr": {"type": "string"}}}}}
    report = load(tmp_path, schema)
    assert report.ok, report.problems
    case_type = report.case_types["prov"]
    assert case_type.schema["unevaluatedProperties"] is False and "additionalProperties" not in case_type.schema
    assert case_type.schema["dependentSchemas"]["har_bil"]["properties"]["regnr"]["maxLength"] == 500
    assert case_type.validate({"har_bil": True, "regnr": "ABC123"}) == []
    assert case_type.validate({"har_bil": True, "annat": 1}) != []


# --- messages an administrator understands -------------------------------------------------

def test_all_problems_of_a_file_are_reported_each_once(tmp_path):
    schema = with_properties(
        a={"type": "string", "maxLength": 5, "x-ui": {"widgt": "text"}},
        b={"type": "string", "maxLength": 5, "x-ui": {"widget": "slider"}},
        c={"type": "string", "maxLength": 5, "minLength": 9},
    )
    problems = refused(tmp_path, schema)
    pointers = [p.pointer for p in problems]
    assert "/properties/a/x-ui/widgt" in pointers and "/properties/b/x-ui/widget" in pointers
    assert "/properties/c/minLength" in pointers
    assert len(set(map(str, problems))) == len(problems)


def test_spec_problems_of_several_fields_come_together(tmp_path):
    schema = with_properties(a=True, b={"type": "array", "maxItems": 2, "x-ui": {"widget": "table"}})
    pointers = {p.pointer for p in refused(tmp_path, schema)}
    assert {"/properties/a", "/properties/b"} <= pointers


def test_a_big_bad_value_is_not_dumped(tmp_path):
    schema = with_properties(falt={"type": "string", "maxLength": 5, "x-ui": {"widget": "x" * 5000}})
    [problem] = refused(tmp_path, schema)
    assert problem.pointer == "/properties/falt/x-ui/widget" and len(problem.message) < 400


def test_old_strict_files_need_no_notes():
    for folder in (ROOT / "forms", KITCHEN_SINK_DIR):
        report = load_forms_dir(folder)
        assert report.ok and report.notes == [], (report.problems, report.notes)


def test_cli_prints_notes_and_strict_makes_them_errors(app, tmp_path):
    write_forms(tmp_path, {"prov.json": {"type": "object", "title": "Prov",
                                         "properties": {"namn": {"type": "string"}}}})
    runner = app.test_cli_runner()
    relaxed = runner.invoke(args=["forms", "check", str(tmp_path)])
    assert relaxed.exit_code == 0, relaxed.output
    assert "NOTERA prov.json: /: $schema saknas; filen läses som JSON Schema 2020-12." in relaxed.output
    assert "NOTERA prov.json: /properties/namn: maxLength saknas; 500 antogs." in relaxed.output
    assert "OK  prov" in relaxed.output
    strict = runner.invoke(args=["forms", "check", "--strict", str(tmp_path)])
    assert strict.exit_code == 1
    assert "3 problem och noteringar" in strict.output


def test_cli_prints_errors_in_swedish_at_the_node(app, tmp_path):
    write_forms(tmp_path, {"prov.json": with_properties(namn={"type": "strin", "maxLength": 5})})
    result = app.test_cli_runner().invoke(args=["forms", "check", str(tmp_path)])
    assert result.exit_code == 1
    assert "FEL prov.json: /properties/namn/type: Okänt värde 'strin'" in result.output


def test_allof_parts_are_drawn_as_one_field(tmp_path):
    """XSD-style restrictions (Altinn): a field is a base type narrowed by allOf parts."""
    schema = {"type": "object", "title": "Delar",
              "$defs": {"kod": {"type": "string", "maxLength": 50},
                        "kort_kod": {"allOf": [{"$ref": "#/$defs/kod"}, {"maxLength": 10, "minLength": 2}]}},
              "properties": {"k": {"$ref": "#/$defs/kort_kod", "title": "Kod"}},
              "allOf": [{"properties": {"extra": {"type": "integer", "title": "Extra"}}}]}
    report = load(tmp_path, schema)
    assert report.ok, report.problems
    case_type = report.case_types["prov"]
    assert [(spec.name, spec.kind) for spec in case_type.fields] == [("k", "text"), ("extra", "integer")]
    assert case_type.spec_at(("k",)).schema["maxLength"] == 10, "the tightest bound is the one shown"
    assert case_type.validate({"k": "abc", "extra": 1}) == []
    assert [p.path for p in case_type.validate({"k": "a" * 11})] == [("k",)]
    assert [p.path for p in case_type.validate({"k": "ab", "annat": 1})] == [()]


def test_pattern_properties_beside_fields_are_closed_with_a_note(tmp_path):
    schema = with_properties(x={"type": "string", "maxLength": 5}) | {"patternProperties": {"^y": {"type": "string"}}}
    report = load(tmp_path, schema)
    assert report.ok, report.problems
    assert "avvisas" in notes_of(report)["/patternProperties"]
    assert report.case_types["prov"].validate({"namn": "a", "y1": "b"}) != []


def test_dialect_and_field_problems_of_one_file_come_together(tmp_path):
    schema = with_properties(
        a={"type": "string", "maxLength": 5, "x-ui": {"widget": "slider"}},
        t={"$ref": "#/$defs/node"},
        val={"type": "array", "maxItems": 2, "default": "x", "items": {"enum": ["x", "y"]}},
    ) | {"$defs": {"node": {"type": "object", "properties": {"barn": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}}}
    problems = refused(tmp_path, schema)
    pointers = [p.pointer for p in problems]
    assert "/properties/a/x-ui/widget" in pointers, "the dialect's problem"
    assert "/properties/a" not in pointers, "the same cause is not told twice"
    assert any(p.startswith("/properties/t/") for p in pointers), "the field tree's problem"


def test_a_case_type_using_a_broken_fragment_says_so(tmp_path):
    folder = write_forms(tmp_path, {
        "prov.json": with_properties(val={"$ref": "shared/val.json", "title": "Val"}),
        "shared/val.json": {"type": "string", "enum": ["a"], "x-ui": {"widget": "slider"}},
    })
    report = load_forms_dir(folder)
    assert report.case_types == {}
    by_file = {(p.file, p.pointer): p.message for p in report.problems}
    assert "'slider'" in by_file[("shared/val.json", "/x-ui/widget")]
    assert "har fel" in by_file[("prov.json", "")]


def test_numbers_beyond_a_float_and_counts_as_floats(tmp_path):
    (tmp_path / "prov.json").write_text('{"type": "object", "properties": {"t": {"type": "number", "maximum": 1e400}}}')
    [problem] = load_forms_dir(tmp_path).problems
    assert "för stort" in problem.message
    report = load(tmp_path, with_properties(t={"type": "string", "maxLength": 10.0}))
    assert report.ok, report.problems
    assert report.case_types["prov"].schema["properties"]["t"]["maxLength"] == 10
    assert isinstance(report.case_types["prov"].schema["properties"]["t"]["maxLength"], int)


def test_unicode_property_patterns_are_read_as_published(tmp_path):
    report = load(tmp_path, with_properties(ort={"type": "string", "maxLength": 20, "pattern": "^\\p{L}+$"}))
    assert report.ok, report.problems
    case_type = report.case_types["prov"]
    assert case_type.validate({"namn": "a", "ort": "Örebro"}) == []
    assert [p.path for p in case_type.validate({"namn": "a", "ort": "Örebro 1"})] == [("ort",)]


def test_a_small_file_that_unfolds_into_a_huge_form_is_refused_quickly(tmp_path):
    """Ten $defs, each using the next four times: 4^10 fields from a 1 kB file."""
    import time
    defs = {f"d{i}": {"type": "object", "properties": {k: {"$ref": f"#/$defs/d{i + 1}"} for k in "abcd"}}
            for i in range(9)}
    defs["d9"] = {"type": "object", "properties": {k: {"type": "string", "maxLength": 5} for k in "abcd"}}
    started = time.perf_counter()
    problems = refused(tmp_path, with_properties(x={"$ref": "#/$defs/d0"}) | {"$defs": defs})
    assert time.perf_counter() - started < 10
    assert any("högst 2000 fält" in p.message for p in problems)


def test_a_branch_field_the_form_cannot_draw_is_named_in_a_note(tmp_path):
    schema = with_properties(val={"type": "boolean"}) | {
        "if": {"properties": {"val": {"const": True}}, "required": ["val"]},
        "then": {"properties": {"x": {"minimum": 3}}}}  # no type, no choices: nothing to draw
    report = load(tmp_path, schema)
    assert report.ok, report.problems
    assert notes_of(report)[""] == "Fältet 'x' kan inte visas i formuläret och lämnas utanför."


@pytest.mark.parametrize("root", [{"type": "string", "title": "Ett värde"}, {"type": "array", "items": {"type": "string"}}])
def test_a_case_type_that_is_not_an_object_says_what_it_must_be(tmp_path, root):
    [problem] = refused(tmp_path, root)
    assert problem.pointer == "/type" and "ska vara ett objekt med fält" in problem.message
