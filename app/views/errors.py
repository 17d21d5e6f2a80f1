"""Friendly Swedish error pages with a correlation id; never a stack trace."""
from __future__ import annotations

from flask import g, render_template, request
from flask_wtf.csrf import CSRFError
from peewee import InterfaceError, OperationalError
from playhouse.pool import MaxConnectionsExceeded
from werkzeug.exceptions import SecurityError

from app.api import problems
from app.platform.extensions import db
from app.platform.logs import current_request_id

from . import customer, drafts, handler, kept, oversized

ERRORS = {
    400: ("Felaktig begäran", "Begäran kunde inte behandlas. Gå tillbaka och försök igen."),
    403: ("Åtkomst nekad", "Du har inte behörighet till den här sidan."),
    404: ("Sidan finns inte", "Sidan du söker finns inte, eller så har du inte behörighet till den."),
    405: ("Fel metod", "Sidan kan inte användas på det sättet."),
    413: ("För mycket data", "Det du skickade var för stort. Korta ned texten eller skicka färre rader."),
    429: ("För många försök", "Du har gjort för många försök på kort tid. Vänta en minut och försök igen."),
    500: ("Något gick fel", "Ett oväntat fel inträffade. Försök igen om en stund."),
    503: ("Tjänsten är tillfälligt otillgänglig", "Försök igen om en stund."),
}


# Views whose form is shown again, with what was typed, when its CSRF token has expired (C3).
RERENDER_ON_EXPIRED_TOKEN = {
    "cases.submit": customer.rerender_after_expired_token,
    "drafts.save": drafts.rerender_after_expired_token,
    "cases.post_message": customer.rerender_message_after_expired_token,
    "handler.post_message": handler.rerender_message_after_expired_token,
    "handler.change_status": handler.rerender_closing_after_expired_token,
}


# Case forms whose post is kept as a draft when the session had ended (app.views.kept).
KEPT_WHEN_LOGGED_OUT = {"cases.submit": kept.FROM_FORM, "drafts.save": kept.FROM_DRAFT_BUTTON}


# Views whose form is shown again, with what was typed, when what it posted is over the limit.
RERENDER_WHEN_TOO_LARGE = {
    "cases.submit": customer.rerender_too_large,
    "drafts.save": drafts.rerender_too_large,
    "cases.post_message": customer.rerender_message_too_large,
    "handler.post_message": handler.rerender_message_too_large,
}


def too_large(error):
    """413: the form again where it can be (app.views.oversized), else a page naming the limit
    with a link back; under /api a problem."""
    if problems.is_api_request():
        return problems.standard_problem(413, error, current_request_id())
    rerender = RERENDER_WHEN_TOO_LARGE.get(request.endpoint or "")
    chosen = oversized.read_again() if rerender else None
    page = rerender(oversized.notice(chosen), oversized.messages_by_field(chosen)) if chosen is not None else None
    if page is not None:
        return page
    return render_template("error.html", title=ERRORS[413][0], text=oversized.plain_text(), back_url=oversized.back_link(),
                           correlation_id=current_request_id()), 413


def error_page(status: int, error=None):
    """The page for a status, with the request's id ("Felkod") that is also in the log; under
    /api a problem+json with the same id instead."""
    if problems.is_api_request():
        return problems.standard_problem(status, error, current_request_id())
    title, text = ERRORS[status]
    return render_template("error.html", title=title, text=text, correlation_id=current_request_id()), status


def init_app(app) -> None:
    app.register_error_handler(413, too_large)
    for status in ERRORS:
        if status not in (413, 500):
            app.register_error_handler(status, lambda error, status=status: error_page(status, error=error))

    @app.errorhandler(SecurityError)
    def untrusted_host(error):
        # No page template: building its links would need the very host that was refused.
        return "Ogiltig värd.", 400, {"Content-Type": "text/plain; charset=utf-8"}

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        kind = KEPT_WHEN_LOGGED_OUT.get(request.endpoint)
        if kind and g.get("user") is None:
            page = kept.keep_posted((request.view_args or {}).get("slug", ""), kind, csrf_failed=True)
            if page is not None:
                return page
        rerender = RERENDER_ON_EXPIRED_TOKEN.get(request.endpoint)
        page = rerender() if rerender else None
        if page is not None:
            return page
        title, text = "Sidan har gått ut", "Formuläret hade gått ut eller saknade en säkerhetsnyckel. Ladda om sidan och försök igen."
        return render_template("error.html", title=title, text=text, correlation_id=current_request_id()), 400

    @app.errorhandler(MaxConnectionsExceeded)
    def database_busy(error):
        # Every pooled connection is in use: answer at once rather than queue (L3).
        app.logger.warning("Databasens anslutningar är slut")
        g.database_gone = True
        return error_page(503)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unreachable(error):
        # PostgreSQL stopped or restarting, SQLite locked too long: a quick 503, and the next
        # request tries again (a broken pooled connection is not handed out twice).
        app.logger.warning("Databasen svarar inte: %s", type(error).__name__)
        if not db.is_closed():
            db.close()
        # A logged-in person's page asks for the bell's count: not now (the request got here
        # after its session was read, e.g. cut off in the middle of filing a case).
        g.database_gone = True
        return error_page(503)

    @app.errorhandler(500)
    def internal_error(error):
        app.logger.error("Internt fel", exc_info=getattr(error, "original_exception", None))
        return error_page(500)
