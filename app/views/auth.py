"""Login with BankID and logout (steps 2–4 of the user guide). Every state change is a POST;
the waiting page works without JavaScript (a "Fortsätt" button) and polls with it."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, g, jsonify, redirect, render_template, request, url_for

from app.accounts import login as signin
from app.accounts import sessions
from app.accounts.bankid import BankIDError
from app.accounts.profiles import has_profile
from app.accounts.ratelimit import limited

bp = Blueprint("auth", __name__)

LOGIN_REFUSED = "Ditt konto är inte aktivt. Kontakta supporten."


def after_login_url(user, next_url: str | None) -> str:
    if user.is_handler:
        return sessions.safe_next(next_url, url_for("handler.queue"))
    if not has_profile(user):
        return url_for("profile.edit", first="1")
    return sessions.safe_next(next_url, url_for("cases.my_pages"))


@bp.get("/logga-in")
def login():
    if g.user is not None:
        return redirect(url_for("public.start"))
    return render_template("auth/login.html", next_url=sessions.safe_next(request.args.get("next"), ""))


@bp.post("/logga-in")
@limited("login-start", "LOGIN_START_PER_IP", "LOGIN_START_PER_SESSION")
def start():
    device = request.form.get("device", "other")
    next_url = sessions.safe_next(request.form.get("next"), "") or None
    try:
        signin.start(device, request.remote_addr or "127.0.0.1", next_url)
    except BankIDError as error:
        flash(signin.bankid_error_text(error), "error")
        return render_template("auth/login.html", next_url=next_url or ""), 503
    return redirect(url_for("auth.waiting"), 303)


@bp.get("/logga-in/bankid")
def waiting():
    pending = signin.pending_login()
    if pending is None:
        return redirect(url_for("auth.login"))
    return render_template("auth/waiting.html", pending=pending, state=signin.state_of(pending),
                           start_url=signin.start_app_url(pending) if pending.device == "this" else None,
                           scan_url=signin.simulator_scan_url(pending))


def wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def poll_answer(state: signin.LoginState, next_url: str | None):
    if state.status == "complete":
        target = after_login_url(state.user, next_url)
        return jsonify(status="complete", redirect=target) if wants_json() else redirect(target, 303)
    if wants_json():
        return jsonify(status=state.status, message=state.message, qr=state.show_qr)
    if state.status == "failed":
        flash(state.message, "error")
    return redirect(url_for("auth.waiting"), 303)


@bp.post("/logga-in/bankid")
@limited("login-poll", "LOGIN_POLL_PER_IP", "LOGIN_POLL_PER_SESSION")
def poll():
    pending = signin.pending_login()
    if pending is None:
        return (jsonify(status="gone"), 409) if wants_json() else redirect(url_for("auth.login"), 303)
    next_url = pending.next_url
    try:
        state = signin.poll(pending)
    except signin.LoginRefused:
        signin.forget(pending)
        flash(LOGIN_REFUSED, "error")
        return (jsonify(status="failed", message=LOGIN_REFUSED), 403) if wants_json() else redirect(url_for("auth.login"), 303)
    except BankIDError as error:
        signin.forget(pending)
        flash(signin.bankid_error_text(error), "error")
        return (jsonify(status="failed", message=signin.bankid_error_text(error)), 503) if wants_json() \
            else redirect(url_for("auth.login"), 303)
    return poll_answer(state, next_url)


@bp.get("/logga-in/qr.svg")
@limited("login-qr", "LOGIN_POLL_PER_IP", "LOGIN_QR_PER_SESSION")
def qr():
    pending = signin.pending_login()
    if pending is None or not signin.shows_qr(pending):
        abort(404)
    response = Response(signin.qr_svg(pending), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/logga-in/avbryt")
def cancel():
    signin.cancel(signin.pending_login())
    flash("Åtgärden avbröts.", "info")
    return redirect(url_for("auth.login"), 303)


@bp.post("/logga-ut")
def logout():
    sessions.log_out()
    flash("Du är utloggad.", "info")
    return redirect(url_for("public.start"), 303)
