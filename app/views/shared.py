"""What the customer's and the handler's case pages share over HTTP: the PDF download (made by
app.cases.documents), the message form of the thread, and the tables' import templates
(app.cases.row_import) that the form and its preview offer."""
from __future__ import annotations

from flask import abort, g, make_response, request

from app.cases import documents, filing, handling


def template_response(template):
    """A table's import template as a download; 404 when the table does not exist."""
    if template is None:
        abort(404)
    response = make_response(template.content)
    response.headers["Content-Type"] = template.media_type
    response.headers["Content-Disposition"] = f'attachment; filename="{template.filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def pdf_response(case):
    try:
        content = documents.pdf(case)
    except documents.PdfUnavailable:
        abort(503)
    response = make_response(content)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{case.number}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


EXPIRED_FORM = "Sidan hade varit öppen länge och behövde laddas om. Kontrollera texten och skicka igen."


def posted_message_again(problem: str) -> dict:
    """What the page needs to show the posted message form again: the reason, the text as
    typed, the same form key (a second try still stores it once) and the internal-note box as
    it was ticked, so a note never turns into a reply to the customer on the way."""
    return {"message_problem": problem, "message_text": request.form.get("meddelande", ""),
            "form_key": filing.posted_form_key(request.form.get("form_key")),
            "message_internal": request.form.get("intern") == "y"}


def post_message_from_form(case, *, internal: bool) -> dict | None:
    """The message form of either side, stored once per form key. None when stored; else the
    form to show again (posted_message_again)."""
    form_key = filing.posted_form_key(request.form.get("form_key"))
    try:
        handling.post_once(case, g.user, request.form.get("meddelande", ""), internal=internal, form_key=form_key)
    except handling.EmptyMessage as problem:
        return {**posted_message_again(str(problem)), "form_key": form_key}
    return None


def message_form_context(**refused) -> dict:
    """A fresh message form, or the refused one shown again."""
    return {"form_key": filing.new_form_key(), "message_problem": None, "message_text": "",
            "message_internal": False, **refused}
