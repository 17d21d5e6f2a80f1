"""/api/v1 for the ombud's systems: API tokens (tokens.py and the `flask tokens` command), the
JSON the API answers with (cases.py), its OpenAPI 3.1 document built at start from the case
types (openapi.py) and its errors as problem+json (problems.py). The routes are the thin
blueprint app.views.api.
"""
from __future__ import annotations

from flask import current_app, json

from app.api import openapi, tokens
from app.api.problems import ApiProblem, problem_response

OPENAPI_KEY = "kundportalen.openapi"


def init_app(app) -> None:
    """After the case types are loaded (app.cases.types): the document is built once, here."""
    from app.cases.types import case_types

    with app.app_context():
        document = openapi.build_document(list(case_types().values()))
    app.extensions[OPENAPI_KEY] = (document, json.dumps(document, ensure_ascii=False).encode("utf-8"))
    app.register_error_handler(ApiProblem, problem_response)
    app.cli.add_command(tokens.tokens_cli)


def openapi_document() -> dict:
    return current_app.extensions[OPENAPI_KEY][0]


def openapi_bytes() -> bytes:
    return current_app.extensions[OPENAPI_KEY][1]
