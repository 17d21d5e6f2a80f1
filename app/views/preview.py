"""Form preview for administrators: try a case type's generated form and its validation
without filing anything. Only served when FORM_PREVIEW is on (development).

A stepped case type is previewed on one page, its fields under a heading per step in the
customer's order, with the list of steps (and the review page) the customer walks through and,
after "Kontrollera", how many problems each step has. One page, because the preview is for
trying the whole schema's rules at once; each step's "Nästa" shows the same verdict cut to the
step's own fields (app.cases.stepping), which the counts per step show here."""
from flask import Blueprint, abort, current_app, render_template, request

from app.cases import row_import, stepping
from app.cases.types import case_types
from app.views import shared
from casetypes.steps import review_wanted, step_index_of
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
    document, problems = None, None
    if request.method == "GET":
        caseform = blank(case_type)
    elif ACTION_FIELD in request.form:
        caseform = row_import.form_after_action(case_type, request.form, request.files)
    else:
        document, problems = judge(case_type, request.form)
        caseform = rejected(case_type, request.form, problems)  # shown again as posted
        document = None if problems else document
    status = 422 if caseform.import_refused else 200
    return render_template("preview_form.html", caseform=caseform, document=document,
                           **steps_context(case_type, problems)), status


def steps_context(case_type, problems) -> dict:
    """The customer's steps of a stepped case type: titles, field labels, problems per step
    (None before "Kontrollera")."""
    steps = stepping.steps_for(case_type)
    labels = [[spec.label for spec in case_type.fields if spec.name in step.names] for step in steps]
    counts = None
    if problems is not None and steps:
        counts = [0] * len(steps)
        for problem in problems:
            counts[step_index_of(steps, problem.path)] += 1
    return {"steps": steps, "review": bool(steps) and review_wanted(case_type.schema, case_type.fields),
            "step_labels": labels, "step_problems": counts}


@bp.get("/<slug>/mall/<table>.<file_format>")
def row_template(slug: str, table: str, file_format: str):
    return shared.template_response(row_import.template_file(case_type_or_404(slug), table, file_format))
