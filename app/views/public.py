"""Public pages: the start page."""
from flask import Blueprint, render_template

bp = Blueprint("public", __name__)


@bp.get("/")
def start():
    return render_template("start.html")
