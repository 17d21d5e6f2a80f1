"""Mina uppgifter (steps 5–6 of the user guide): shown on first login, editable later."""
from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from app.accounts import profiles
from app.accounts.sessions import login_required
from webforms import blank, judge, rejected

bp = Blueprint("profile", __name__)


def formatted_personnummer(number: str) -> str:
    return f"{number[:8]}-{number[8:]}"


@bp.route("/mina-uppgifter", methods=["GET", "POST"])
@login_required
def edit():
    case_type = profiles.profile_type()
    first_time = not profiles.has_profile(g.user)
    if request.method == "GET":
        caseform = blank(case_type, profiles.initial_document(g.user))
    else:
        document, problems = judge(case_type, request.form)
        if not problems:
            profiles.save(g.user, document)
            flash("Dina uppgifter är sparade.", "success")
            return redirect(url_for("cases.choose") if first_time else url_for("cases.my_pages"), 303)
        caseform = rejected(case_type, request.form, problems)
    return render_template("profile.html", caseform=caseform, first_time=first_time,
                           personnummer=formatted_personnummer(g.user.personnummer))
