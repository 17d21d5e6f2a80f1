"""Any property name works: inputs carry safe HTML names, posted data maps back to the real
names, labels read well without a title; and posted row indices from strangers (Unicode
digits, 5000-digit numbers, names that merely start like a table's) never raise."""
import re

import pytest
from werkzeug.datastructures import MultiDict

from casetypes.loader import BASE_URI, compile_case_type
from casetypes.spec import html_keys, readable_name
from webforms import bind, blank, judge
from webforms.caseform import apply_row_action, to_formdata
from webforms.names import parse_row_index

ODD_NAMES = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Udda namn",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "firstName": {"type": "string", "maxLength": 40},
        "last_name": {"type": "string", "maxLength": 40},
        "Förnamn (enligt ID)": {"type": "string", "maxLength": 40},
        "e-post": {"type": "string", "maxLength": 40, "title": "E-post"},
        "action": {"type": "string", "maxLength": 40},
        "data": {"type": "string", "maxLength": 40},
        "csrf_token": {"type": "string", "maxLength": 40},
        "people list": {
            "type": "array", "maxItems": 3,
            "items": {"type": "object", "additionalProperties": False,
                      "properties": {"full name": {"type": "string", "maxLength": 40}}},
        },
    },
    "required": ["firstName", "people list"],
}
DOCUMENT = {"firstName": "Tolvan", "last_name": "Tolvansson", "Förnamn (enligt ID)": "Tolvan",
            "e-post": "t@example.se", "action": "a", "data": "d", "csrf_token": "c",
            "people list": [{"full name": "Anna"}, {"full name": "Bo"}]}


def case_type_of(schema: dict, slug: str = "udda"):
    return compile_case_type(slug, {**schema, "$id": f"{BASE_URI}{slug}.json"}, f"{slug}.json")


@pytest.fixture(scope="module")
def odd():
    return case_type_of(ODD_NAMES)


@pytest.mark.parametrize("name, label", [
    ("firstName", "First name"), ("first_name", "First name"), ("HSAId", "HSA id"),
    ("förnamn", "Förnamn"), ("postalCode", "Postal code"), ("URLPath", "URL path"),
])
def test_a_name_without_title_reads_as_words(name, label):
    assert readable_name(name) == label


def test_keys_are_safe_unique_and_keep_plain_names():
    keys = html_keys(["namn", "firstName", "action", "data", "Förnamn (ID)", "f1_firstname", "", "😀"])
    assert keys["namn"] == "namn"  # shipped forms post what they always did
    assert keys["Förnamn (ID)"] == "f4_fornamn_id"
    assert len(set(keys.values())) == len(keys)
    assert all(key.isascii() and "-" not in key for key in keys.values())
    assert keys["action"] != "action" and keys["data"] != "data"


def test_odd_names_round_trip_through_the_form(odd):
    formdata = to_formdata(odd.fields, DOCUMENT)
    assert "action" not in formdata and "csrf_token" not in formdata and "data" not in formdata
    assert bind(odd, formdata).document() == DOCUMENT
    assert judge(odd, formdata) == (DOCUMENT, [])


def test_a_message_for_an_odd_name_lands_on_its_input(odd):
    document = {**DOCUMENT, "firstName": ""}
    caseform = bind(odd, to_formdata(odd.fields, document))
    assert not caseform.validate()
    key = odd.spec_at(("firstName",)).key
    assert caseform.errors_by_name() == {key: ["Fältet måste fyllas i."]}
    assert caseform.summary()[0][1] == "First name"


def test_rows_of_a_table_with_an_odd_name_are_added_and_removed(odd):
    table = odd.spec_at(("people list",)).key
    cell = odd.spec_at(("people list", 0, "full name")).key
    formdata = to_formdata(odd.fields, DOCUMENT)
    added = apply_row_action(odd, formdata, f"add:{table}")
    assert len(added.document()["people list"]) == 3
    removed = apply_row_action(odd, formdata, f"remove:{table}-0")
    assert removed.document()["people list"] == [{"full name": "Bo"}]
    assert f"{table}-0-{cell}" in formdata


@pytest.mark.parametrize("text, index", [
    ("0", 0), ("12", 12), ("0999", 999), ("²", None), ("١", None), ("", None), ("-1", None),
    ("9" * 5000, None), ("12345", None), ("1 ", None), ("x", None),
])
def test_the_row_index_parser_takes_only_short_ascii_digits(text, index):
    assert parse_row_index(text) == index


@pytest.mark.parametrize("row", ["²", "١", "9" * 5000, "00000001", "x", ""])
def test_hostile_row_indices_never_raise_and_add_no_row(odd, row):
    table = odd.spec_at(("people list",)).key
    cell = odd.spec_at(("people list", 0, "full name")).key
    formdata = MultiDict([(odd.spec_at(("firstName",)).key, "Tolvan"), (f"{table}-{row}-{cell}", "Ond")])
    expected = {"firstName": "Tolvan", "people list": []}
    assert judge(odd, formdata) == (expected, [])
    assert bind(odd, formdata).document() == expected
    assert apply_row_action(odd, formdata, f"remove:{table}-{row}").document() == expected
    assert apply_row_action(odd, formdata, f"add:{table}").document() == {**expected, "people list": [{}]}


def test_a_name_that_only_starts_like_the_table_is_not_a_row(odd):
    table = odd.spec_at(("people list",)).key
    formdata = MultiDict([(f"{table}5-0-_row", ""), (f"{table}x-1-_row", "")])
    assert bind(odd, formdata).document()["people list"] == []
    assert judge(odd, formdata)[0]["people list"] == []


def test_a_blank_form_with_odd_names_draws_every_label(odd, app):
    with app.test_request_context():
        from flask import render_template
        html = render_template("preview_form.html", caseform=blank(odd), document=None)
    for label in ("First name", "Last name", "Förnamn (enligt ID)", "E-post", "Action", "Data",
                  "Csrf token", "People list", "Full name"):
        assert f">{label}" in html, label
    assert html.count('name="csrf_token"') == 1  # the portal's own, not the property's
    assert not re.findall(r'<(?:input|textarea|select)[^>]*name="(?:action|data)"', html)
    key = odd.spec_at(("Förnamn (enligt ID)",)).key
    assert re.search(rf'<label for="{key}">Förnamn \(enligt ID\)</label>.*?<input[^>]*id="{key}"[^>]*name="{key}"', html, re.S)
