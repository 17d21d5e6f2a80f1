"""The steps and review hints as `forms check` reads them: every mistake refused at its JSON
pointer in Swedish, what the portal assumes said as a note, the steps a case type gets (fields
not listed form a last step), review on by default with steps, and the hints kept in the frozen
schema a case stores."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from casetypes import case_type_from_frozen, load_forms_dir
from casetypes.steps import REST_TITLE, review_wanted, step_index_of, steps_of
from tests.test_case_type_loading import write_forms

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "steps" / "andring-av-medarbetaruppdrag.json"
STEPPED = json.loads(FIXTURE.read_text(encoding="utf-8"))


def with_hints(**hints) -> dict:
    schema = copy.deepcopy(STEPPED)
    schema["x-ui"] = {"order": 20, **hints}
    return schema


def load(tmp_path, schema: dict):
    return load_forms_dir(write_forms(tmp_path, {"prov.json": schema}))


def messages(report) -> list[tuple[str, str]]:
    return [(problem.pointer, problem.message) for problem in report.problems]


def test_the_fixture_has_three_steps_and_a_review_page(tmp_path):
    report = load(tmp_path, STEPPED)
    assert report.ok and not report.notes, (report.problems, report.notes)
    case_type = report.case_types["prov"]
    steps = steps_of(case_type.schema, case_type.fields)
    assert [(step.title, step.names) for step in steps] == [
        ("Kontakt", ("kontaktvag",)), ("Uppdraget", ("telefon", "enhet", "giltigt_fran")), ("Personer", ("personer",))]
    assert review_wanted(case_type.schema, case_type.fields)


def test_fields_no_step_names_form_a_last_step_and_both_assumptions_are_noted(tmp_path):
    report = load(tmp_path, with_hints(steps=[{"title": "Personer", "fields": ["personer"]}]))
    assert report.ok, report.problems
    case_type = report.case_types["prov"]
    steps = steps_of(case_type.schema, case_type.fields)
    # Steps show fields in the form's display order (a conditional field right after the field
    # its condition reads), whatever order a step lists them in.
    assert [(step.title, step.names) for step in steps] == [
        ("Personer", ("personer",)), (REST_TITLE, ("kontaktvag", "telefon", "enhet", "giltigt_fran"))]
    notes = {(note.pointer, note.message) for note in report.notes}
    assert ("/x-ui/steps", "Fälten 'kontaktvag', 'telefon', 'enhet', 'giltigt_fran' står inte i något steg; "
                           f"de visas i ett sista steg, \"{REST_TITLE}\".") in notes
    assert ("/x-ui", "review saknas; sidan \"Granska och skicka\" antogs (standard för ärendetyper med steg).") in notes
    assert review_wanted(case_type.schema, case_type.fields)


def test_review_is_off_without_steps_unless_asked_for(tmp_path):
    plain = load(tmp_path / "a", with_hints()).case_types["prov"]
    asked = load(tmp_path / "b", with_hints(review=True)).case_types["prov"]
    declined = load(tmp_path / "c", with_hints(steps=STEPPED["x-ui"]["steps"], review=False)).case_types["prov"]
    assert steps_of(plain.schema, plain.fields) == () and not review_wanted(plain.schema, plain.fields)
    assert review_wanted(asked.schema, asked.fields)
    assert len(steps_of(declined.schema, declined.fields)) == 3 and not review_wanted(declined.schema, declined.fields)


@pytest.mark.parametrize("steps, expected", [
    ([{"title": "Kontakt", "fields": ["kontakt"]}],
     [("/x-ui/steps/0/fields/0", "Fältet 'kontakt' finns inte i properties; ett steg kan bara visa ärendetypens egna fält.")]),
    ([{"title": "Ett", "fields": ["enhet"]}, {"title": "Två", "fields": ["personer", "enhet"]}],
     [("/x-ui/steps/1/fields/1", "Fältet 'enhet' står redan i steg 1; varje fält hör till ett enda steg.")]),
    ([{"title": "Tomt", "fields": []}],
     [("/x-ui/steps/0", "Steget har inga fält: ange minst ett fält under \"fields\".")]),
    ([{"title": "Utan fält"}],
     [("/x-ui/steps/0", "Steget har inga fält: ange minst ett fält under \"fields\".")]),
    ([{"fields": ["enhet"]}],
     [("/x-ui/steps/0", "Steget saknar rubrik: ange \"title\", till exempel \"Beställare och kontakt\".")]),
    ([{"title": "  ", "fields": ["enhet"]}],
     [("/x-ui/steps/0", "Steget saknar rubrik: ange \"title\", till exempel \"Beställare och kontakt\".")]),
    ([{"title": "Kontakt", "felds": ["enhet"]}],
     [("/x-ui/steps/0/felds", "Okänt nyckelord 'felds'.")]),  # explains the missing fields too
    ("Kontakt", [("/x-ui/steps", "Fel typ: 'Kontakt' ska vara en lista.")]),
    ([], [("/x-ui/steps", "Listan ska ha minst 1 värden.")]),
])
def test_each_mistake_in_the_steps_is_refused_at_its_pointer(tmp_path, steps, expected):
    report = load(tmp_path, with_hints(steps=steps))
    assert "prov" not in report.case_types
    assert sorted(messages(report)) == sorted(expected)
    assert all(problem.file == "prov.json" for problem in report.problems)


def test_a_review_hint_must_be_true_or_false(tmp_path):
    report = load(tmp_path, with_hints(review="ja"))
    assert messages(report) == [("/x-ui/review", "Fel typ: 'ja' ska vara true eller false.")]


def test_the_cli_prints_the_refusal_with_file_and_pointer(tmp_path):
    from tests.conftest import make_app
    write_forms(tmp_path, {"prov.json": with_hints(steps=[{"title": "Ett", "fields": ["saknas"]}])})
    app = make_app(f"sqlite:///{tmp_path / 'portal.db'}")
    result = app.test_cli_runner().invoke(args=["forms", "check", str(tmp_path)])
    assert result.exit_code == 1
    assert ("FEL prov.json: /x-ui/steps/0/fields/0: Fältet 'saknas' finns inte i properties; "
            "ett steg kan bara visa ärendetypens egna fält.") in result.output


def test_the_frozen_schema_keeps_the_steps(tmp_path):
    case_type = load(tmp_path, STEPPED).case_types["prov"]
    frozen = case_type_from_frozen("prov", case_type.text)
    assert steps_of(frozen.schema, frozen.fields) == steps_of(case_type.schema, case_type.fields)
    assert review_wanted(frozen.schema, frozen.fields)


def test_a_problem_belongs_to_the_step_of_its_field_and_form_wide_ones_to_the_last(tmp_path):
    case_type = load(tmp_path, STEPPED).case_types["prov"]
    steps = steps_of(case_type.schema, case_type.fields)
    assert step_index_of(steps, ("telefon",)) == 1
    assert step_index_of(steps, ("personer", 0, "personnummer")) == 2
    assert step_index_of(steps, ()) == 2 and step_index_of(steps, ("okänd",)) == 2


def test_the_administrators_guide_shows_the_fixture():
    """forms/README.md's steps example is this fixture, so the guide's example is tested."""
    readme = (Path(__file__).resolve().parents[1] / "forms" / "README.md").read_text(encoding="utf-8")
    blocks = [block.split("```")[0] for block in readme.split("```json\n")[1:]]
    assert any(json.loads(block) == STEPPED for block in blocks if '"steps"' in block and '"$schema"' in block)
