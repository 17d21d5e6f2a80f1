"""Plain JSON Schema served as forms, through the real preview page: nullable fields, optional
boxes and sections, free lists, boolean and mixed choices, readOnly, deprecated, examples,
Markdown descriptions, the new formats, date bounds and conditional fields — what a person
sees (label by its input, message by its field) and what gets stored."""
import json
import re
from datetime import timedelta

import pytest
from werkzeug.datastructures import MultiDict

from app.cases.types import EXTENSION_KEY
from casetypes.datebounds import today
from casetypes.loader import BASE_URI, compile_case_type
from renderers.text import to_text
from renderers.tree import build_tree
from webforms import bind, judge
from webforms.caseform import to_formdata


def case_type_of(properties: dict, slug: str = "prov", **extra):
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "Prov", "type": "object",
              "properties": properties, **extra, "$id": f"{BASE_URI}{slug}.json"}
    return compile_case_type(slug, schema, f"{slug}.json")


def serve(app, case_type):
    """Put a compiled case type beside the shipped ones, so the preview route serves it."""
    app.extensions[EXTENSION_KEY].case_types[case_type.slug] = case_type
    return f"/forhandsgranska/{case_type.slug}"


def shown_document(html: str) -> dict:
    """The document the preview page shows for a valid post."""
    match = re.search(r"<pre[^>]*>(.*?)</pre>", html, re.S)
    assert match, "no document shown: " + re.sub(r"\s+", " ", html)[-600:]
    text = match.group(1).replace("&#34;", '"').replace("&quot;", '"').replace("&amp;", "&")
    return json.loads(text.replace("&lt;", "<").replace("&gt;", ">").replace("&#39;", "'"))


def error_for(html: str, field_id: str) -> str:
    match = re.search(rf'<p class="error-message" id="{re.escape(field_id)}-error">(.*?)</p>', html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).replace("Fel: ", "").strip() if match else ""


def label_of(html: str, field_id: str) -> str:
    match = re.search(rf'<label for="{re.escape(field_id)}"[^>]*>(.*?)</label>', html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip() if match else ""


# --- nullable, optional always-answered kinds ---------------------------------------------------

NULLABLE = case_type_of({
    "note": {"type": ["string", "null"], "maxLength": 50, "title": "Anteckning"},
    "count": {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}], "title": "Antal"},
    "colour": {"type": ["string", "null"], "enum": ["red", "green", None], "title": "Färg"},
    "ok": {"type": "boolean", "title": "Godkänd"},
    "days": {"type": "array", "maxItems": 3, "items": {"enum": ["mon", "tue"]}, "title": "Dagar"},
    "address": {"type": "object", "title": "Adress", "properties": {
        "city": {"type": "string", "maxLength": 40, "title": "Ort"}}, "required": ["city"]},
}, slug="nullable")


def test_empty_nullable_answers_are_stored_as_null_and_optional_boxes_as_false(app):
    url = serve(app, NULLABLE)
    html = app.test_client().post(url, data={"note": "", "count": "", "colour": ""}).get_data(as_text=True)
    assert shown_document(html) == {"note": None, "count": None, "colour": None, "ok": False, "days": []}
    assert label_of(html, "count") == "Antal" and label_of(html, "address-city").startswith("Ort")


def test_nullable_fields_keep_what_was_typed_and_are_judged_as_their_type(app):
    url = serve(app, NULLABLE)
    html = app.test_client().post(url, data={"note": "Hej", "count": "3", "colour": "red", "ok": "y",
                                             "address-city": "Uppsala"}).get_data(as_text=True)
    assert shown_document(html) == {"note": "Hej", "count": 3, "colour": "red", "ok": True, "days": [],
                                    "address": {"city": "Uppsala"}}
    html = app.test_client().post(url, data={"count": "0"}).get_data(as_text=True)
    assert error_for(html, "count") == "Ange ett värde som är minst 1."


def test_null_values_round_trip_through_the_form():
    document = {"note": None, "count": None, "colour": None, "ok": False, "days": []}
    assert bind(NULLABLE, to_formdata(NULLABLE.fields, document)).document() == document


# --- free lists, boolean and mixed choices, labelled anyOf ---------------------------------------

CHOICES = case_type_of({
    "tags": {"type": "array", "title": "Taggar", "maxItems": 3, "items": {"type": "string", "maxLength": 10}},
    "scores": {"type": "array", "maxItems": 3, "items": {"type": "number", "maximum": 10}},
    "agree": {"type": "boolean", "enum": [True, False], "title": "Håller med"},
    "mixed": {"enum": ["a", 1, True], "title": "Blandat"},
    "size": {"type": "string", "title": "Storlek",
             "anyOf": [{"const": "s", "title": "Liten"}, {"const": "l", "title": "Stor"}]},
}, slug="choices", required=["agree"])


def test_a_free_list_is_a_one_column_table_whose_rows_are_added_without_javascript(app):
    url = serve(app, CHOICES)
    client = app.test_client()
    html = client.get(url).get_data(as_text=True)
    assert re.search(r'<fieldset class="section table-field list-field"[^>]*id="tags"', html)
    html = client.post(url, data={"tags-0": "röd", "action": "add:tags"}).get_data(as_text=True)
    assert 'name="tags-1"' in html and 'value="röd"' in html
    assert label_of(html, "tags-1").startswith("Taggar")
    html = client.post(url, data={"tags-0": " röd ", "tags-1": "", "tags-2": "blå", "scores-0": "1,5",
                                  "agree": "true", "mixed": "1", "size": "l"}).get_data(as_text=True)
    assert shown_document(html) == {"tags": ["röd", "blå"], "scores": [1.5], "agree": True, "mixed": 1,
                                    "size": "l"}


def test_a_bad_list_item_gets_its_message_next_to_it(app):
    url = serve(app, CHOICES)
    html = app.test_client().post(url, data={"scores-0": "3", "scores-1": "11", "agree": "false"}).get_data(as_text=True)
    assert error_for(html, "scores-1") == "Ange ett värde som är högst 10."


def test_boolean_mixed_and_labelled_choices_show_their_titles(app):
    html = app.test_client().get(serve(app, CHOICES)).get_data(as_text=True)
    for value, title in (("true", "Ja"), ("false", "Nej"), ("s", "Liten"), ("l", "Stor")):
        assert re.search(rf'<option value="{value}">{title}</option>', html), title
    mixed = re.search(r'<select[^>]*id="mixed".*?</select>', html, re.S).group(0)
    assert all(option in mixed for option in ('value="a">a<', 'value="1">1<', 'value="true">Ja<'))
    tree = build_tree(CHOICES.fields, {"tags": ["a", "b"], "agree": True, "mixed": True, "size": "s"})
    assert "Taggar: a\n  b" in to_text(tree) and "Storlek: Liten" in to_text(tree)


# --- readOnly, deprecated, examples, Markdown descriptions -------------------------------------

ANNOTATED = case_type_of({
    "channel": {"type": "string", "maxLength": 10, "readOnly": True, "default": "WEB", "title": "Kanal"},
    "old": {"type": "string", "maxLength": 10, "deprecated": True, "title": "Gammal uppgift"},
    "phone": {"type": "string", "maxLength": 20, "examples": ["070-123 45 67"], "title": "Telefon"},
    "info": {"type": "string", "maxLength": 20, "title": "Info",
             "description": "Läs *noga*. Se [villkoren](https://exempel.se/villkor).\n\n- ett\n- två\n\n"
                            "<script>alert(1)</script> [x](javascript:alert(1))"},
}, slug="annotated")


def test_read_only_shows_its_default_and_ignores_a_posted_value(app):
    url = serve(app, ANNOTATED)
    html = app.test_client().get(url).get_data(as_text=True)
    assert re.search(r'<input[^>]*id="channel"[^>]*readonly[^>]*value="WEB"', html)
    html = app.test_client().post(url, data={"channel": "HACK", "old": "x"}).get_data(as_text=True)
    assert shown_document(html) == {"channel": "WEB"}
    html = app.test_client().post(url, data={"channel": "HACK", "phone": "x" * 21}).get_data(as_text=True)
    assert error_for(html, "phone") and "HACK" not in html  # shown again with its own value
    assert re.search(r'<input[^>]*id="channel"[^>]*value="WEB"', html)


def test_deprecated_fields_are_not_offered_but_old_cases_show_them(app):
    html = app.test_client().get(serve(app, ANNOTATED)).get_data(as_text=True)
    assert "Gammal uppgift" not in html
    old_case = to_text(build_tree(ANNOTATED.fields, {"channel": "WEB", "old": "A1"}))
    assert "Gammal uppgift: A1" in old_case


def test_examples_become_placeholders_and_descriptions_render_safe_markdown(app):
    html = app.test_client().get(serve(app, ANNOTATED)).get_data(as_text=True)
    assert re.search(r'<input[^>]*id="phone"[^>]*placeholder="070-123 45 67"', html)
    help_html = re.search(r'<div class="help" id="info-help">(.*?)</div>', html, re.S).group(1)
    assert "<em>noga</em>" in help_html
    assert '<a href="https://exempel.se/villkor" rel="noopener noreferrer">villkoren</a>' in help_html
    assert "<li>ett</li>" in help_html
    assert "<script>" not in help_html and "&lt;script&gt;" in help_html
    assert "javascript:" not in re.sub(r"\[x\]\(javascript:alert\(1\)\)", "", help_html)


# --- formats -----------------------------------------------------------------------------------

FORMATS = case_type_of({
    "postnr": {"type": "string", "format": "postnummer", "title": "Postnummer"},
    "mobil": {"type": "string", "format": "telefonnummer", "title": "Mobil"},
    "hsa": {"type": "string", "format": "hsa-id", "title": "HSA-id"},
    "webb": {"type": "string", "format": "uri", "maxLength": 200, "title": "Webb"},
    "mote": {"type": "string", "format": "date-time", "title": "Möte"},
    "tid": {"type": "string", "format": "time", "title": "Tid"},
}, slug="formats")


def test_typed_formats_are_stored_canonically(app):
    html = app.test_client().post(serve(app, FORMATS), data={
        "postnr": "75320", "mobil": "070-123 45 67", "hsa": "se2321000016-1003", "webb": " https://exempel.se ",
        "mote": "2026-07-01T09:30", "tid": "09:30"}).get_data(as_text=True)
    assert shown_document(html) == {"postnr": "753 20", "mobil": "+46701234567", "hsa": "SE2321000016-1003",
                                    "webb": "https://exempel.se", "mote": "2026-07-01T09:30:00+02:00",
                                    "tid": "09:30:00"}


@pytest.mark.parametrize("field, typed, message", [
    ("postnr", "0123", "Ange ett giltigt postnummer, fem siffror, till exempel 123 45."),
    ("mobil", "12", "Ange ett giltigt telefonnummer, till exempel 070-123 45 67 eller +46 70 123 45 67."),
    ("hsa", "SE2321000017-1003", "Ange ett giltigt HSA-id, till exempel SE2321000016-1003."),
    ("webb", "exempel.se", "Ange en fullständig webbadress, till exempel https://exempel.se."),
    ("mote", "i morgon", "Ange ett giltigt datum och klockslag."),
    ("tid", "25:00", "Ange ett giltigt klockslag, TT:MM."),
])
def test_a_wrong_format_gets_a_swedish_message_by_its_field(app, field, typed, message):
    html = app.test_client().post(serve(app, FORMATS), data={field: typed}).get_data(as_text=True)
    assert error_for(html, field) == message
    assert re.search(rf'<input[^>]*aria-describedby="{field}-error"[^>]*id="{field}"', html)


def test_stored_formats_read_well_in_the_detail():
    text = to_text(build_tree(FORMATS.fields, {"mobil": "+46701234567", "mote": "2026-01-15T08:00:00+01:00",
                                               "tid": "09:30:00"}))
    assert "Mobil: 070-123 45 67" in text and "Möte: 2026-01-15 08:00" in text and "Tid: 09:30" in text


# --- date bounds -------------------------------------------------------------------------------

BOUNDED = case_type_of({
    "from": {"type": "string", "format": "date", "title": "Från",
             "x-ui": {"minDate": "today", "maxDate": "today+30d"}},
    "custom": {"type": "string", "format": "date", "title": "Eget",
               "x-ui": {"minDate": "2026-01-01", "errors": {"minDate": "Tidigast {nyår}."}}},
}, slug="bounded")


def test_date_bounds_reach_the_browser_and_are_judged_on_the_server(app):
    url = serve(app, BOUNDED)
    html = app.test_client().get(url).get_data(as_text=True)
    first, last = today(), today() + timedelta(days=30)
    assert re.search(rf'<input[^>]*id="from"[^>]*max="{last}"[^>]*min="{first}"', html)
    yesterday = (first - timedelta(days=1)).isoformat()
    html = app.test_client().post(url, data={"from": yesterday, "custom": "2025-12-31"}).get_data(as_text=True)
    assert error_for(html, "from") == f"Ange ett datum som är {first} eller senare."
    assert error_for(html, "custom") == "Tidigast {nyår}."  # braces in an administrator's text are kept
    html = app.test_client().post(url, data={"from": (last + timedelta(days=1)).isoformat()}).get_data(as_text=True)
    assert error_for(html, "from") == f"Ange ett datum som är {last} eller tidigare."
    html = app.test_client().post(url, data={"from": first.isoformat()}).get_data(as_text=True)
    assert shown_document(html) == {"from": first.isoformat()}


# --- conditional fields ------------------------------------------------------------------------

CONDITIONAL = case_type_of({
    "contact": {"type": "string", "title": "Kontaktväg",
                "oneOf": [{"const": "email", "title": "E-post"}, {"const": "phone", "title": "Telefon"}]},
    "urgent": {"type": "boolean", "title": "Brådskande"},
}, slug="conditional", required=["contact"], **{
    "if": {"properties": {"contact": {"const": "email"}}, "required": ["contact"]},
    "then": {"properties": {"email": {"type": "string", "format": "email", "maxLength": 254, "title": "E-post"}},
             "required": ["email"]},
    "else": {"properties": {"phone": {"type": "string", "format": "telefonnummer", "title": "Telefon"}}},
    "dependentSchemas": {"urgent": {"properties": {"reason": {"type": "string", "maxLength": 100,
                                                              "title": "Varför brådskar det?"}}}},
    "oneOf": [
        {"title": "Privatperson", "properties": {"who": {"const": "person"},
                                                 "pnr": {"type": "string", "format": "personnummer", "title": "Personnummer"}}},
        {"title": "Företag", "properties": {"who": {"const": "company"},
                                            "orgnr": {"type": "string", "format": "organisationsnummer", "title": "Org.nr"}}},
    ],
})


def test_conditional_fields_say_when_to_fill_them_in(app):
    html = app.test_client().get(serve(app, CONDITIONAL)).get_data(as_text=True)
    assert "Fyll i om Kontaktväg är E-post." in html
    assert "Fyll i om inte Kontaktväg är E-post." in html
    assert "Fyll i om Brådskande är ifyllt." in html
    assert "Fyll i om Who är Privatperson." in html and "Fyll i om Who är Företag." in html
    assert label_of(html, "email").startswith("E-post") and label_of(html, "pnr") == "Personnummer"
    # the choice between the oneOf alternatives is a radio group of its own
    assert re.search(r'<input[^>]*name="who"[^>]*value="person"', html)
    rule = re.search(r'<div class="conditional" data-show-when="([^"]*)"><p class="condition" id="email-condition">',
                     html).group(1).replace("&#34;", '"')
    assert json.loads(rule) == {"name": "contact", "values": ["email"], "negate": False, "whenBlank": False}
    assert re.search(r'<input[^>]*aria-describedby="email-condition"[^>]*id="email"', html)


def test_answers_in_inactive_branches_are_dropped_before_judging(app):
    url = serve(app, CONDITIONAL)
    posted = {"contact": "phone", "email": "not an address", "phone": "070-123 45 67",
              "who": "company", "pnr": "19121212-1213", "orgnr": "556036-0793"}
    html = app.test_client().post(url, data=posted).get_data(as_text=True)
    assert shown_document(html) == {"contact": "phone", "phone": "+46701234567", "urgent": False,
                                    "who": "company", "orgnr": "556036-0793"}


def test_an_active_branch_is_judged_and_its_message_lands_by_its_field(app):
    url = serve(app, CONDITIONAL)
    html = app.test_client().post(url, data={"contact": "email", "who": "person"}).get_data(as_text=True)
    assert error_for(html, "email") == "Fältet måste fyllas i."
    document, problems = judge(CONDITIONAL, MultiDict({"contact": "email", "email": "a@exempel.se",
                                                       "urgent": "y", "reason": "Akut", "who": "person"}))
    assert problems == [] and document["reason"] == "Akut" and "phone" not in document


# --- hostile posts -----------------------------------------------------------------------------

def posted_names(case_type) -> list:
    from webforms.names import key_index
    names = []
    for pattern in key_index(case_type):
        for row in ("0", "1", "²", "9" * 5000):
            names.append("-".join(row if part == "*" else part for part in pattern))
    return sorted(set(names)) + ["action", "unknown", "tags-", "-0-"]


@pytest.mark.parametrize("slug", ["nullable", "choices", "annotated", "formats", "bounded", "conditional",
                                  "published", "tuples", "nested"])
def test_random_posts_to_the_form_never_fail(app, slug):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    case_type = {ct.slug: ct for ct in (NULLABLE, CHOICES, ANNOTATED, FORMATS, BOUNDED, CONDITIONAL,
                                        PUBLISHED, TUPLES, NESTED)}[slug]
    url = serve(app, case_type)
    client = app.test_client()
    names = posted_names(case_type)
    values = st.sampled_from(["", "y", "true", "false", "1", "add:tags", "remove:tags-0", "email", "x" * 300]) \
        | st.text(max_size=12)

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(st.tuples(st.sampled_from(names), values), max_size=12))
    def post(pairs):
        response = client.post(url, data=MultiDict(pairs))
        assert response.status_code == 200, response.status_code

    post()


# --- constructs from published schemas ----------------------------------------------------------

PUBLISHED = case_type_of({
    "intro": {"type": "null", "title": "Om formuläret", "description": "Fyll i **alla** uppgifter."},
    "version": {"const": "v2", "title": "Version"},
    "animal": {"title": "Djur", "anyOf": [{"enum": ["cat"], "title": "Katt"}, {"enum": ["dog"], "title": "Hund"}]},
    "who": {"title": "Mottagare", "oneOf": [{"$ref": "#/$defs/address"}, {"$ref": "#/$defs/user"}]},
    "rows": {"type": "array", "maxItems": 3, "title": "Rader", "items": {
        "type": "object", "properties": {
            "name": {"type": "string", "maxLength": 20},
            "aliases": {"type": "array", "maxItems": 3, "items": {"type": "string", "maxLength": 10}}}}},
}, slug="published", **{
    "$defs": {
        "address": {"type": "object", "properties": {"street": {"type": "string", "maxLength": 40}},
                    "required": ["street"], "additionalProperties": False},
        "user": {"type": "object", "properties": {"user_name": {"type": "string", "maxLength": 40}},
                 "required": ["user_name"], "additionalProperties": False},
    },
    "allOf": [
        {"properties": {"lorem": {"type": "string", "maxLength": 10, "title": "Lorem"}}},
        {"if": {"properties": {"animal": {"const": "cat"}}, "required": ["animal"]},
         "then": {"properties": {"food": {"type": "string", "maxLength": 20, "title": "Mat"}}}},
    ],
})


def test_published_constructs_are_served(app):
    url = serve(app, PUBLISHED)
    html = app.test_client().get(url).get_data(as_text=True)
    assert "Om formuläret" in html and "<strong>alla</strong>" in html
    assert re.search(r'<option value="cat">Katt</option>', html)
    for field_id, label in (("who-street", "Street"), ("who-user_name", "User name"), ("lorem", "Lorem"),
                            ("food", "Mat")):
        assert label_of(html, field_id) == label, field_id
    assert "Fyll i om Djur är Katt." in html
    # alternatives with nothing to tell them apart: each field says which one it belongs to
    assert re.search(r'id="who-street-condition">Fyll i om du väljer alternativ 1\.</p>', html)
    assert re.search(r'id="who-user_name-condition">Fyll i om du väljer alternativ 2\.</p>', html)
    html = app.test_client().post(url, data={
        "version": "hack", "animal": "dog", "food": "fisk", "who-street": "Storgatan 1", "lorem": "ipsum",
        "rows-0-name": "Anna", "rows-0-aliases-0": "Ann", "rows-0-aliases-1": "Annie"}).get_data(as_text=True)
    assert shown_document(html) == {"version": "v2", "animal": "dog",
                                    "who": {"street": "Storgatan 1"}, "lorem": "ipsum",
                                    "rows": [{"name": "Anna", "aliases": ["Ann", "Annie"]}]}


def test_a_choice_between_objects_without_a_marker_is_judged_by_json_schema(app):
    html = app.test_client().post(serve(app, PUBLISHED), data={"who-street": "Storgatan 1", "who-user_name": "anna"})
    assert "Formuläret är giltigt" not in html.get_data(as_text=True)


def test_a_wrong_answer_in_a_choice_between_objects_lands_by_its_field(app):
    html = app.test_client().post(serve(app, PUBLISHED), data={"who-street": "x" * 41}).get_data(as_text=True)
    assert error_for(html, "who-street") == "Skriv högst 40 tecken."


LAYERED = case_type_of({
    "code": {"$ref": "#/$defs/tenDigits", "title": "Kod"},
    "place": {"title": "Plats", "enum": [{"name": "Uppsala", "lat": 59}, {"name": "Malmö", "lat": 55}]},
    "either": {"title": "Text eller objekt", "oneOf": [{"type": "string", "maxLength": 5},
                                                      {"type": "object", "properties": {"v": {"type": "string"}}}]},
}, slug="layered", **{"$defs": {
    "text": {"type": "string"},
    "tenDigits": {"allOf": [{"$ref": "#/$defs/text"}, {"maxLength": 10, "pattern": "^[0-9]+$"}]},
}})


def test_value_types_built_by_allof_and_objects_as_choices_are_served(app):
    url = serve(app, LAYERED)
    html = app.test_client().get(url).get_data(as_text=True)
    assert re.search(r'<input[^>]*id="code"[^>]*maxlength="10"', html)
    assert ">Uppsala</option>" in html and ">Malmö</option>" in html
    option = re.search(r'<option value="([^"]*)">Malmö</option>', html).group(1).replace("&#34;", '"')
    html = app.test_client().post(url, data={"code": "123", "place": option, "either": "abc"}).get_data(as_text=True)
    assert shown_document(html) == {"code": "123", "place": {"name": "Malmö", "lat": 55}, "either": "abc"}
    html = app.test_client().post(url, data={"code": "12a"}).get_data(as_text=True)
    assert error_for(html, "code") == "Värdet har fel form."


# --- tuples -------------------------------------------------------------------------------------

TUPLES = case_type_of({
    "pair": {"type": "array", "title": "Koordinat", "minItems": 2, "items": False,
             "prefixItems": [{"type": "number", "title": "Latitud", "maximum": 90}, {"type": "number"}]},
    "rows": {"type": "array", "maxItems": 3, "title": "Rader", "items": {
        "type": "object", "properties": {
            "range": {"type": "array", "items": False, "title": "Intervall",
                      "prefixItems": [{"type": "integer", "title": "Från"}, {"type": "integer", "title": "Till"}]}}}},
}, slug="tuples", required=["pair"])


def test_a_tuple_is_a_group_of_positional_fields(app):
    url = serve(app, TUPLES)
    html = app.test_client().get(url).get_data(as_text=True)
    assert re.search(r'<fieldset class="section" id="pair">\s*<legend>Koordinat</legend>', html)
    assert label_of(html, "pair-del1").startswith("Latitud") and label_of(html, "pair-del2").startswith("Del 2")
    html = app.test_client().post(url, data={"pair-del1": "59,86", "pair-del2": "17,64", "rows-0-range-del1": "1",
                                             "rows-0-range-del2": "5"}).get_data(as_text=True)
    document = {"pair": [59.86, 17.64], "rows": [{"range": [1, 5]}]}
    assert shown_document(html) == document
    assert bind(TUPLES, to_formdata(TUPLES.fields, document)).document() == document
    text = to_text(build_tree(TUPLES.fields, document))
    assert "Koordinat\n  Latitud: 59,86\n  Del 2: 17,64" in text and "Intervall: Från: 1; Till: 5" in text


def test_a_wrong_position_gets_its_message_by_its_input(app):
    url = serve(app, TUPLES)
    html = app.test_client().post(url, data={"pair-del1": "91", "pair-del2": "1"}).get_data(as_text=True)
    assert error_for(html, "pair-del1") == "Ange ett värde som är högst 90."
    html = app.test_client().post(url, data={"pair-del2": "1"}).get_data(as_text=True)
    assert error_for(html, "pair-del1") == "Ange ett tal, till exempel 12 eller 12,5."  # a hole is null


NESTED = case_type_of({
    "groups": {"type": "array", "maxItems": 3, "title": "Grupper",
               "items": {"type": "array", "maxItems": 3, "title": "Namn", "items": {"type": "string", "maxLength": 10}}},
}, slug="nested")


def test_a_list_of_lists_is_served_and_rows_are_added_to_either(app):
    url = serve(app, NESTED)
    client = app.test_client()
    assert client.get(url).status_code == 200
    html = client.post(url, data={"groups-0-0": "Anna", "action": "add:groups-0"}).get_data(as_text=True)
    assert 'name="groups-0-1"' in html and 'value="Anna"' in html
    html = client.post(url, data={"groups-0-0": "Anna", "groups-0-1": "Bo", "groups-1-0": "Cecilia"}).get_data(as_text=True)
    assert shown_document(html) == {"groups": [["Anna", "Bo"], ["Cecilia"]]}
    html = client.post(url, data={"groups-0-0": "Anna", "groups-1-0": "x" * 11}).get_data(as_text=True)
    assert error_for(html, "groups-1-0") == "Skriv högst 10 tecken."


def test_a_property_in_two_allof_members_is_drawn_from_both_and_a_type_list_from_its_first_type(app):
    both = case_type_of({}, slug="allof-both", allOf=[
        {"properties": {"lorem": {"type": ["string", "boolean"], "default": True, "title": "Lorem"}}},
        {"properties": {"lorem": {"type": "boolean"}, "ipsum": {"type": ["string", "integer"], "maxLength": 9}}}])
    url = serve(app, both)
    html = app.test_client().get(url).get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*id="lorem"[^>]*type="checkbox"', html)
    html = app.test_client().post(url, data={"ipsum": "text"}).get_data(as_text=True)
    assert shown_document(html) == {"lorem": False, "ipsum": "text"}


def test_a_property_that_only_describes_is_shown_as_text(app):
    heading = case_type_of({"heading": {"title": "Om bidraget", "description": "Läs *först*."},
                            "name": {"type": "string", "maxLength": 20, "title": "Namn"}}, slug="heading")
    url = serve(app, heading)
    html = app.test_client().get(url).get_data(as_text=True)
    assert "<strong>Om bidraget</strong>" in html and "<em>först</em>" in html
    assert not re.search(r'<input[^>]*name="heading"[^>]*type="text"', html)
    html = app.test_client().post(url, data={"name": "Anna", "heading": "ignorerat"}).get_data(as_text=True)
    assert shown_document(html) == {"name": "Anna"}
