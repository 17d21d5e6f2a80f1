"""Utkast over HTTP: "Spara utkast" on every case form (a plain POST without JavaScript, the
form's autosave with it), "Fortsätt" and "Ta bort" from Mina sidor. The work is done by
app.cases.drafts; the form itself is drawn by the case form's own view (customer.render_form).

Drafts are addressed by an opaque token only, and only their owner finds them (anyone else gets
404), so no answer — a personnummer in a row — is ever in an address or a log line.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, jsonify, redirect, request, url_for
from flask_wtf.csrf import generate_csrf

from app.accounts import profiles
from app.accounts.ratelimit import limited_per_user
from app.accounts.sessions import login_required
from app.cases import drafts, filing
from app.cases.types import case_types
from app.platform.inputs import takes_uploads
from app.views import customer, kept
from webforms import bind, rejected

bp = Blueprint("drafts", __name__)

wants_json, saved_text = kept.wants_json, kept.saved_text  # one header, one sentence for both


@bp.post("/arenden/nytt/<slug>/utkast")
@takes_uploads
@kept.kept_when_logged_out(kept.FROM_DRAFT_BUTTON)
@login_required
@limited_per_user("drafts", "DRAFTS_PER_USER")
def save(slug: str):
    case_type = customer.active_type_or_404(slug)
    form_key = filing.posted_form_key(request.form.get(customer.FORM_KEY))
    # A draft keeps its files: new ones are checked and stored now, and the draft's answers hold
    # their references (the "Behåll" boxes when it is continued).
    received = customer.receive_files(case_type)
    try:
        draft = drafts.save(g.user, case_type, form_key, received.formdata)
    except drafts.AlreadyFiled as filed:
        return already_filed(filed.case)
    except drafts.DraftRefused as refused:
        return refused_page(case_type, form_key, str(refused))
    if wants_json():
        return jsonify(message=saved_text(draft), form_key=form_key)
    flash(saved_text(draft), "success")
    for problem in received.problems:  # a refused file is not in the draft; say why
        flash(problem.message, "error")
    return redirect(url_for("drafts.resume", token=draft.token), 303)


def already_filed(case):
    text = f"Ärendet är redan inskickat med ärendenummer {case.number}."
    if wants_json():
        return jsonify(message=text), 409
    return redirect(url_for("cases.submitted", number=case.number), 303)


def refused_page(case_type, form_key: str, text: str):
    """Over a limit: the form again with everything as typed (files kept), and why it was not saved."""
    if wants_json():
        return jsonify(message=text), 422
    return customer.render_form(case_type, *customer.posted_forms(case_type), form_key, status=422, notice=text)


def rerender_too_large(notice: str, file_messages: dict[str, str]):
    """"Spara utkast" over the request limit: nothing saved; the autosave is told in JSON, the
    button gets the form back as typed with the message at the file field."""
    if wants_json():
        return jsonify(message=notice), 413
    return customer.rerender_too_large(notice, file_messages)


def rerender_after_expired_token():
    """CSRF token too old (a form open for hours, kept alive by its autosave): the script gets
    a fresh token to save with again; without it, the form again as typed."""
    if wants_json() and g.get("user") is not None:
        return jsonify(message="Sidan hade varit öppen länge. Utkastet sparas igen.", csrf_token=generate_csrf()), 400
    return customer.rerender_after_expired_token()


def own_draft_or_404(token: str):
    draft = drafts.owned(g.user, token)
    if draft is None:
        abort(404)
    return draft


@bp.get("/utkast/<token>")
@login_required
def resume(token: str):
    """"Fortsätt": the form as it was saved, on the case type's current version."""
    draft = own_draft_or_404(token)
    case_type = case_types().get(draft.case_type_slug)
    if case_type is None or not case_type.active:
        flash(f"Ärendetypen {draft.case_type_title} går inte längre att skicka in, så utkastet kan inte "
              "fortsättas. Du kan ta bort det.", "error")
        return redirect(url_for("cases.my_pages") + "#utkast", 303)
    restored = drafts.restored(draft, case_type)
    caseform = (rejected(case_type, restored.formdata, restored.unfit.refused) if restored.unfit.refused
                else bind(case_type, restored.formdata))
    ordererform = bind(profiles.orderer_type(), restored.formdata, prefix=customer.ORDERER_PREFIX)
    if restored.unfit:  # on the step it was saved from, where the notice says what no longer fits
        return customer.render_form(case_type, caseform, ordererform, draft.form_key, draft_unfit=restored.unfit)
    back = kept.notice_after_login(request.args.get(kept.AFTER_LOGOUT), draft)  # kept while logged out
    if back:
        flash(back, "success")
    return customer.page_as_saved(case_type, draft.form_key, caseform, ordererform)


@bp.post("/utkast/<token>/ta-bort")
@login_required
def delete(token: str):
    if not drafts.delete(g.user, token):
        abort(404)
    flash("Utkastet är borttaget.", "success")
    return redirect(url_for("cases.my_pages") + "#utkast", 303)
