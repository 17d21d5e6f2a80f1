"""The bell at the top right, next to the user's name: unread count, the list, reading one
(a POST that marks it read and goes to its case) and "Markera alla som lästa"."""
from flask import Blueprint, abort, g, redirect, render_template, url_for

from app.accounts.sessions import login_required
from app.messaging import notifications

bp = Blueprint("bell", __name__)


UNKNOWN_COUNT = "–"


@bp.app_context_processor
def bell_count():
    user = getattr(g, "user", None)
    if user is None:
        return {"bell_unread": "0"}
    if g.get("database_gone"):  # the 503 page must draw without asking the database again
        return {"bell_unread": UNKNOWN_COUNT}
    return {"bell_unread": notifications.bell_text(notifications.unread_count(user))}


@bp.get("/notiser")
@login_required
def index():
    return render_template("bell.html", items=notifications.recent(g.user, limit=50))


def case_url_for(item) -> str:
    if item.case is None:
        return url_for("bell.index")
    endpoint = "handler.case_page" if g.user.is_handler else "cases.detail"
    return url_for(endpoint, number=item.case.number)


@bp.post("/notiser/<int:notification_id>")
@login_required
def open_item(notification_id: int):
    item = notifications.own(g.user, notification_id)
    if item is None:
        abort(404)
    notifications.mark_read(g.user, notification_id)
    return redirect(case_url_for(item), 303)


@bp.post("/notiser/alla-lasta")
@login_required
def read_all():
    notifications.mark_all_read(g.user)
    return redirect(url_for("bell.index"), 303)
