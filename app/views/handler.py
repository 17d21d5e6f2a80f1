"""The ombud's handlers: the queue ("Ärenden", with "Mina ärenden" and "Ej tilldelade"), the case
page with thread, status history and audit trail, status changes, assignment ("Tilldela mig",
to a named handler, "Lämna tillbaka"), replies and internal notes, PDF and CSV export."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, request, url_for

from app.accounts.ratelimit import limited_per_user
from app.accounts.sessions import handler_required
from app.cases import attachments, documents, handling, statuses
from app.cases.types import case_types
from app.platform.inputs import database_int, takes_uploads
from app.views import shared

bp = Blueprint("handler", __name__, url_prefix="/handlaggare")


@bp.get("/arenden")
@handler_required
def queue():
    """The queue by the filters in the address; a search term only by the token of a saved
    search (POST /arenden/sok), so no organisationsnummer ever stands in a URL or access log."""
    token = request.args.get("sok", "")
    query = handling.saved_search(g.user, token) if token else ""
    criteria = handling.QueueFilter(status=request.args.get("status", "open"),
                                    case_type=request.args.get("typ", ""), query=query or "",
                                    assigned=request.args.get("tilldelad", ""))
    page = handling.queue(g.user, criteria, after=request.args.get("efter", type=database_int))
    return render_template("handler/queue.html", page=page, counts=statuses.status_counts(), criteria=criteria,
                           case_types=list(case_types().values()), statuses=statuses.STATUSES,
                           search_token=token if query else None, search_gone=query is None)


@bp.post("/arenden/sok")
@handler_required
@limited_per_user("searches", "SEARCHES_PER_USER")
def search():
    """The filter form: the term is kept server-side and the queue shown by a redirect (PRG),
    so reloading and paging work and the address holds only a random token."""
    text = request.form.get("q", "").strip()
    filters = {"status": request.form.get("status", "open"), "typ": request.form.get("typ", ""),
               "tilldelad": request.form.get("tilldelad", "")}
    token = handling.save_search(g.user, text) if text else None
    shown = {name: value for name, value in {**filters, "sok": token}.items() if value}
    return redirect(url_for("handler.queue", **shown), 303)


def case_or_404(number: str):
    case = handling.case_by_number(number)
    if case is None:
        abort(404)
    return case


@bp.get("/arenden/<number>")
@handler_required
def case_page(number: str):
    case = handling.case_to_open(number, g.user)  # with the read mark and the bell's news about it
    if case is None:
        abort(404)
    return handler_page(case)


def handler_page(case, status: int = 200, **shown_again):
    audit = handling.audited_view(g.user, case)
    thread = handling.thread(case, include_internal=True)
    handling.read_on_opening(case, g.user, thread)
    file_url = lambda file_id: url_for("handler.attachment", number=case.number, file_id=file_id)  # noqa: E731
    html = render_template("handler/case.html", case=case, **documents.page_context(case, file_url),
                           thread=thread, thread_files=attachments.of_messages(thread),
                           file_endpoint="handler.attachment",
                           history=handling.case_history(case), audit=audit,
                           audit_text=handling.audit_text, handlers=handling.active_handlers(),
                           **{**shared.message_form_context(), **shown_again})
    return html, status


def case_of_expired_form():
    user = g.get("user")
    if user is None or not user.is_handler:
        return None
    return handling.case_by_number(request.view_args.get("number", ""))


def rerender_message_after_expired_token():
    """CSRF token too old on the reply form: the case page again, with the text kept."""
    case = case_of_expired_form()
    return None if case is None else handler_page(case, 400, **shared.message_after_expired_token())


def rerender_message_too_large(notice: str, file_messages: dict[str, str]):
    """A reply over the request limit: the case page with the text and the kept files."""
    case = case_of_expired_form()
    return None if case is None else handler_page(case, 413, **shared.message_too_large(file_messages))


def rerender_closing_after_expired_token():
    """CSRF token too old on "Avsluta ärendet": nothing changed; the closing message is kept."""
    case = case_of_expired_form() if request.form.get("action") == "close" else None
    return None if case is None else handler_page(case, 400, closing_problem=shared.EXPIRED_FORM,
                                                  closing_text=request.form.get("meddelande", ""))


@bp.post("/arenden/<number>/status")
@handler_required
@limited_per_user("status-changes", "STATUS_CHANGES_PER_USER")  # each one may queue an e-mail
def change_status(number: str):
    case = case_or_404(number)
    seen_version = request.form.get("version", type=database_int)
    if seen_version is None:  # the page always posts the version it showed: this was forged
        abort(400)
    try:
        handling.change_status(case, request.form.get("action", ""), g.user,
                               seen_version, request.form.get("meddelande", ""))
    except handling.Conflict:
        flash("Ärendet har ändrats av någon annan sedan du öppnade det. Se över det och försök igen.", "error")
        return handler_page(case, 409)
    except handling.NotAllowed:
        flash("Det går inte att göra så med ärendet i dess nuvarande status.", "error")
    except handling.EmptyMessage as problem:  # the closing message: nothing changed, nothing lost
        return handler_page(case, 422, closing_problem=str(problem), closing_text=request.form.get("meddelande", ""))
    return redirect(url_for("handler.case_page", number=number), 303)


# What the assignment form's buttons ask for, by their value.
ASSIGNMENT_CHOICES = {
    "mig": lambda: g.user,
    "vald": lambda: handling.active_handler(request.form.get("handlaggare", type=database_int)),
    "lamna": lambda: None,
}
UNKNOWN_HANDLER = "Välj en handläggare i listan."


@bp.post("/arenden/<number>/tilldela")
@handler_required
@limited_per_user("status-changes", "STATUS_CHANGES_PER_USER")
def assign(number: str):
    """"Tilldela mig", "Tilldela" (the handler chosen in the list) or "Lämna tillbaka"."""
    case = case_or_404(number)
    seen_version = request.form.get("version", type=database_int)
    choice = request.form.get("action", "")
    if seen_version is None or choice not in ASSIGNMENT_CHOICES:  # the page always posts both
        abort(400)
    assignee = ASSIGNMENT_CHOICES[choice]()
    if choice == "vald" and assignee is None:
        return handler_page(case, 422, assign_problem=UNKNOWN_HANDLER)
    try:
        handling.assign(case, g.user, assignee, seen_version)
    except handling.Conflict:
        flash("Ärendet har ändrats av någon annan sedan du öppnade det. Se över det och försök igen.", "error")
        return handler_page(case, 409)
    return redirect(url_for("handler.case_page", number=number), 303)


@bp.post("/arenden/<number>/avsluta")
@handler_required
def confirm_close(number: str):
    """The step between "Avsluta ärendet" and closing, without JavaScript (with it, a dialog
    asks instead and the form goes straight to the status change). Changes nothing itself;
    "Tillbaka" shows the case again with the closing message as typed."""
    case = case_or_404(number)
    closing_text = request.form.get("meddelande", "")
    if request.form.get("steg") == "tillbaka" or case.status == statuses.CLOSED:
        return handler_page(case, closing_text=closing_text)
    return render_template("handler/confirm_close.html", case=case, closing_text=closing_text,
                           version=request.form.get("version", type=int) or 0)


@bp.post("/arenden/<number>/meddelanden")
@takes_uploads
@handler_required
@limited_per_user("messages", "MESSAGES_PER_USER")  # each reply may queue an e-mail
def post_message(number: str):
    case = case_or_404(number)
    if refused := shared.post_message_from_form(case, internal=request.form.get("intern") == "y"):
        return handler_page(case, 422, **refused)
    return redirect(url_for("handler.case_page", number=number) + "#meddelanden", 303)


@bp.get("/arenden/<number>/bilagor/<file_id>")
@handler_required
@limited_per_user("pdfs", "PDFS_PER_USER")
def attachment(number: str, file_id: str):
    """Every handler download is in the audit trail."""
    case = case_or_404(number)
    found = attachments.of_case(case, file_id, handler=True)
    if found is None:
        abort(404)
    handling.audit(g.user, case, "bilaga")
    return shared.attachment_response(found)


@bp.get("/arenden/<number>/pdf")
@handler_required
def pdf(number: str):
    case = case_or_404(number)
    handling.audit(g.user, case, "pdf")
    return shared.pdf_response(case)


@bp.get("/arenden/<number>/tabell-<int:index>.csv")
@handler_required
@limited_per_user("pdfs", "PDFS_PER_USER")
def table_csv(number: str, index: int):
    case = case_or_404(number)
    tables = documents.tables(documents.case_tree(case))
    if not 0 <= index < len(tables):
        abort(404)
    handling.audit(g.user, case, "csv")
    response = make_response(documents.table_csv(tables[index].columns, tables[index].rows))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{case.number}-{index + 1}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
