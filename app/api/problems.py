"""Errors of /api as `application/problem+json` (RFC 9457), with a Swedish title and detail.

Every error under /api answers this way, whoever raised it: the API's own refusals (ApiProblem),
and the portal's error handlers (404 for an unknown address, 405, 413, 429, 500, 503), which
ask `is_api_request` and hand over to `problem_response` instead of drawing an HTML page.
"""
from __future__ import annotations

from flask import Response, json, request

from app.platform.logs import current_request_id

API_PREFIX = "/api/"
PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "urn:kundportalen:problem:"

# status -> (type slug, title, detail) for errors that carry nothing more specific.
STANDARD = {
    400: ("felaktig-begaran", "Felaktig begäran", "Begäran kunde inte tolkas."),
    401: ("ej-inloggad", "Autentisering krävs", "Skicka en giltig API-nyckel som Authorization: Bearer <nyckel>."),
    403: ("otillrackligt-omfang", "Åtkomst nekad", "API-nyckeln har inte behörighet till detta."),
    404: ("finns-inte", "Finns inte", "Adressen eller ärendet finns inte."),
    405: ("fel-metod", "Fel metod", "Adressen kan inte användas med den metoden."),
    409: ("konflikt", "Konflikt", "Ärendet har ändrats sedan du hämtade det."),
    413: ("for-stor", "För mycket data", "Begäran är för stor."),
    415: ("fel-innehallstyp", "Fel innehållstyp", "Skicka innehållet som application/json."),
    422: ("ogiltigt-innehall", "Ogiltigt innehåll", "Innehållet uppfyller inte beskrivningen i OpenAPI-dokumentet."),
    429: ("for-manga-anrop", "För många anrop", "API-nyckeln har gjort för många anrop den senaste minuten. Vänta och försök igen."),
    500: ("internt-fel", "Något gick fel", "Ett oväntat fel inträffade. Försök igen om en stund."),
    503: ("tillfalligt-otillganglig", "Tjänsten är tillfälligt otillgänglig", "Försök igen om en stund."),
}


class ApiProblem(Exception):
    """Raised by the API's services and views; answered by problem_response."""

    def __init__(self, status: int, detail: str | None = None, *, kind: str | None = None,
                 title: str | None = None, headers: dict | None = None, **extra):
        slug, standard_title, standard_detail = STANDARD[status]
        super().__init__(detail or standard_detail)
        self.status = status
        self.kind = kind or slug
        self.title = title or standard_title
        self.detail = detail or standard_detail
        self.headers = headers or {}
        self.extra = extra


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def problem_response(problem: ApiProblem) -> Response:
    request_id = current_request_id()
    body = {"type": TYPE_BASE + problem.kind, "title": problem.title, "status": problem.status,
            "detail": problem.detail, **({"request_id": request_id} if request_id else {}), **problem.extra}
    response = Response(json.dumps(body, ensure_ascii=False), status=problem.status,
                        content_type=PROBLEM_MEDIA_TYPE + "; charset=utf-8")
    response.headers.update(problem.headers)
    response.headers["Cache-Control"] = "no-store"
    return response


def standard_problem(status: int, error=None, request_id: str | None = None) -> Response:
    """The portal's error handlers' answer under /api (app.views.errors); a 405 keeps its Allow
    header, and each the request's id (the log lines to look for)."""
    allowed = getattr(error, "valid_methods", None)
    extra = {"request_id": request_id} if request_id else {}
    return problem_response(ApiProblem(status if status in STANDARD else 500,
                                       headers={"Allow": ", ".join(allowed)} if allowed else None, **extra))
