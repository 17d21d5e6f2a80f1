"""Logging: one JSON object a line (python-json-logger), each carrying the request id.

Every request gets an id: the `X-Request-ID` a load balancer sent, when it is a plain token, or a
new random one. It is on every log line written while the request runs, in the response's
`X-Request-ID` header, and on the error page ("Felkod"), so a customer's report, the proxy's log
and the portal's log meet. `log_format = "text"` keeps plain lines for a developer's terminal.
Nothing here logs request bodies, query strings or personnummer: an access line holds the
route's name, never the address a person asked for.
"""
from __future__ import annotations

import logging
import re
import secrets
import sys
import time

from flask import g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
ACCEPTED_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}\Z")  # what a proxy's id looks like; anything else is replaced
FIELDS = "%(levelname)s %(name)s %(message)s"
access_log = logging.getLogger("kundportalen.access")


def current_request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


class RequestIdFilter(logging.Filter):
    """Stamps each record with the id of the request it was written in (or none, outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


def formatter(kind: str) -> logging.Formatter:
    if kind == "json":
        # timestamp: ISO 8601 in UTC, which every log collector reads
        return JsonFormatter(FIELDS, rename_fields={"levelname": "level", "name": "logger"}, timestamp="time")
    return logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")


def configure(kind: str, level: str = "INFO") -> None:
    """One handler on the root logger: the app's, peewee's, gunicorn's and the worker's lines
    all come out in the same form."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(kind))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "kundportalen", False)]:
        root.removeHandler(old)
    handler.kundportalen = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)


def incoming_request_id() -> str:
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    return offered if ACCEPTED_REQUEST_ID.match(offered) else secrets.token_hex(8)


def init_app(app) -> None:
    if app.config.get("LOG_FORMAT", "json") != "none":
        configure(app.config.get("LOG_FORMAT", "json"), app.config.get("LOG_LEVEL", "INFO"))

    @app.before_request
    def _assign_request_id():
        g.request_id = incoming_request_id()
        g.request_started = time.perf_counter()

    @app.after_request
    def _echo_request_id(response):
        response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
        if app.config.get("ACCESS_LOG"):
            access_log.info("svar", extra={"route": request.endpoint, "method": request.method,
                                           "status": response.status_code,
                                           "ms": round((time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000, 1)})
        return response
