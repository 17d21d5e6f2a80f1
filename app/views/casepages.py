"""What the customer's and the handler's case pages share: the detail context rendered from
the case's frozen schema, and the PDF download (rendered once, then served from storage)."""
from __future__ import annotations

from flask import abort, current_app, g, make_response, request

from app.cases import filing as cases
from app.cases import handling as casework
from app.cases.handling_hours import local_text
from renderers.casepdf import PrintHeader, case_pdf
from renderers.html import detail_html
from renderers.pdf import PdfBusy, PdfRenderError
from renderers.tree import build_tree

ORDERER_LABELS = (("organisation", "Organisation"), ("organisationsnummer", "Organisationsnummer"),
                  ("enhet", "Enhet"), ("namn", "Namn"), ("epost", "E-postadress"))


def orderer_pairs(case) -> list[tuple[str, str]]:
    return [(label, case.orderer.get(key) or "–") for key, label in ORDERER_LABELS]


def content_tree(case):
    return build_tree(cases.frozen_type(case).fields, case.data)


def detail_context(case) -> dict:
    """What both case pages show: the orderer, and the content drawn from its tree."""
    tree = content_tree(case)
    return {"orderer": orderer_pairs(case), "content": detail_html(tree), "tree": tree}


def print_header(case) -> PrintHeader:
    return PrintHeader(portal_name=current_app.config["PORTAL_NAME"], case_number=case.number,
                       case_type_title=case.case_type_title, created=local_text(case.created_at),
                       status=case.status)


def pdf_bytes(case) -> bytes:
    engine = current_app.config["PDF_ENGINE"]
    stored = cases.stored_pdf(case, engine)
    if stored is None:
        stored = case_pdf(print_header(case), orderer_pairs(case), content_tree(case), engine=engine,
                          timeout=current_app.config["PDF_TIMEOUT"])
        cases.store_pdf(case, engine, stored)
    return stored


def pdf_response(case):
    try:
        content = pdf_bytes(case)
    except PdfBusy:
        abort(503)
    except PdfRenderError:
        current_app.logger.exception("PDF kunde inte skapas för ärende-id %s", case.id)
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
            "form_key": cases.posted_form_key(request.form.get("form_key")),
            "message_internal": request.form.get("intern") == "y"}


def post_message_from_form(case, *, internal: bool) -> dict | None:
    """The message form of either side, stored once per form key. None when stored; else the
    form to show again (posted_message_again)."""
    form_key = cases.posted_form_key(request.form.get("form_key"))
    try:
        casework.post_once(case, g.user, request.form.get("meddelande", ""), internal=internal, form_key=form_key)
    except casework.EmptyMessage as problem:
        return {**posted_message_again(str(problem)), "form_key": form_key}
    return None


def message_form_context(**refused) -> dict:
    """A fresh message form, or the refused one shown again."""
    return {"form_key": cases.new_form_key(), "message_problem": None, "message_text": "",
            "message_internal": False, **refused}
