"""What the customer's and the handler's case pages share over HTTP: the PDF download (made by
app.cases.documents), the message form of the thread, and the tables' import templates
(app.cases.row_import) that the form and its preview offer."""
from __future__ import annotations

import io

from flask import abort, current_app, g, make_response, request, send_file, url_for

from app.accounts import ratelimit
from app.cases import attachments, documents, filing, handling

NUMBER_SLOT = "0ARENDENUMMER0"


def case_links(endpoint: str):
    """`url_for(endpoint, number=…)` for every row of a case list: the address is built once
    with a stand-in and each number put in, quoted as the URL map quotes it (url_for walks the
    map on every call: 40 rows on Mina sidor, 25 in the queue)."""
    before, after = url_for(endpoint, number=NUMBER_SLOT).split(NUMBER_SLOT)
    to_url = current_app.url_map.converters["default"](current_app.url_map).to_url
    return lambda number: before + to_url(number) + after


def init_app(app) -> None:
    app.jinja_env.globals["case_links"] = case_links


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
    """The case's PDF; only a rendering counts against the user's PDF limit."""
    try:
        content = documents.pdf(case, before_rendering=lambda: ratelimit.check_user("pdfs", "PDFS_PER_USER"))
    except documents.PdfUnavailable:
        abort(503)
    response = make_response(content)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{case.number}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


EXPIRED_FORM = "Sidan hade varit öppen länge och behövde laddas om. Kontrollera texten och skicka igen."


def attachment_response(attachment):
    """A file, never shown in the browser: always a download under its sanitised name
    (Werkzeug writes RFC 6266's filename* for names beyond ASCII), with nosniff and a sandbox,
    so not even a file that slipped through as HTML or SVG could run in the portal's origin."""
    if attachment is None:
        abort(404)
    on_disk = attachments.file_on_disk(attachment)
    source = on_disk if on_disk is not None else io.BytesIO(attachments.content_of(attachment))
    response = send_file(source, mimetype=attachment.media_type, as_attachment=True,
                         download_name=attachment.name, conditional=False, etag=False, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


def posted_message_again(problem: str) -> dict:
    """What the page needs to show the posted message form again: the reason, the text as
    typed, the same form key (a second try still stores it once) and the internal-note box as
    it was ticked, so a note never turns into a reply to the customer on the way."""
    return {"message_problem": problem, "message_text": request.form.get("meddelande", ""),
            "form_key": filing.posted_form_key(request.form.get("form_key")),
            "message_internal": request.form.get("intern") == "y", "message_files": []}


def post_message_from_form(case, *, internal: bool) -> dict | None:
    """The message form of either side with its files, stored once per form key. None when
    stored; else the form to show again (posted_message_again), with the files it keeps."""
    form_key = filing.posted_form_key(request.form.get("form_key"))
    if handling.posted_already(case, form_key):
        return None
    files = attachments.receive_for_message(request.form, request.files, g.user)
    try:
        if files.problems:
            raise handling.EmptyMessage(" ".join(files.problems))
        message = handling.post_once(case, g.user, request.form.get("meddelande", ""), internal=internal,
                                     form_key=form_key)
    except handling.EmptyMessage as problem:
        return {**posted_message_again(str(problem)), "form_key": form_key, "message_files": files.references}
    attachments.file_with_message(message, files.references)
    return None


def message_form_context(**refused) -> dict:
    """A fresh message form, or the refused one shown again."""
    return {"form_key": filing.new_form_key(), "message_problem": None, "message_text": "",
            "message_internal": False, "message_files": [], "message_file_limits": attachments.message_limits_text(),
            **refused}
