"""Form preview for administrators: try a case type's generated form and its validation
without filing anything. Only served when FORM_PREVIEW is on (development)."""
from flask import Blueprint, abort, current_app, render_template, request

from app.cases import row_import
from app.cases.types import case_types
from app.views import shared
from webforms import blank, judge, rejected
from webforms.rows import ACTION_FIELD

bp = Blueprint("preview", __name__, url_prefix="/forhandsgranska")


@bp.before_request
def only_when_enabled():
    if not current_app.config.get("FORM_PREVIEW"):
        abort(404)


@bp.get("/")
def index():
    return render_template("preview_index.html", case_types=list(case_types().values()))


def case_type_or_404(slug: str):
    case_type = case_types().get(slug)
    if case_type is None:
        abort(404)
    return case_type


@bp.route("/<slug>", methods=["GET", "POST"])
def form(slug: str):
    case_type = case_type_or_404(slug)
    document = None
    if request.method == "GET":
        caseform = blank(case_type)
    elif ACTION_FIELD in request.form:
        caseform = row_import.form_after_action(case_type, request.form, request.files)
    else:
        document, problems = judge(case_type, request.form)
        caseform = rejected(case_type, request.form, problems)  # shown again as posted
        document = None if problems else document
    status = 422 if caseform.import_refused else 200
    return render_template("preview_form.html", caseform=caseform, document=document), status


@bp.get("/<slug>/mall/<table>.<file_format>")
def row_template(slug: str, table: str, file_format: str):
    return shared.template_response(row_import.template_file(case_type_or_404(slug), table, file_format))
