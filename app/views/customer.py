"""The customer's cases (steps 7–9 of the user guide): "Beskriv ärendet" and "Vad gäller
ärendet?", the generated form with the orderer block, the confirmation, "Mina sidor", the
detail view and the PDF."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from app.accounts import profiles
from app.accounts.ratelimit import limited_per_user
from app.accounts.sessions import login_required
from app.cases import attachments, documents, drafts, filing, handling, handling_hours, row_import, stepping
from app.cases.statuses import CLOSED
from app.cases.types import active_case_types, case_types
from app.platform.inputs import database_int, takes_uploads
from app.views import shared
from app.views.kept import FROM_FORM, kept_when_logged_out
from webforms import bind, blank, judge, rejected
from webforms.rows import ACTION_FIELD

bp = Blueprint("cases", __name__)

ORDERER_PREFIX = "orderer-"
FORM_KEY = "form_key"


@bp.get("/arenden/nytt")
@login_required
def choose():
    chosen = request.args.get("typ")
    if chosen:
        return redirect(url_for("cases.new", slug=chosen))
    return render_template("cases/choose.html", case_types=active_case_types())


def active_type_or_404(slug: str):
    case_type = case_types().get(slug)
    if case_type is None or not case_type.active:
        abort(404)
    return case_type


def render_form(case_type, caseform, ordererform, form_key, status=200, notice=None, page=None, **extra):
    """The case form; for a stepped case type the page asked for (else the one it was posted
    from), with the other steps' answers carried along. `extra` is for the page's other parts,
    such as the draft's notes (app.views.drafts)."""
    page = page or stepping.posted_page(case_type, caseform.formdata)  # a draft reopens on its step
    carried = ()
    if page:
        carried = stepping.carried_pairs(case_type, page, caseform.formdata, ordererform.formdata, ORDERER_PREFIX)
        caseform.problems = list(stepping.problems_on(page, caseform.problems))  # the others' fields are not drawn
    html = render_template("cases/new.html", case_type=case_type, caseform=caseform,
                           ordererform=ordererform, form_key=form_key, notice=notice, page=page, carried=carried,
                           **extra)
    return html, status


@bp.get("/arenden/nytt/<slug>")
@login_required
def new(slug: str):
    case_type = active_type_or_404(slug)
    ordererform = blank(profiles.orderer_type(), profiles.orderer(g.user), prefix=ORDERER_PREFIX)
    return render_form(case_type, blank(case_type), ordererform, filing.new_form_key(), untouched=True)


def receive_files(case_type, files=None) -> attachments.Received:
    """The case form's files taken care of, once per request (app.cases.attachments): new ones
    checked and stored, every file field holding only references this person holds."""
    if "received_files" not in g:
        g.received_files = attachments.receive(case_type, request.form, request.files if files is None else files,
                                               g.user)
    return g.received_files


def form_data():
    """What the case form posted, with its file fields as receive_files left them."""
    return g.received_files.formdata if "received_files" in g else request.form


def posted_forms(case_type, files=None):
    received = receive_files(case_type, files)
    formdata = received.formdata
    ordererform = bind(profiles.orderer_type(), formdata, prefix=ORDERER_PREFIX)
    if ACTION_FIELD in formdata:
        caseform = row_import.form_after_action(case_type, formdata, request.files)
    else:
        caseform = bind(case_type, formdata)
    caseform.problems = received.problems + list(caseform.problems)  # a file refused on the way, by its field
    return caseform, ordererform


@bp.post("/arenden/nytt/<slug>")
@takes_uploads
@kept_when_logged_out(FROM_FORM)
@login_required
@limited_per_user("cases", "CASES_PER_USER")
def submit(slug: str):
    case_type = active_type_or_404(slug)
    form_key = filing.posted_form_key(request.form.get(FORM_KEY))
    earlier = filing.existing(g.user, form_key)
    if earlier is not None:  # sent twice: its files already belong to the case
        return redirect(url_for("cases.submitted", number=earlier.number), 303)
    if ACTION_FIELD in request.form:
        caseform, ordererform = posted_forms(case_type)
        return render_form(case_type, caseform, ordererform, form_key, status=422 if caseform.import_refused else 200)
    received = receive_files(case_type)
    document, problems = judge(case_type, received.formdata)
    problems = received.problems + problems
    orderer, orderer_problems = judge(profiles.orderer_type(), received.formdata, ORDERER_PREFIX)
    if not stepping.files_now(case_type, received.formdata):
        return step_moved(case_type, form_key, document, orderer, problems, orderer_problems)
    if problems or orderer_problems:  # every error at once, next to its field
        return rejected_form(case_type, form_key, problems, orderer_problems)
    if not review_matches(case_type, document, orderer):
        return review_page(case_type, form_key, document, orderer, status=409, notice=CHANGED_SINCE_REVIEW)
    try:
        case = filing.file_case(g.user, case_type, document, orderer, form_key)
    except filing.DuplicateSubmission as duplicate:
        case = duplicate.case
    return redirect(url_for("cases.submitted", number=case.number), 303)


def rejected_form(case_type, form_key, problems, orderer_problems, formdata=None, returning=None, status=422,
                  **extra):
    """The form with every problem by its field; a stepped one on the first step with any
    (on its way back to the review when the post came from there)."""
    formdata = form_data() if formdata is None else formdata
    if returning is None:
        returning = stepping.posted_move(formdata)[0] == stepping.FILE
    outcome = (stepping.first_page_with(case_type, problems, orderer_problems, returning)
               if stepping.stepped(case_type) else None)
    if outcome is not None:
        problems, orderer_problems = outcome.problems, outcome.orderer_problems
    return render_form(case_type, rejected(case_type, formdata, problems),
                       rejected(profiles.orderer_type(), formdata, orderer_problems, ORDERER_PREFIX),
                       form_key, status=status, page=outcome and outcome.page, **extra)


def page_as_saved(case_type, form_key, caseform, ordererform, status=200, notice=None, **extra):
    """The page these answers were posted or saved from (a draft continued, a form shown again
    after its token expired): a step as it was, or "Granska och skicka" again when the answers
    still judge as they did there (else the first step with a problem, on its way back)."""
    formdata = caseform.formdata
    page = stepping.saved_page(case_type, formdata)
    if page is None or not page.is_review:
        return render_form(case_type, caseform, ordererform, form_key, status, notice, page=page, **extra)
    document, problems = judge(case_type, formdata)
    orderer, orderer_problems = judge(profiles.orderer_type(), formdata, ORDERER_PREFIX)
    if problems or orderer_problems:
        return rejected_form(case_type, form_key, problems, orderer_problems, formdata, returning=True,
                             status=422 if status == 200 else status, notice=notice, **extra)
    return review_page(case_type, form_key, document, orderer, status, notice, formdata=formdata)


CHANGED_SINCE_REVIEW = "Uppgifterna har ändrats sedan du granskade dem. Granska dem igen och skicka sedan in."


def review_matches(case_type, document, orderer) -> bool:
    """A case type with a review page files only the answers its "Granska och skicka" showed."""
    return stepping.review_page_of(case_type) is None or stepping.reviewed_as_posted(form_data(), document, orderer)


def step_moved(case_type, form_key, document, orderer, problems, orderer_problems):
    """"Nästa", "Föregående" or "Ändra" on a stepped form: the next page, or this one with the
    problems of its own fields."""
    outcome = stepping.after_move(case_type, form_data(), problems, orderer_problems)
    if outcome.page.is_review:
        return review_page(case_type, form_key, document, orderer)
    return render_form(case_type, rejected(case_type, form_data(), outcome.problems),
                       rejected(profiles.orderer_type(), form_data(), outcome.orderer_problems, ORDERER_PREFIX),
                       form_key, status=outcome.status, page=outcome.page)


def review_page(case_type, form_key, document, orderer, status=200, notice=None, formdata=None):
    """"Granska och skicka": every answer as the detail view shows it, "Ändra" per step, and
    the whole form carried along for "Skicka in"."""
    page = stepping.review_page_of(case_type)
    formdata = form_data() if formdata is None else formdata
    html = render_template(
        "cases/review.html", case_type=case_type, page=page, form_key=form_key, notice=notice,
        sections=stepping.review_sections(case_type, profiles.orderer_type(), document, orderer),
        carried=stepping.carried_pairs(case_type, page, formdata, formdata, ORDERER_PREFIX),
        reviewed=stepping.fingerprint(document, orderer))
    return html, status


@bp.get("/arenden/nytt/<slug>/mall/<table>.<file_format>")
@login_required
def row_template(slug: str, table: str, file_format: str):
    """"Ladda ner mall": a table's CSV or XLSX template, made from the schema."""
    return shared.template_response(row_import.template_file(active_type_or_404(slug), table, file_format))


def rerender_after_expired_token():
    """CSRF token too old on a long form: show it again with what was typed and a fresh token."""
    notice = "Sidan hade varit öppen länge och behövde laddas om. Kontrollera uppgifterna och skicka igen."
    return form_as_posted(notice, 400)


def rerender_too_large(notice: str, file_messages: dict[str, str]):
    """A post over the request limit (app.views.oversized): the form with what was typed, the
    files kept before, and at each file input that had files the message saying so."""
    return form_as_posted(notice, 413, file_messages)


def form_as_posted(notice: str, status: int, file_messages: dict[str, str] | None = None):
    """The posted form shown again, storing nothing: the files already stored are kept; new
    ones are not taken from a post that is refused as a whole."""
    case_type = case_types().get(request.view_args.get("slug", ""))
    if case_type is None or g.get("user") is None:
        return None
    caseform, ordererform = posted_forms(case_type, files=MultiDict())
    caseform.problems = list(caseform.problems) + attachments.problems_at(case_type, file_messages or {})
    return page_as_saved(case_type, filing.posted_form_key(request.form.get(FORM_KEY)), caseform, ordererform,
                         status=status, notice=notice)


def own_case_or_404(number: str):
    case = filing.owned_case(g.user, number)
    if case is None:
        abort(404)
    return case


@bp.get("/arenden/<number>/skickat")
@login_required
def submitted(number: str):
    case = own_case_or_404(number)
    starts = handling_hours.next_start(case.created_at, current_app.config["HANDLING_HOURS"])
    return render_template("cases/submitted.html", case=case,
                           handling_starts=handling_hours.spoken(starts) if starts else None)


@bp.get("/arenden/<number>")
@login_required
def detail(number: str):
    case = filing.owned_case_to_open(g.user, number)  # with the read mark and the bell's news about it
    if case is None:
        abort(404)
    return detail_page(case)


def detail_page(case, status: int = 200, **refused_message):
    thread = handling.thread(case, include_internal=False)
    handling.read_on_opening(case, g.user, thread)  # viewing the thread is reading it
    file_url = lambda file_id: url_for("cases.attachment", number=case.number, file_id=file_id)  # noqa: E731
    html = render_template("cases/detail.html", case=case, **documents.page_context(case, file_url),
                           thread=thread, thread_files=attachments.of_messages(thread), file_endpoint="cases.attachment",
                           **shared.message_form_context(**refused_message))
    return html, status


def rerender_message_after_expired_token():
    """CSRF token too old on the message form: the case page again, with the text kept."""
    case = filing.owned_case(g.user, request.view_args.get("number", "")) if g.get("user") else None
    return None if case is None else detail_page(case, 400, **shared.message_after_expired_token())


def rerender_message_too_large(notice: str, file_messages: dict[str, str]):
    """A message post over the request limit: the case page with the text and the kept files."""
    case = filing.owned_case(g.user, request.view_args.get("number", "")) if g.get("user") else None
    if case is None or case.status == CLOSED:
        return None
    return detail_page(case, 413, **shared.message_too_large(file_messages))


@bp.post("/arenden/<number>/meddelanden")
@takes_uploads
@login_required
@limited_per_user("messages", "MESSAGES_PER_USER")
def post_message(number: str):
    case = own_case_or_404(number)
    if case.status == CLOSED:
        flash("Ärendet är avslutat. Skicka in ett nytt ärende om du behöver mer hjälp.", "error")
    elif refused := shared.post_message_from_form(case, internal=False):
        return detail_page(case, 422, **refused)
    return redirect(url_for("cases.detail", number=number) + "#meddelanden", 303)


@bp.get("/arenden/<number>/pdf")
@login_required
def pdf(number: str):
    return shared.pdf_response(own_case_or_404(number))


@bp.get("/arenden/<number>/bilagor/<file_id>")
@login_required
@limited_per_user("pdfs", "PDFS_PER_USER")
def attachment(number: str, file_id: str):
    case = own_case_or_404(number)
    return shared.attachment_response(attachments.of_case(case, file_id, handler=False))


@bp.get("/mina-sidor")
@login_required
def my_pages():
    ongoing = filing.my_cases(g.user, closed=False, before=request.args.get("pagaende_fore", type=database_int))
    closed = filing.my_cases(g.user, closed=True, before=request.args.get("avslutade_fore", type=database_int))
    return render_template("cases/my_pages.html", ongoing=ongoing, closed=closed, drafts=drafts.listed(g.user))
