"""Nothing typed is lost when the session ends under an open form: a case form posted after its
person's session ended by idling ("Spara utkast", "Skicka in", "Nästa", a row button) is kept
as that person's own draft, and the browser is sent to log in, coming back to the draft after.

Who the answers belong to is known from the ended session (app.accounts.sessions keeps its row
until its absolute limit, so the cookie still names the person), never from what was posted;
only that person finds the draft after logging in again (anyone else gets 404). What was typed
travels only in the POST body and the draft row: the addresses carry the draft's random token.
A post from another site (an Origin that is not this host) is never kept. New files chosen in
that post are not taken (the person is not logged in); the files already kept stay.
"""
from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import flash, g, jsonify, redirect, request, url_for
from werkzeug.datastructures import MultiDict

from app.accounts import profiles
from app.cases import attachments, drafts, filing
from app.cases.handling_hours import local_text
from app.cases.types import case_types
from webforms import bind

AUTOSAVE_HEADER = "X-Utkast"  # set by drafts.js: answer in JSON instead of a page
AFTER_LOGOUT = "utloggad"  # query parameter of the draft's address after logging in: which notice
FROM_DRAFT_BUTTON, FROM_FORM = "utkast", "skicka"
ORDERER_PREFIX = "orderer-"


def saved_text(draft) -> str:
    return f"Utkastet är sparat kl. {local_text(draft.updated_at, '%H:%M')}."


def wants_json() -> bool:
    return request.headers.get(AUTOSAVE_HEADER) == "1"


def notice_after_login(kind: str | None, draft) -> str | None:
    """What the continued draft says when the customer comes back from logging in."""
    saved = saved_text(draft)
    if kind == FROM_DRAFT_BUTTON:
        return f"{saved} Du hade loggats ut, men det du skrev finns kvar här."
    if kind == FROM_FORM:
        return (f"{saved} Du hade loggats ut, så ärendet är inte inskickat: det du skrev finns kvar här. "
                "Kontrollera uppgifterna och fortsätt.")
    return None


def login_text(kind: str, draft) -> str:
    saved = saved_text(draft)
    if kind == FROM_DRAFT_BUTTON:
        return f"Du hade loggats ut. {saved} Logga in igen för att fortsätta där du var."
    return f"Du hade loggats ut, så ärendet skickades inte. {saved} Logga in igen för att fortsätta där du var."


def from_this_site() -> bool:
    """The post came from one of this host's pages (a browser names the page's origin on a POST)."""
    origin = request.headers.get("Origin")
    return origin is None or urlsplit(origin).netloc == request.host


def keep_posted(slug: str, kind: str, csrf_failed: bool = False):
    """The answer to a case form posted after the session ended: the answers saved as the ended
    session's person's draft and the browser sent to log in; None when there is nobody to keep
    them for (the ordinary login redirect or error page follows). Without a valid CSRF token
    the post must name this site as its origin."""
    owner, case_type = g.get("ended_user"), case_types().get(slug)
    if owner is None or case_type is None or not case_type.active or not from_this_site():
        return None
    if csrf_failed and request.headers.get("Origin") is None:
        return None
    form_key = filing.posted_form_key(request.form.get("form_key"))
    received = attachments.receive(case_type, request.form, MultiDict(), owner)  # new files not taken
    try:
        draft = drafts.save(owner, case_type, form_key, received.formdata)
    except drafts.AlreadyFiled as filed:
        return redirect(url_for("auth.login", next=url_for("cases.submitted", number=filed.case.number)), 303)
    except drafts.DraftRefused as refused:
        return shown_again(case_type, form_key, received.formdata, str(refused))
    if wants_json():
        return jsonify(message=login_text(kind, draft), ended=True), 401
    flash(login_text(kind, draft), "info")
    return redirect(url_for("auth.login", next=url_for("drafts.resume", token=draft.token, **{AFTER_LOGOUT: kind})), 303)


def shown_again(case_type, form_key: str, formdata: MultiDict, reason: str):
    """Over a draft limit nothing can be kept: the form comes back as posted, saying why, so
    the person can log in in another tab and save it from there."""
    from app.views import customer
    caseform = bind(case_type, formdata)
    ordererform = bind(profiles.orderer_type(), formdata, prefix=ORDERER_PREFIX)
    notice = (f"Du hade loggats ut och utkastet kunde inte sparas: {reason} Det du skrev finns kvar på sidan; "
              "logga in i en ny flik och spara det därifrån.")
    return customer.page_as_saved(case_type, form_key, caseform, ordererform, status=422, notice=notice)


def kept_when_logged_out(kind: str):
    """Before login_required on a case form's POST: keep what was posted after the session ended."""
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if g.get("user") is None:
                answer = keep_posted(kwargs.get("slug", ""), kind)
                if answer is not None:
                    return answer
            return view(*args, **kwargs)
        return wrapper
    return decorate
