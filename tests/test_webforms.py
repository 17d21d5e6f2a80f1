"""Schema -> WTForms: every kind binds, reads back into JSON, and carries its HTML attributes;
errors land on the right field; rows are added and removed on the posted data."""
import json

import pytest
from werkzeug.datastructures import MultiDict

from casetypes import load_forms_dir
from tests.conftest import FIXTURES, KITCHEN_SINK_DIR, ROOT
from webforms import bind, blank
from webforms.caseform import apply_row_action, bound_fields, form_class_for, to_formdata

GOLDEN = json.loads((FIXTURES / "kitchen-sink-golden.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def sink():
    return load_forms_dir(KITCHEN_SINK_DIR).case_types["kitchen-sink"]


@pytest.fixture(scope="module")
def siths():
    return load_forms_dir(ROOT / "forms").case_types["bestallning-av-siths-kort"]


def posted(case_type, document, **changes):
    formdata = to_formdata(case_type.fields, document)
    for key, value in changes.items():
        formdata.setlist(key, value if isinstance(value, list) else [value])
    return formdata


def test_golden_document_is_valid_and_round_trips(sink):
    assert sink.validate(GOLDEN) == []
    form = bind(sink, to_formdata(sink.fields, GOLDEN))
    assert form.document() == GOLDEN
    assert form.validate()


def test_form_class_is_built_once_per_version(sink):
    assert form_class_for(sink) is form_class_for(sink)


def test_typed_input_is_normalised(sink):
    formdata = posted(sink, GOLDEN, personnummer=" 19121212-1212 ", orgnr="5560360793",
                      belopp="1 250,5", antal=" 3 ", rubrik="  Nya kort till akuten  ",
                      beskrivning="Två rader\r\ntext", epost=" anna.andersson@example.se")
    assert bind(sink, formdata).document() == GOLDEN


def test_empty_inputs_are_left_out(sink):
    formdata = posted(sink, GOLDEN, kod="", datum="   ", lan="")
    document = bind(sink, formdata).document()
    assert "kod" not in document and "datum" not in document and "lan" not in document


@pytest.mark.parametrize("field, typed, message", [
    ("antal", "tre", "Ange ett heltal."),
    ("antal", "0", "Ange ett värde som är minst 1."),
    ("antal", "51", "Ange ett värde som är högst 50."),
    ("belopp", "mycket", "Ange ett tal, till exempel 12 eller 12,5."),
    ("belopp", "1000000", "Ange ett värde som är mindre än 1000000."),
    ("personnummer", "19121212-1213", "Kontrollsiffran stämmer inte. Kontrollera personnumret."),
    ("personnummer", "1912-1212", "Ange ett giltigt personnummer, 12 siffror ÅÅÅÅMMDDXXXX."),
    ("orgnr", "556036-0794", "Kontrollsiffran stämmer inte. Kontrollera organisationsnumret."),
    ("orgnr", "556036", "Ange ett giltigt organisationsnummer, 10 siffror XXXXXX-XXXX."),
    ("epost", "anna@", "Ange en giltig e-postadress, till exempel namn@exempel.se."),
    ("datum", "2026-02-30", "Ange ett giltigt datum, ÅÅÅÅ-MM-DD."),
    ("kod", "abc123", "Ange tre versaler och tre siffror, t.ex. ABC123."),
    ("rubrik", "x", "Skriv minst 2 tecken."),
    ("rubrik", "x" * 81, "Skriv högst 80 tecken."),
    ("prioritet", "akut", "Välj ett av alternativen."),
    ("lan", "gotland", "Välj ett av alternativen."),
    ("godkant", "kanske", "Välj Ja eller Nej."),
    ("dagar", ["man", "fre"], "Välj ett av alternativen."),
    ("adress-ort", "", "Fältet måste fyllas i."),
    ("rader-1-namn", "", "Fältet måste fyllas i."),
])
def test_each_error_lands_on_its_field_in_swedish(sink, field, typed, message):
    form = bind(sink, posted(sink, GOLDEN, **{field: typed}))
    assert not form.validate()
    assert form.errors_by_name() == {field: [message]}


def test_a_select_keeps_what_was_typed_when_it_is_no_choice(sink):
    form = bind(sink, posted(sink, GOLDEN, antal="tre"))
    assert form.document()["antal"] == "tre"  # kept for jsonschema to judge, and shown again
    assert 'value="tre"' in form.form["antal"]()


def test_conditions_point_at_the_field_that_must_change(sink):
    without_phone = {k: v for k, v in GOLDEN.items() if k != "telefon"}
    form = bind(sink, to_formdata(sink.fields, without_phone))
    assert not form.validate()
    assert form.errors_by_name() == {"telefon": ["Fältet måste fyllas i."]}

    row = {"namn": "Tredje", "extern": True}
    form = bind(sink, to_formdata(sink.fields, {**GOLDEN, "rader": [row]}))
    assert not form.validate()
    assert form.errors_by_name() == {"rader-0-lan": ["Välj ett alternativ."]}


def test_dependent_required_points_at_the_missing_field(sink):
    document = {k: v for k, v in GOLDEN.items() if k != "kanal"}
    form = bind(sink, to_formdata(sink.fields, document))
    assert not form.validate()
    assert form.errors_by_name() == {"kanal": ["Välj ett alternativ."]}


def test_blank_form_has_defaults_and_minimum_rows(sink):
    form = blank(sink)
    assert form.form["antal"].data == "1"
    assert form.form["prioritet"].data == "normal"
    assert len(form.form["rader"].entries) == 1


def test_initial_values_prefill(sink):
    form = blank(sink, {"epost": "anna@example.se"})
    assert form.form["epost"].data == "anna@example.se"


def test_html_attributes_come_from_the_schema(sink):
    form = blank(sink)
    html = {name: form.form[name]() for name in ("rubrik", "epost", "personnummer", "antal", "belopp", "datum")}
    assert 'maxlength="80"' in html["rubrik"] or "maxlength" not in html["rubrik"]  # attributes via the template
    from app.views.formrender import field_attributes
    attrs = {spec.name: field_attributes(spec, form.form[spec.key], {}) for spec in form.fields}
    assert attrs["rubrik"] == {"required": True, "maxlength": 80, "placeholder": "Till exempel: nya kort", "autocomplete": "off", "aria-describedby": "rubrik-help"}
    assert attrs["personnummer"]["inputmode"] == "numeric"
    assert attrs["belopp"]["inputmode"] == "decimal"
    assert 'type="email"' in html["epost"]
    assert 'type="date"' in html["datum"]
    assert attrs["lang_text"]["maxlength"] == 4000


def test_new_formats_draw_the_inputs_browsers_know(sink):
    from datetime import date

    from app.views.formrender import field_attributes
    form = blank(sink)
    html = {name: form.form[name]() for name in ("mobil", "webb", "mote", "klockslag", "leverans", "postnr")}
    attrs = {spec.name: field_attributes(spec, form.form[spec.key], {}) for spec in form.fields}
    assert 'type="tel"' in html["mobil"] and attrs["mobil"]["placeholder"] == "070-123 45 67"
    assert 'type="url"' in html["webb"]
    assert 'type="datetime-local"' in html["mote"]
    assert 'type="time"' in html["klockslag"]
    assert attrs["leverans"]["min"] == "2020-01-01"
    assert attrs["leverans"]["max"] == date.today().replace(year=date.today().year + 100).isoformat()
    assert attrs["postnr"]["autocomplete"] == "postal-code"
    assert attrs["kanalkod"]["readonly"] is True
    assert "gammal_kod" not in attrs  # deprecated: not offered in a new case


def test_long_max_length_becomes_a_textarea(sink):
    assert sink.spec_at(("lang_text",)).kind == "textarea"
    assert "<textarea" in blank(sink).form["lang_text"]()


def test_add_row_keeps_everything_typed(sink):
    formdata = posted(sink, GOLDEN, rubrik="halvfärdig", antal="tre")
    form = apply_row_action(sink, formdata, "add:rader")
    assert len(form.form["rader"].entries) == 3
    document = form.document()
    assert document["rubrik"] == "halvfärdig" and document["antal"] == "tre"
    assert document["rader"][:2] == GOLDEN["rader"]
    assert form.problems == []  # nothing is validated on a row action


def test_remove_row_renumbers_the_rest(sink):
    rows = [{"namn": f"Rad {n}", "extern": False} for n in range(3)]
    formdata = to_formdata(sink.fields, {**GOLDEN, "rader": rows})
    form = apply_row_action(sink, formdata, "remove:rader-1")
    assert form.document()["rader"] == [rows[0], rows[2]]
    assert [entry.name for entry in form.form["rader"].entries] == ["rader-0", "rader-1"]


def test_rows_stop_at_the_limits(sink):
    one_row = to_formdata(sink.fields, {**GOLDEN, "rader": [{"namn": "Ensam", "extern": False}]})
    assert len(apply_row_action(sink, one_row, "remove:rader-0").form["rader"].entries) == 1
    three = to_formdata(sink.fields, {**GOLDEN, "rader": [{"namn": str(n), "extern": False} for n in range(3)]})
    assert len(apply_row_action(sink, three, "add:rader").form["rader"].entries) == 3


@pytest.mark.parametrize("action", ["add:finns-inte", "remove:rader-x", "remove:rubrik-0", "explode", "add:"])
def test_unknown_row_actions_change_nothing(sink, action):
    formdata = to_formdata(sink.fields, GOLDEN)
    assert apply_row_action(sink, formdata, action).document() == GOLDEN


def test_posting_more_rows_than_allowed_is_reported_not_truncated(sink):
    rows = [{"namn": str(n), "extern": False} for n in range(4)]
    form = bind(sink, to_formdata(sink.fields, {**GOLDEN, "rader": rows}))
    assert not form.validate()
    assert form.errors_by_name() == {"rader": ["Högst 3 rader får finnas."]}


def test_siths_row_rules(siths):
    good = {"personnummer": "191212121212", "epost": "a@example.se", "eget_kortkontor": False,
            "kortutlamningskontor": "uppsala"}
    own_office = {"personnummer": "191212121212", "epost": "b@example.se", "eget_kortkontor": True}
    assert siths.validate({"personer": [good, own_office]}) == []

    both = {**own_office, "kortutlamningskontor": "malmo"}
    neither = {k: v for k, v in good.items() if k != "kortutlamningskontor"}
    form = bind(siths, to_formdata(siths.fields, {"personer": [good, both, neither]}))
    assert not form.validate()
    assert form.errors_by_name() == {
        "personer-1-kortutlamningskontor": ["Välj inget kortutlämningskontor när ni har eget kortkontor."],
        "personer-2-kortutlamningskontor": ["Välj ett kortutlämningskontor, eller kryssa i Eget kortkontor."],
    }
    assert form.summary()[0][1] == "Rad 2, Vilket kortutlämningskontor ska SITHS-kortet hämtas ut på?"


def test_siths_needs_a_row_and_allows_two_hundred(siths):
    row = {"personnummer": "191212121212", "epost": "a@example.se", "eget_kortkontor": True}
    assert [p.message for p in siths.validate({"personer": []})] == ["Lägg till minst en rad."]
    assert siths.validate({"personer": [row] * 200}) == []
    assert [p.message for p in siths.validate({"personer": [row] * 201})] == ["Högst 200 rader får finnas."]


def test_ovrigt_has_a_length_limit():
    ovrigt = load_forms_dir(ROOT / "forms").case_types["ovrigt"]
    assert ovrigt.validate({"beskrivning": "Flera medarbetaruppdrag på olika enheter."}) == []
    assert [p.message for p in ovrigt.validate({"beskrivning": "x" * 5001})] == ["Skriv högst 5000 tecken."]
    assert [p.message for p in ovrigt.validate({})] == ["Fältet måste fyllas i."]


def test_the_error_summary_lists_problems_in_the_order_of_the_fields(sink):
    """A person reads the summary top to bottom like the form, whatever order the validator
    found the problems in (for the kitchen sink it reports a nested address and a row first)."""
    form = bind(sink, MultiDict())
    assert not form.validate()
    names = [name for name, _, _ in form.summary()]
    field_order = [bound.name for bound in bound_fields(form.form)]
    assert len(names) >= 4
    assert names == sorted(names, key=field_order.index)
    assert names.index("rubrik") < names.index("adress-ort") < names.index("rader")  # no row posted: "Lägg till minst en rad"


@pytest.mark.parametrize("action, rows_posted, focus", [
    ("add:personer", 2, "personer-2-namn"),          # the new, third row
    ("remove:personer-0", 3, "personer-0-namn"),     # the row that moved up into its place
    ("remove:personer-2", 3, "personer-1-namn"),     # the last one went: the one before it
    ("remove:personer-0", 1, ""),                    # the only row must stay: nothing moved
    ("remove:personer-9", 2, ""),                    # no such row
    ("add:ingen-tabell", 1, ""),
])
def test_a_row_action_without_javascript_says_where_the_page_opens(siths, action, rows_posted, focus):
    row = {"personnummer": "191212121212", "epost": "a@example.se", "eget_kortkontor": True}
    formdata = to_formdata(siths.fields, {"personer": [row] * rows_posted})
    assert apply_row_action(siths, formdata, action).focus == focus
