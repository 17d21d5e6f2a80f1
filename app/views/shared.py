"""What the customer's and the handler's case pages share over HTTP: the PDF download (made by
app.cases.documents), the message form of the thread, and the tables' import templates
(app.cases.row_import) that the form and its preview offer."""
from __future__ import annotations

import io
from urllib.parse import urlsplit

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


ID_SLOT = 918273645


def id_links(endpoint: str, name: str):
    """`url_for(endpoint, **{name: id})` for every row of a list, an integer id each: the
    address built once and each id put in (50 rows on the bell's page)."""
    before, after = url_for(endpoint, **{name: ID_SLOT}).split(str(ID_SLOT))
    return lambda number: f"{before}{int(number)}{after}"


def init_app(app) -> None:
    app.jinja_env.globals["case_links"] = case_links
    app.jinja_env.globals["id_links"] = id_links


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


def posted_message_again(problem: str | None, file_problem: str | None = None, files: list | None = None) -> dict:
    """What the page needs to show the posted message form again: the reasons (at the text
    box and at the file field), the text as typed, the same form key (a second try still
    stores it once), the internal-note box as it was ticked, so a note never turns into a
    reply to the customer on the way, and the files it keeps."""
    return {"message_problem": problem, "message_file_problem": file_problem,
            "message_text": request.form.get("meddelande", ""),
            "form_key": filing.posted_form_key(request.form.get("form_key")),
            "message_internal": request.form.get("intern") == "y", "message_files": files or []}


def post_message_from_form(case, *, internal: bool) -> dict | None:
    """The message form of either side with its files, stored once per form key. None when
    stored; else the form to show again (posted_message_again), with the files it keeps and
    what was wrong with the refused ones at the file field."""
    form_key = filing.posted_form_key(request.form.get("form_key"))
    if handling.posted_already(case, form_key):
        return None
    files = attachments.receive_for_message(request.form, request.files, g.user)
    if files.problems:  # nothing is sent with a file missing; the text waits for it
        return posted_message_again(None, " ".join(files.problems), files.references)
    try:
        message = handling.post_once(case, g.user, request.form.get("meddelande", ""), internal=internal,
                                     form_key=form_key)
    except handling.EmptyMessage as problem:
        return posted_message_again(str(problem), None, files.references)
    attachments.file_with_message(message, files.references)
    return None


def from_this_site() -> bool:
    """The post names one of this host's pages as its origin (browsers send Origin on every
    POST); a post without it is not trusted with new files."""
    origin = request.headers.get("Origin")
    return origin is not None and urlsplit(origin).netloc == request.host


def message_after_expired_token() -> dict:
    """The message form posted with a CSRF token too old: nothing is sent, the text is kept,
    and so are the files. The files it already kept are vouched for as always; the newly
    chosen ones are checked and stored as this person's unsent files (as a form shown again
    with errors keeps its uploads) when the post came from this site's own page — the session
    cookie is SameSite=Lax, so another site's post arrives without a session and never gets
    here, and a stored file is only sent with a later post that has a valid token (unsent
    ones go after a day). Otherwise the page says which files to choose again."""
    if from_this_site():
        files = attachments.receive_for_message(request.form, request.files, g.user)
        return posted_message_again(EXPIRED_FORM, " ".join(files.problems) or None, files.references)
    kept, lost = attachments.kept_references(request.form.getlist(attachments.MESSAGE_FILES_FIELD), g.user)
    chosen = [attachments.safe_file_name(storage.filename)
              for storage in request.files.getlist(attachments.MESSAGE_FILES_FIELD) if storage.filename]
    problems = ([attachments.LOST_FILE] if lost else []) + ([CHOOSE_AGAIN.format(names=", ".join(chosen))] if chosen else [])
    return posted_message_again(EXPIRED_FORM, " ".join(problems) or None, kept)


def message_too_large(file_messages: dict[str, str]) -> dict:
    """The message form after a post over the request limit (app.views.oversized): the text
    and the files kept before, and at the file field which files were too much."""
    kept, lost = attachments.kept_references(request.form.getlist(attachments.MESSAGE_FILES_FIELD), g.user)
    problems = ([attachments.LOST_FILE] if lost else []) + list(file_messages.values())
    return posted_message_again(None, " ".join(problems) or None, kept)


CHOOSE_AGAIN = "Välj filerna igen, de kom inte med när sidan laddades om: {names}."


def message_form_context(**refused) -> dict:
    """A fresh message form, or the refused one shown again."""
    return {"form_key": filing.new_form_key(), "message_problem": None, "message_file_problem": None, "message_text": "",
            "message_internal": False, "message_files": [], "message_file_limits": attachments.message_limits_text(),
            **refused}
