"""Loading case-type files: the dialect check, bundling of shared fragments, freezing, and the
`flask forms check|list` commands. Bad files are refused with file name, JSON pointer, message."""
import copy
import json

import pytest

from casetypes import case_type_from_frozen, load_forms_dir
from casetypes.dialect import KINDS
from tests.conftest import KITCHEN_SINK_DIR, ROOT
from webforms import FIELD_KINDS

BASE = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Prov",
    "type": "object",
    "properties": {"namn": {"type": "string", "title": "Namn", "maxLength": 50}},
    "required": ["namn"],
    "additionalProperties": False,
}


def write_forms(folder, files: dict):
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return folder


def with_changes(**properties):
    schema = copy.deepcopy(BASE)
    schema["properties"].update(properties)
    return schema


def single_problem(tmp_path, schema, name="prov.json", extra=None):
    report = load_forms_dir(write_forms(tmp_path, {name: schema, **(extra or {})}))
    assert report.case_types == {}, "a bad file must be refused"
    assert report.problems, "a refused file must say why"
    return report.problems


def test_a_good_file_loads(tmp_path):
    report = load_forms_dir(write_forms(tmp_path, {"prov.json": BASE}))
    assert report.ok
    case_type = report.case_types["prov"]
    assert case_type.title == "Prov"
    assert len(case_type.sha256) == 64 and case_type.version == case_type.sha256[:12]


@pytest.mark.parametrize("schema, pointer, words", [
    (with_changes(namn={"type": "string", "title": "Namn", "maxLength": 50, "x-ui": {"widgt": "text"}}),
     "/properties/namn/x-ui/widgt", "'widgt'"),
    (with_changes(namn={"type": "string", "maxLength": 50, "x-ui": {"widget": "slider"}}),
     "/properties/namn/x-ui/widget", "'slider'"),
    (with_changes(namn={"type": "string", "maxLenght": 50}), "/properties/namn/maxLenght", "'maxLength'"),
    (with_changes(namn={"type": "string", "maxLength": 5, "$dynamicRef": "#x"}), "/properties/namn/$dynamicRef", "$ref"),
    (with_changes(namn={"$ref": "https://evil.test/x.json"}), "/properties/namn/$ref", "forms/"),
    (with_changes(namn={"$ref": "../secret.json"}), "/properties/namn/$ref", "forms/"),
    (with_changes(namn={"$ref": "/etc/passwd"}), "/properties/namn/$ref", "forms/"),
    (with_changes(namn={"type": "string", "maxLength": 5, "format": 5}), "/properties/namn/format", "en text"),
    (with_changes(adr={"type": "object", "additionalProperties": {"type": "string"}}),
     "/properties/adr/additionalProperties", "tabell"),
])
def test_dialect_violations_name_file_pointer_and_cause(tmp_path, schema, pointer, words):
    problems = single_problem(tmp_path, schema)
    assert any(p.file == "prov.json" and p.pointer == pointer and words in p.message for p in problems), problems


def test_a_widget_that_does_not_fit_the_type_is_refused(tmp_path):
    schema = with_changes(namn={"type": "string", "maxLength": 5, "x-ui": {"widget": "checkbox"}})
    [problem] = single_problem(tmp_path, schema)
    assert problem.pointer == "/properties/namn" and "checkbox" in problem.message


def test_a_checkbox_need_not_be_required_and_an_unticked_one_is_false(tmp_path):
    from werkzeug.datastructures import MultiDict

    from webforms import judge

    report = load_forms_dir(write_forms(tmp_path, {"prov.json": with_changes(ok={"type": "boolean", "title": "OK"})}))
    case_type = report.case_types["prov"]
    assert judge(case_type, MultiDict({"namn": "Anna"}))[0]["ok"] is False


def test_required_names_must_exist(tmp_path):
    schema = copy.deepcopy(BASE)
    schema["required"] = ["namn", "nman"]
    [problem] = single_problem(tmp_path, schema)
    assert "'nman'" in problem.message


def test_invalid_json_says_where(tmp_path):
    [problem] = single_problem(tmp_path, '{"title": "x",\n  "type": }')
    assert problem.file == "prov.json" and "rad 2" in problem.message


def test_invalid_json_schema_is_refused(tmp_path):
    schema = with_changes(namn={"type": "string", "maxLength": -1})
    problems = single_problem(tmp_path, schema)
    assert problems[0].pointer.startswith("/properties/namn")


def test_a_missing_fragment_is_named(tmp_path):
    schema = with_changes(val={"$ref": "shared/finns-inte.json", "title": "Val"})
    problems = single_problem(tmp_path, schema)
    assert any("finns-inte.json" in p.message for p in problems)


def test_a_bad_file_name_is_refused(tmp_path):
    problems = single_problem(tmp_path, BASE, name="Min Typ.json")
    assert "Filnamnet" in problems[0].message


def test_other_files_still_load_beside_a_bad_one(tmp_path):
    report = load_forms_dir(write_forms(tmp_path, {"bra.json": BASE, "dalig.json": "{"}))
    assert list(report.case_types) == ["bra"] and [p.file for p in report.problems] == ["dalig.json"]


def test_fragments_are_bundled_and_the_bundle_is_frozen(tmp_path):
    fragment = {"$schema": BASE["$schema"], "type": "string", "oneOf": [{"const": "a", "title": "A"}]}
    schema = with_changes(val={"$ref": "shared/val.json", "title": "Val"})
    schema["required"].append("val")
    folder = write_forms(tmp_path, {"prov.json": schema, "shared/val.json": fragment})
    case_type = load_forms_dir(folder).case_types["prov"]
    assert "shared/val.json" in case_type.schema["$defs"]
    assert case_type.validate({"namn": "x", "val": "a"}) == []

    (folder / "shared/val.json").unlink()
    (folder / "prov.json").unlink()
    frozen = case_type_from_frozen("prov", case_type.text)
    assert frozen.sha256 == case_type.sha256
    assert frozen.validate({"namn": "x", "val": "a"}) == []
    assert [p.path for p in frozen.validate({"namn": "x", "val": "b"})] == [("val",)]


def test_a_change_to_a_fragment_changes_the_version(tmp_path):
    fragment = {"$schema": BASE["$schema"], "type": "string", "oneOf": [{"const": "a", "title": "A"}]}
    schema = with_changes(val={"$ref": "shared/val.json", "title": "Val"})
    folder = write_forms(tmp_path, {"prov.json": schema, "shared/val.json": fragment})
    before = load_forms_dir(folder).case_types["prov"].sha256
    fragment["oneOf"].append({"const": "b", "title": "B"})
    write_forms(folder, {"shared/val.json": fragment})
    assert load_forms_dir(folder).case_types["prov"].sha256 != before


def test_every_shipped_file_loads(tmp_path):
    report = load_forms_dir(ROOT / "forms")
    assert report.ok, report.problems
    assert {"bestallning-av-siths-kort", "ovrigt"} <= set(report.case_types)
    assert report.case_types["bestallning-av-siths-kort"].title == "Beställning av SITHS-kort"


def test_kitchen_sink_uses_every_kind():
    case_type = load_forms_dir(KITCHEN_SINK_DIR).case_types["kitchen-sink"]
    from casetypes.spec import walk
    assert {spec.kind for spec in walk(case_type.fields)} == set(KINDS)


def test_every_kind_has_a_form_field():
    assert set(FIELD_KINDS) == set(KINDS)


def test_cli_check_passes_on_shipped_forms(app):
    result = app.test_cli_runner().invoke(args=["forms", "check"])
    assert result.exit_code == 0, result.output
    assert "OK  bestallning-av-siths-kort" in result.output


def test_cli_check_fails_on_a_bad_folder(app, tmp_path):
    write_forms(tmp_path, {"prov.json": with_changes(namn={"type": "string", "maxLength": 0})})
    result = app.test_cli_runner().invoke(args=["forms", "check", str(tmp_path)])
    assert result.exit_code == 1
    assert "FEL prov.json: /properties/namn/maxLength: Värdet ska vara minst 1." in result.output


def test_cli_list_shows_slug_title_version(app):
    result = app.test_cli_runner().invoke(args=["forms", "list"])
    lines = [line.split("\t") for line in result.output.strip().splitlines()]
    assert ["bestallning-av-siths-kort", "Beställning av SITHS-kort"] == lines[0][:2]
    assert all(len(line[2]) == 12 for line in lines)


def test_the_administrators_worked_example_loads(tmp_path):
    """The example in forms/README.md is a working case type."""
    readme = (ROOT / "forms" / "README.md").read_text(encoding="utf-8")
    blocks = readme.split("```json\n")[1:]
    example = next(block.split("```")[0] for block in blocks if '"$schema"' in block)
    report = load_forms_dir(write_forms(tmp_path, {"andring-av-medarbetaruppdrag.json": example}))
    assert report.ok, report.problems
    assert report.case_types["andring-av-medarbetaruppdrag"].title == "Ändring av medarbetaruppdrag"


def test_frozen_schemas_keep_the_display_order(tmp_path):
    schema = with_changes(zeta={"type": "string", "maxLength": 5}, alfa={"type": "string", "maxLength": 5})
    case_type = load_forms_dir(write_forms(tmp_path, {"prov.json": schema})).case_types["prov"]
    frozen = case_type_from_frozen("prov", case_type.text)
    assert [spec.name for spec in frozen.fields] == ["namn", "zeta", "alfa"]
