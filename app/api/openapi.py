"""The OpenAPI 3.1 document of /api/v1, built once at start from the case types the app loaded.

Each case type's frozen schema — the normalised, self-contained JSON Schema 2020-12 bundle whose
sha256 a case stores — is the component schema of its documents, as it is: OpenAPI 3.1's schema
objects are JSON Schema 2020-12, so nothing is translated. A new file in forms/ is in the API
with no code.

The request bodies' schemas below are the ones the views judge posted JSON by
(`body_problems`), so the document and the behaviour cannot drift apart.
"""
from __future__ import annotations

from urllib.parse import urldefrag, urljoin

from jsonschema import Draft202012Validator

from app.cases.statuses import STATUSES
from casetypes.files import FILE_TYPES

API_VERSION = "1.0.0"
IDEMPOTENCY_KEY_PATTERN = "^[A-Za-z0-9_.:-]{1,40}$"
CASE_NUMBER_PATTERN = "^[0-9]{4}-[0-9]{5,}$"


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def document_component(slug: str) -> str:
    return f"Document-{slug}"


# --- a frozen schema as a component -----------------------------------------------------------------

def pointer_token(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def resource_pointers(schema: dict, at: str) -> dict:
    """Each schema resource in the bundle ($id of the root and of every embedded file) -> its
    JSON pointer in the OpenAPI document."""
    found = {}

    def visit(node, pointer: str, base: str) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$id"), str):
                base = urljoin(base, node["$id"])
                found[urldefrag(base)[0]] = pointer
            for key, value in node.items():
                if key not in ("enum", "const", "default", "examples"):
                    visit(value, f"{pointer}/{pointer_token(key)}", base)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                visit(value, f"{pointer}/{index}", base)

    visit(schema, at, "")
    return found


def as_component(schema: dict, at: str) -> dict:
    """The frozen schema, placed at `at` in the OpenAPI document. Its keywords are kept as they
    are; only its references change spelling: a bundle resolves `$ref` against the `$id` of the
    resource around it (JSON Schema's rule), while OpenAPI tools resolve against the document
    they read, so each reference is written as the JSON pointer of the same target and the
    `$id`s, then unused, are left out. The schema text itself, as frozen and hashed, is what
    /api/v1/case-types serves."""
    pointers = resource_pointers(schema, at)

    def rewrite(node, base: str):
        if isinstance(node, dict):
            if isinstance(node.get("$id"), str):
                base = urljoin(base, node["$id"])
            out = {}
            for key, value in node.items():
                if key == "$id" or (key == "$schema" and node is not schema):
                    continue
                if key == "$ref" and isinstance(value, str):
                    out[key] = pointer_of(urljoin(base, value), pointers, value)
                elif key in ("enum", "const", "default", "examples"):
                    out[key] = value
                else:
                    out[key] = rewrite(value, base)
            return out
        if isinstance(node, list):
            return [rewrite(value, base) for value in node]
        return node

    return rewrite(schema, "")


def pointer_of(target: str, pointers: dict, written: str) -> str:
    resource, fragment = urldefrag(target)
    if resource not in pointers or (fragment and not fragment.startswith("/")):
        return written  # an anchor or a reference outside the bundle: left as written
    return "#" + pointers[resource] + fragment


# --- request bodies (also the judges of what is posted) -------------------------------------------

STATUS_CHANGE = {
    "type": "object",
    "properties": {
        "action": {"enum": ["take", "close", "reopen"],
                   "description": "take: Inskickat → Under handläggning; close: → Avslutat; reopen: Avslutat → Under handläggning."},
        "version": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1,
                    "description": "Ärendets version som du senast hämtade (optimistisk låsning)."},
        "message": {"type": "string", "maxLength": 5000,
                    "description": "Meddelande till kunden som skickas med när ärendet avslutas."},
    },
    "required": ["action", "version"],
    "additionalProperties": False,
}

NEW_MESSAGE = {
    "type": "object",
    "properties": {
        "body": {"type": "string", "minLength": 1, "maxLength": 5000, "pattern": "\\S"},
        "internal": {"type": "boolean", "default": False,
                     "description": "En intern anteckning som kunden aldrig ser."},
        "idempotency_key": {"type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN,
                            "description": "Samma nyckel igen ger samma meddelande, inte ett till."},
    },
    "required": ["body"],
    "additionalProperties": False,
}

BODY_SCHEMAS = {"StatusChange": STATUS_CHANGE, "NewMessage": NEW_MESSAGE}

# What each property of a body must be, in words, for the 400 problem.
PROPERTY_TEXTS = {
    "action": "action ska vara take, close eller reopen.",
    "version": "version ska vara ett heltal från 1, ärendets version som du senast hämtade.",
    "message": "message ska vara text på högst 5000 tecken.",
    "body": "body ska vara text på 1–5000 tecken, inte bara blanksteg.",
    "internal": "internal ska vara true eller false.",
    "idempotency_key": "idempotency_key ska vara 1–40 tecken: bokstäver a–z, siffror och _ . : -.",
}


def error_text(error) -> str:
    if error.validator == "required":
        return f"Fältet {error.message.split(chr(39))[1]} saknas."
    if error.validator == "additionalProperties":
        return "Okända fält: " + ", ".join(sorted(set(error.instance) - set(error.schema.get("properties", {})))) + "."
    if error.path:
        return PROPERTY_TEXTS.get(str(error.path[0]), "Ogiltigt värde.")
    return "Innehållet ska vara ett JSON-objekt."


def body_problems(name: str, body) -> list[str]:
    """Swedish sentences, one per thing wrong with the posted body; none when it is valid."""
    validator = Draft202012Validator(BODY_SCHEMAS[name])
    return sorted({error_text(error) for error in validator.iter_errors(body)})


# --- answers ---------------------------------------------------------------------------------------

TIMESTAMP = {"type": "string", "format": "date-time"}
OPTIONAL_TIMESTAMP = {"type": ["string", "null"], "format": "date-time"}

PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details; title och detail på svenska.",
    "properties": {"type": {"type": "string", "format": "uri"}, "title": {"type": "string"},
                   "status": {"type": "integer"}, "detail": {"type": "string"},
                   "errors": {"type": "array", "items": {"type": "string"}},
                   "current_version": {"type": "integer"}},
    "required": ["type", "title", "status", "detail"],
}

CASE_SUMMARY_PROPERTIES = {
    "number": {"type": "string", "description": "Ärendenummer ÅÅÅÅ-NNNNN."},
    "case_type": {"type": "string", "description": "Ärendetypens slug."},
    "case_type_title": {"type": "string"},
    "schema_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$",
                      "description": "sha256 av det frysta schema ärendet skickades in under."},
    "status": {"enum": list(STATUSES)},
    "version": {"type": "integer", "description": "Skickas med vid statusändring (optimistisk låsning)."},
    "organisation_name": {"type": "string"},
    "filed_at": TIMESTAMP,
    "updated_at": TIMESTAMP,
    "closed_at": OPTIONAL_TIMESTAMP,
}

CASE_SUMMARY = {"type": "object", "properties": CASE_SUMMARY_PROPERTIES,
                "required": sorted(CASE_SUMMARY_PROPERTIES), "additionalProperties": False}

MESSAGE = {
    "type": "object",
    "properties": {"id": {"type": "integer"}, "body": {"type": "string"}, "internal": {"type": "boolean"},
                   "from_ombud": {"type": "boolean", "description": "Skrivet av handläggare eller via API."},
                   "author": {"type": "string"}, "created_at": TIMESTAMP},
    "required": ["id", "body", "internal", "from_ombud", "author", "created_at"],
    "additionalProperties": False,
}

STATUS_CHANGE_RECORD = {
    "type": "object",
    "properties": {"from_status": {"type": ["string", "null"]}, "to_status": {"type": "string"},
                   "at": TIMESTAMP, "by": {"type": "string"}},
    "required": ["from_status", "to_status", "at", "by"],
    "additionalProperties": False,
}

ATTACHMENT = {
    "type": "object",
    "properties": {"id": {"type": "string"}, "name": {"type": "string", "description": "Det rensade filnamnet."},
                   "media_type": {"enum": list(FILE_TYPES)}, "size": {"type": "integer", "minimum": 1},
                   "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                   "message_id": {"type": ["integer", "null"], "description": "Meddelandet filen hör till; null för ärendets egna filer."},
                   "created_at": TIMESTAMP,
                   "href": {"type": "string", "description": "Adressen att hämta filen på (samma nyckel)."}},
    "required": ["id", "name", "media_type", "size", "sha256", "message_id", "created_at", "href"],
    "additionalProperties": False,
}

CASE_TYPE_PROPERTIES = {
    "slug": {"type": "string"}, "title": {"type": "string"}, "description": {"type": "string"},
    "active": {"type": "boolean", "description": "Om kunder kan välja typen för nya ärenden."},
    "version": {"type": "string", "description": "De första tolv tecknen av sha256."},
    "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
    "schema": {"type": "object", "description": "Det normaliserade, självständiga JSON Schema 2020-12 som nya ärenden fryses under."},
}


CASE_TYPE = {"type": "object", "properties": CASE_TYPE_PROPERTIES, "required": sorted(CASE_TYPE_PROPERTIES),
             "additionalProperties": False}


def document_by_type(case_type) -> dict:
    """A case of this type filed under its current version: the document is valid by that
    version's schema. A case filed under an older version (or a type since removed) is valid by
    its own frozen schema, which schema_sha256 names; it is described only as an object."""
    return {"if": {"properties": {"case_type": {"const": case_type.slug}, "schema_sha256": {"const": case_type.sha256}},
                   "required": ["case_type", "schema_sha256"]},
            "then": {"properties": {"document": ref(document_component(case_type.slug))}}}


def case_schema(case_types: list) -> dict:
    properties = {**CASE_SUMMARY_PROPERTIES,
                  "orderer": {"type": "object", "description": "Beställarens uppgifter när ärendet skickades in."},
                  "document": {"type": "object", "description": "Ärendets innehåll, giltigt enligt det frysta schema som schema_sha256 anger."},
                  "status_history": {"type": "array", "items": ref("StatusChangeRecord")},
                  "messages": {"type": "array", "items": ref("Message"),
                               "description": "Interna anteckningar bara för nycklar med omfånget write."},
                  "attachments": {"type": "array", "items": ref("Attachment"),
                                  "description": "Ärendets och meddelandenas bilagor; interna anteckningars bara för omfånget write."}}
    found = {"type": "object", "properties": properties, "required": sorted(properties), "additionalProperties": False}
    if case_types:
        found["allOf"] = [document_by_type(case_type) for case_type in case_types]
    return found


# --- operations ------------------------------------------------------------------------------------

def problem_responses(*statuses: int) -> dict:
    shown = {401: "API-nyckel saknas, är ogiltig, återkallad eller utgången.",
             403: "Nyckelns omfång räcker inte (read försöker skriva).",
             400: "Felaktig parameter eller JSON.", 404: "Finns inte.", 409: "Konflikt.",
             415: "Inte application/json.", 422: "Innehållet går inte att använda.",
             429: "För många anrop med nyckeln, eller för många ogiltiga nycklar från samma adress.",
             503: "Tillfälligt otillgänglig."}
    always = (401, 429)
    answers = {str(status): {"description": shown[status], "content": {"application/problem+json": {"schema": ref("Problem")}}}
               for status in sorted({*statuses, *always})}
    answers["default"] = {"description": "Annat fel.", "content": {"application/problem+json": {"schema": ref("Problem")}}}
    return answers


def json_answer(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


FILE_ID_PARAMETER = {"name": "file_id", "in": "path", "required": True,
                     "description": "Bilagans id (id i ärendets attachments).", "schema": {"type": "string", "maxLength": 64}}
BINARY = {"type": "string", "format": "binary"}

NUMBER_PARAMETER = {"name": "number", "in": "path", "required": True, "description": "Ärendenummer, till exempel 2026-00001.",
                    "schema": {"type": "string", "maxLength": 20}}


def operation(summary: str, answers: dict, *, scope: str = "read", parameters: list | None = None,
              body: str | None = None, operation_id: str) -> dict:
    found = {"operationId": operation_id, "summary": summary, "description": f"Kräver omfånget {scope}.",
             "responses": answers, "security": [{"bearer": []}]}
    if parameters:
        found["parameters"] = parameters
    if body:
        found["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(body)}}}
    return found


def paths() -> dict:
    list_parameters = [
        {"name": "status", "in": "query", "schema": {"enum": list(STATUSES)}},
        {"name": "case_type", "in": "query", "schema": {"type": "string", "maxLength": 64}},
        {"name": "filed_since", "in": "query", "description": "ÅÅÅÅ-MM-DD (svensk tid) eller RFC 3339-tidpunkt med tidszon.",
         "schema": {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]}},
        {"name": "after", "in": "query", "description": "next_cursor från föregående sida.",
         "schema": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}},
        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 25}},
    ]
    case_page = {"type": "object", "properties": {"items": {"type": "array", "items": ref("CaseSummary")},
                                                  "next_cursor": {"type": ["integer", "null"]}},
                 "required": ["items", "next_cursor"], "additionalProperties": False}
    return {
        "/api/v1/case-types": {"get": operation(
            "Ärendetyperna med sina aktuella scheman och versioner",
            {"200": json_answer("Ärendetyperna.", {"type": "array", "items": ref("CaseType")}), **problem_responses(403)},
            operation_id="listCaseTypes")},
        "/api/v1/cases": {"get": operation(
            "Ärenden, äldst först, sida för sida (keyset)",
            {"200": json_answer("En sida ärenden.", case_page), **problem_responses(400, 403)},
            parameters=list_parameters, operation_id="listCases")},
        "/api/v1/cases/{number}": {"get": operation(
            "Ett ärende: status, historik, beställare, dokument och meddelanden",
            {"200": json_answer("Ärendet.", ref("Case")), **problem_responses(403, 404)},
            parameters=[NUMBER_PARAMETER], operation_id="getCase")},
        "/api/v1/cases/{number}/pdf": {"get": operation(
            "Ärendet som PDF",
            {"200": {"description": "PDF:en.", "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
             **problem_responses(403, 404, 503)},
            parameters=[NUMBER_PARAMETER], operation_id="getCasePdf")},
        "/api/v1/cases/{number}/attachments/{file_id}": {"get": operation(
            "En bilaga till ärendet, som nedladdning (Content-Disposition: attachment)",
            {"200": {"description": "Filen, med den typ den kontrollerades som.",
                     "content": {media_type: {"schema": BINARY} for media_type in FILE_TYPES}},
             **problem_responses(403, 404)},
            parameters=[NUMBER_PARAMETER, FILE_ID_PARAMETER], operation_id="getCaseAttachment")},
        "/api/v1/cases/{number}/status": {"post": operation(
            "Ändra status med den version du såg (409 om någon hunnit före)",
            {"200": json_answer("Ärendet efter ändringen.", ref("CaseSummary")), **problem_responses(400, 403, 404, 409, 415, 422)},
            scope="write", parameters=[NUMBER_PARAMETER], body="StatusChange", operation_id="changeStatus")},
        "/api/v1/cases/{number}/messages": {"post": operation(
            "Skriv ett meddelande till kunden eller en intern anteckning",
            {"201": json_answer("Meddelandet.", ref("Message")), "200": json_answer("Samma idempotensnyckel: meddelandet som redan finns.", ref("Message")),
             **problem_responses(400, 403, 404, 409, 415, 422)},
            scope="write", parameters=[NUMBER_PARAMETER], body="NewMessage", operation_id="postMessage")},
    }


def build_document(case_types: list) -> dict:
    """The whole document for the given case types (in display order)."""
    documents = {document_component(case_type.slug):
                 as_component(case_type.schema, f"/components/schemas/{document_component(case_type.slug)}")
                 for case_type in case_types}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Kundportalen API", "version": API_VERSION,
                 "description": "Ärenden och ärendetyper för ombudets system. Varje ärendetyps schema "
                                "(Document-<slug>) genereras från filerna i forms/."},
        "servers": [{"url": "/"}],
        "paths": paths(),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "API-nyckel från `flask --app app tokens create`."}},
            "schemas": {"Problem": PROBLEM, "CaseSummary": CASE_SUMMARY, "Message": MESSAGE,
                        "Attachment": ATTACHMENT, "StatusChangeRecord": STATUS_CHANGE_RECORD, "CaseType": CASE_TYPE,
                        "Case": case_schema(case_types), **BODY_SCHEMAS, **documents},
        },
    }
