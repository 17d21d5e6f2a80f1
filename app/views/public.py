"""Public pages: the start page, and the pages every Swedish e-service has, linked from every
page's footer: Tillgänglighetsredogörelse, Behandling av personuppgifter and Om kakor. Their
texts are templates under app/templates/trust/ an operator can change; names, contacts and the
retention settings they show come from config, so the pages say what this installation does."""
from flask import Blueprint, current_app, render_template

bp = Blueprint("public", __name__)


@bp.get("/")
def start():
    return render_template("start.html")


@bp.get("/tillganglighet")
def accessibility():
    return render_template("trust/accessibility.html")


@bp.get("/personuppgifter")
def privacy():
    return render_template("trust/privacy.html")


@bp.get("/kakor")
def cookies():
    config = current_app.config
    return render_template("trust/cookies.html", cookie_name=config["SESSION_COOKIE_NAME"],
                           secure=config["SESSION_COOKIE_SECURE"], same_site=config["SESSION_COOKIE_SAMESITE"])
