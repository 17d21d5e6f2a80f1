"""The OpenAPI 3.1 document of /api/v1: valid by openapi-spec-validator, generated from the
case-type files (every case type, also the kitchen sink's, is a component schema that judges
documents exactly as the frozen schema does), and browsable in development as a plain page."""
from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.conftest import KITCHEN_SINK_DIR, make_app

SITHS_DOCUMENT = {"personer": [{"namn": "Anna Åkesson", "personnummer": "191212121212", "epost": "anna@example.se",
                                "kortutlamningskontor": "uppsala", "eget_kortkontor": False}]}


def served_document(app) -> dict:
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def component_validator(document: dict, name: str) -> Draft202012Validator:
    """A validator for one component, its references resolved inside the OpenAPI document as
    an OpenAPI tool resolves them."""
    registry = Registry().with_resource("urn:openapi", Resource(document, DRAFT202012))
    return Draft202012Validator({"$ref": f"urn:openapi#/components/schemas/{name}"}, registry=registry)


@pytest.mark.parametrize("forms_dir", ["forms", str(KITCHEN_SINK_DIR)], ids=["shipped", "kitchen-sink"])
def test_the_document_validates_and_holds_every_case_type(sqlite_url, forms_dir):
    app = make_app(sqlite_url, forms_dir=forms_dir)
    document = served_document(app)
    validate(document)  # raises on any deviation from OpenAPI 3.1
    loaded = app.extensions["kundportalen.case_types"].case_types
    assert loaded
    schemas = document["components"]["schemas"]
    for slug, case_type in loaded.items():
        assert f"Document-{slug}" in schemas
        assert {"if": {"properties": {"case_type": {"const": slug}, "schema_sha256": {"const": case_type.sha256}},
                       "required": ["case_type", "schema_sha256"]},
                "then": {"properties": {"document": {"$ref": f"#/components/schemas/Document-{slug}"}}}} \
            in schemas["Case"]["allOf"]


def test_a_component_judges_as_the_frozen_schema_does(sqlite_url):
    app = make_app(sqlite_url)
    document = served_document(app)
    case_type = app.extensions["kundportalen.case_types"].case_types["bestallning-av-siths-kort"]
    validator = component_validator(document, "Document-bestallning-av-siths-kort")
    wrong_office = json.loads(json.dumps(SITHS_DOCUMENT))
    wrong_office["personer"][0]["kortutlamningskontor"] = "narnia"  # the shared list, by reference
    for candidate in (SITHS_DOCUMENT, wrong_office, {}, {"personer": []}, {"personer": [{"namn": 1}]}):
        assert validator.is_valid(candidate) == case_type.validator.is_valid(candidate), candidate
    assert validator.is_valid(SITHS_DOCUMENT) and not validator.is_valid(wrong_office)


def test_a_new_case_type_file_is_in_the_api_with_no_code(sqlite_url, tmp_path):
    folder = tmp_path / "forms"
    folder.mkdir()
    (folder / "adressandring.json").write_text(json.dumps({
        "title": "Adressändring", "type": "object",
        "properties": {"ny_adress": {"type": "string", "title": "Ny adress"}}, "required": ["ny_adress"]}), "utf-8")
    document = served_document(make_app(sqlite_url, forms_dir=str(folder)))
    validate(document)
    component = document["components"]["schemas"]["Document-adressandring"]
    assert component["properties"]["ny_adress"]["type"] == "string" and component["additionalProperties"] is False


def test_the_description_is_browsable_in_development_only(sqlite_url):
    page = make_app(sqlite_url, env="development").test_client().get("/api/v1/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "text/html" in page.content_type
    for shown in ("GET /api/v1/cases", "POST /api/v1/cases/{number}/status", "Document-bestallning-av-siths-kort",
                  'href="/api/v1/openapi.json"', "Authorization: Bearer"):
        assert shown in html, shown
    assert "http://" not in html and "https://" not in html.replace("https://json-schema.org", "")  # nothing fetched
    hidden = make_app(sqlite_url).test_client().get("/api/v1/")
    assert hidden.status_code == 404 and hidden.mimetype == "application/problem+json"
