"""Property: every case type the loader accepts from random schema-shaped JSON can be served —
its form is drawn, a random document is posted back as a browser would, and hostile posted
data (unknown keys, Unicode and 5000-digit row indexes, row buttons on anything) is read,
judged and drawn again without raising. `FUZZ_EXAMPLES` scales it as for test_schema_fuzz."""
import os
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from werkzeug.datastructures import MultiDict

from app.cases import stepping
from tests.conftest import make_app
from tests.schema_strategies import DOCUMENTS, FILES, timed_load
from webforms import bind, blank, judge
from webforms.caseform import apply_row_action, to_formdata
from webforms.names import ANY_ROW, key_index

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))
ROW_INDEXES = ("0", "1", "²", "9" * 5000)
VALUES = ("", "1", "x", "true", "2026-02-30", "\u0000")


@pytest.fixture(scope="module")
def drawing_app():
    return make_app(f"sqlite:///{tempfile.mkdtemp()}/fuzz.db")


def hostile_names(case_type) -> list:
    names = {"action", "csrf_token", "okänd", "-0-"}
    for pattern in key_index(case_type):
        for index in ROW_INDEXES:
            names.add("-".join(index if part == ANY_ROW else part for part in pattern))
    return sorted(names)[:400]


def hostile_post(case_type) -> MultiDict:
    names = hostile_names(case_type)
    return MultiDict([(name, VALUES[position % len(VALUES)]) for position, name in enumerate(names)])


def row_actions(case_type) -> list:
    rows = [name for name in hostile_names(case_type) if name.endswith(ROW_INDEXES[0])]
    return [f"add:{name.rpartition('-')[0]}" for name in rows] + [f"remove:{name}" for name in rows] + ["add:", "x"]


def drawn(app, caseform) -> str:
    from flask import render_template
    with app.test_request_context():
        return render_template("preview_form.html", caseform=caseform, document=None)


def test_every_accepted_case_type_serves_its_form(drawing_app):
    served = []

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    @given(files=FILES, document=DOCUMENTS)
    def serve(files, document):
        report, _ = timed_load(files)
        for case_type in report.case_types.values():
            exercise_form(drawing_app, case_type, document)
            served.append(case_type.slug)

    serve()
    print(f"{len(served)} accepted case types served")
    assert len(served) >= EXAMPLES // 20, f"only {len(served)} accepted case types to serve"


def exercise_form(drawing_app, case_type, document):
    assert "<form" in drawn(drawing_app, blank(case_type))
    posted = to_formdata(case_type.fields, document if isinstance(document, dict) else {})
    judge(case_type, posted)
    hostile = hostile_post(case_type)
    judge(case_type, hostile)
    caseform = bind(case_type, hostile)
    caseform.validate()
    drawn(drawing_app, caseform)
    for action in row_actions(case_type)[:6]:
        drawn(drawing_app, apply_row_action(case_type, hostile, action))
    if stepping.stepped(case_type):
        draw_steps(drawing_app, case_type, hostile)


def draw_steps(app, case_type, formdata) -> None:
    """Every page of a stepped case type, drawn from hostile posted data: each step with the
    others carried along, where every button leads, and the review page."""
    from flask import render_template

    from app.accounts.profiles import orderer_type
    with app.test_request_context():
        document, problems = judge(case_type, formdata)
        caseform, ordererform = bind(case_type, formdata), blank(orderer_type(), prefix="orderer-")
        for index in range(len(stepping.steps_for(case_type)) + 1):
            page = stepping.page_at(case_type, index, returning=index % 2 == 1)  # some on the way back to the review
            carried = stepping.carried_pairs(case_type, page, formdata, formdata, "orderer-")
            if page.is_review:
                sections = stepping.review_sections(case_type, orderer_type(), document, {})
                render_template("cases/review.html", case_type=case_type, page=page, form_key="k" * 20,
                                notice=None, sections=sections, carried=carried, reviewed="")
                continue
            render_template("cases/new.html", case_type=case_type, caseform=caseform, ordererform=ordererform,
                            form_key="k" * 20, notice=None, page=page, carried=carried)
            for move in ("next", "previous", "file", "review", "edit:1", "edit:99", "edit:²"):
                moved = MultiDict([*formdata.items(multi=True), ("_step", str(page.number)), ("_move", move),
                                   ("_granska", "1" if page.returning else "")])
                outcome = stepping.after_move(case_type, moved, problems, [])
                assert 0 <= outcome.page.index <= page.total
