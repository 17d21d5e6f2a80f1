"""Statistik for handlers: three charts with their tables and a CSV download each."""
from __future__ import annotations

from flask import Blueprint, abort, make_response, render_template, request

from app.accounts.sessions import handler_required
from app.cases import statistics
from app.platform.inputs import database_int

bp = Blueprint("statistics", __name__, url_prefix="/handlaggare/statistik")


def chosen_period() -> statistics.Period:
    """The weeks asked for in the address (one of statistics.PERIODS; anything else: the default)."""
    return statistics.period_of(request.args.get("veckor", type=database_int))


@bp.get("")
@handler_required
def index():
    period = chosen_period()
    return render_template("handler/statistics.html", period=period, periods=statistics.PERIODS,
                           figures=statistics.figures(period), chart_image=statistics.chart_image)


@bp.get("/<name>.csv")
@handler_required
def csv(name: str):
    build = statistics.FIGURES.get(name)
    if build is None:
        abort(404)
    period = chosen_period()
    response = make_response(statistics.figure_csv(build(period)))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="statistik-{name}-{period.weeks}v.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
