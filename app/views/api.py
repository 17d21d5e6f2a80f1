"""/api/v1: the thin JSON routes for the ombud's systems. Every request but the OpenAPI document
and its development page needs `Authorization: Bearer <API-nyckel>`; a browser's session
cookie counts for nothing here, and CSRF does not apply (no cookie is trusted). Each token's
requests are rate-limited per minute; errors are problem+json (app.api.problems).
"""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, Response, abort, current_app, g, json, render_template, request

from app import api
from app.accounts.ratelimit import count_now, hit, seconds_left_in_window
from app.api import cases, openapi, tokens
from app.api.problems import ApiProblem
from app.cases.types import case_types
from app.platform.extensions import csrf
from app.platform.inputs import cleaned, parse_database_int
from app.views import shared

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

OPEN_ENDPOINTS = {"api.openapi_json", "api.docs"}
# The query parameters each route reads; any other is refused, so a misspelt filter is an
# error rather than a silently unfiltered list.
QUERY_PARAMETERS = {"api.case_list": {"status", "case_type", "filed_since", "after", "limit"}}


TOO_MANY_FAILURES = ("För många anrop med ogiltiga, återkallade eller utgångna API-nycklar från din adress. "
                     "Vänta en minut och försök igen med en giltig nyckel.")


def failed_key() -> str:
    return f"api:failed:{request.remote_addr}"


def refuse_guessing() -> None:
    """An address that has sent too many tokens that fail gets 429 before its token is even
    looked up, for the rest of the minute: a right guess then answers like a wrong one, so
    tokens cannot be guessed (they could not anyway, at 256 bits; this keeps the log and the
    database quiet too). A valid token behind the same address waits with it."""
    if count_now(failed_key()) >= current_app.config["API_FAILED_TOKENS_PER_ADDRESS"]:
        current_app.logger.warning("API: för många ogiltiga nycklar från en adress; avvisas resten av minuten")
        raise ApiProblem(429, TOO_MANY_FAILURES, kind="for-manga-ogiltiga-nycklar",
                         headers={"Retry-After": str(seconds_left_in_window())})


@bp.before_request
def authenticate():
    if request.endpoint in OPEN_ENDPOINTS:
        return
    refuse_guessing()
    token = tokens.valid_token(request.headers.get("Authorization"))
    if token is None:
        if "Authorization" in request.headers:  # a token was tried and failed (no header: nothing guessed)
            hit(failed_key())
        raise ApiProblem(401, headers={"WWW-Authenticate": 'Bearer realm="api"'})
    if hit(f"api:token:{token.id}") > current_app.config["API_REQUESTS_PER_TOKEN"]:
        raise ApiProblem(429, headers={"Retry-After": "60"})
    g.api_token = token
    unknown = set(request.args) - QUERY_PARAMETERS.get(request.endpoint or "", set())
    if unknown:
        raise ApiProblem(400, "Okända parametrar: " + ", ".join(sorted(unknown))[:200] + ".", kind="okand-parameter")


@bp.after_request
def not_cached(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def needs_write(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not tokens.allows(g.api_token, "write"):
            raise ApiProblem(403, "API-nyckeln har omfånget read och får inte ändra något.")
        return view(*args, **kwargs)
    return wrapper


def as_json(value, status: int = 200) -> Response:
    return Response(json.dumps(value, ensure_ascii=False), status=status, content_type="application/json")


def int_argument(name: str, default: int | None, low: int, high: int) -> int | None:
    text = request.args.get(name)
    if text is None:
        return default
    number = parse_database_int(text)
    if number is None or not low <= number <= high:
        raise ApiProblem(400, f"{name} ska vara ett heltal {low}–{high}.")
    return number


def posted_json(body_name: str) -> dict:
    """The request's JSON object, judged by the schema the OpenAPI document shows for it."""
    if not request.is_json:
        raise ApiProblem(415)
    try:
        body = json.loads(request.get_data(cache=True))
    except (ValueError, RecursionError):
        raise ApiProblem(400, "Innehållet är inte giltig JSON.", kind="ogiltig-json") from None
    problems = openapi.body_problems(body_name, body)
    if problems:
        raise ApiProblem(400, " ".join(problems), kind="ogiltiga-falt", errors=problems)
    # Judged as sent, then cleaned: a message that is nothing but control characters is valid
    # JSON for its schema and refused by the thread (422), like a blank one from a person.
    return cleaned(body)


# --- the description -------------------------------------------------------------------------------

@bp.get("/openapi.json")
def openapi_json():
    return Response(api.openapi_bytes(), content_type="application/json")


@bp.get("/")
def docs():
    """A page listing the API's operations, in development only (nothing fetched from elsewhere)."""
    if current_app.config["ENV"] != "development":
        abort(404)
    return render_template("api/docs.html", document=api.openapi_document())


# --- reading ----------------------------------------------------------------------------------------

@bp.get("/case-types")
def case_type_list():
    return as_json([cases.case_type_json(case_type) for case_type in case_types().values()])


@bp.get("/cases")
def case_list():
    criteria = cases.case_filter(request.args.get("status"), request.args.get("case_type"),
                                 request.args.get("filed_since"))
    after = int_argument("after", None, 0, 2**31 - 1)
    limit = int_argument("limit", cases.PAGE_SIZE, 1, cases.PAGE_SIZE_MAX)
    page = cases.case_page(criteria, after, limit or cases.PAGE_SIZE)
    cases.audit_list(g.api_token)
    return as_json(page)


@bp.get("/cases/<number>")
def case_detail(number: str):
    token = g.api_token
    return as_json(cases.case_detail(cases.case_or_404(number), token, include_internal=tokens.allows(token, "write")))


@bp.get("/cases/<number>/pdf")
def case_pdf(number: str):
    case = cases.case_or_404(number)
    cases.audit_pdf(case, g.api_token)
    return shared.pdf_response(case)


@bp.get("/cases/<number>/attachments/<file_id>")
def case_attachment(number: str, file_id: str):
    """A file of the case, as the handler's download sends it: an attachment under its
    sanitised name, nosniff, sandboxed, not cached."""
    case = cases.case_or_404(number)
    return shared.attachment_response(cases.attachment_or_404(case, file_id, g.api_token))


# --- changing --------------------------------------------------------------------------------------

@bp.post("/cases/<number>/status")
@needs_write
def change_status(number: str):
    case = cases.case_or_404(number)
    body = posted_json("StatusChange")
    fresh = cases.change_status(case, g.api_token, body["action"], body["version"], body.get("message", ""))
    return as_json(cases.case_summary(fresh))


@bp.post("/cases/<number>/messages")
@needs_write
def post_message(number: str):
    case = cases.case_or_404(number)
    body = posted_json("NewMessage")
    key = body.get("idempotency_key")
    repeated = key is not None and cases.message_exists(g.api_token, key)
    message = cases.post_message(case, g.api_token, body["body"], internal=body.get("internal", False), idempotency_key=key)
    return as_json(cases.message_json(message), 200 if repeated else 201)
