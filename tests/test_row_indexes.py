"""Row indexes in posted names and row buttons over every path that reads them: the posted
reader of a valid submission, WTForms' FieldList on the re-render path, "Lägg till ny rad" and
"Ta bort", filing and the preview on both databases. A name whose index is not plain ASCII
digits is no row at all: nothing fails and no ghost row appears (issue 10; the parser itself
is tested in test_field_names.py)."""
from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from casetypes import load_forms_dir
from tests.conftest import ROOT
from tests.login_helpers import CUSTOMER, log_in_with_profile, portal_app
from tests.test_cases import ORDERER, ROW, SITHS, form_key
from webforms import bind, judge
from webforms.caseform import apply_row_action

FOREIGN = ["²", "٣", "１", "-1", "+1", " 1", "9" * 5000, "1" * 7, ""]
PREVIEW = "/forhandsgranska/bestallning-av-siths-kort"


@pytest.fixture(scope="module")
def siths():
    return load_forms_dir(ROOT / "forms").case_types["bestallning-av-siths-kort"]


def with_foreign_row(index: str) -> MultiDict:
    """The valid first row, and a second one whose index is not a number."""
    return MultiDict({**ROW, f"personer-{index}-namn": "Spöke", f"personer-{index}-_row": ""})


@pytest.mark.parametrize("index", FOREIGN)
def test_both_readings_see_only_the_real_row(siths, index):
    formdata = with_foreign_row(index)
    document, problems = judge(siths, formdata)  # the path of a valid submission
    assert problems == [] and [row["namn"] for row in document["personer"]] == ["Anna Åkesson"]
    caseform = bind(siths, formdata)  # the re-render path: WTForms' FieldList
    assert caseform.document() == document
    assert [entry.name for entry in caseform.form["personer"].entries] == ["personer-0"]


@pytest.mark.parametrize("index", FOREIGN)
def test_row_buttons_with_a_foreign_index_change_nothing(siths, index):
    formdata = MultiDict(ROW)
    for action in (f"remove:personer-{index}", f"add:personer-{index}", f"add:{index}", f"remove:{index}"):
        caseform = apply_row_action(siths, formdata, action)
        assert [entry.name for entry in caseform.form["personer"].entries] == ["personer-0"], action


def test_adding_a_row_still_works(siths):
    caseform = apply_row_action(siths, MultiDict(ROW), "add:personer")
    assert [entry.name for entry in caseform.form["personer"].entries] == ["personer-0", "personer-1"]


@pytest.mark.parametrize("index", ["²", "٣", "9" * 5000])
def test_foreign_indexes_in_the_preview(any_db_app, index):
    client = any_db_app.test_client()
    data = with_foreign_row(index).to_dict()
    assert client.post(PREVIEW, data=data).status_code == 200
    for action in ("add:personer", f"remove:personer-{index}"):
        page = client.post(PREVIEW, data={**data, "action": action})
        assert page.status_code == 200 and "Anna Åkesson" in page.get_data(as_text=True)


def test_filing_with_foreign_row_indexes(database_url, simulator_url):
    portal = portal_app(database_url, simulator_url)
    client = portal.test_client()
    log_in_with_profile(client, CUSTOMER)
    for index in ("²", "٣", "9" * 5000):
        data = {**ORDERER, **with_foreign_row(index).to_dict(), "form_key": form_key(client)}
        assert client.post(SITHS, data={**data, "action": f"remove:personer-{index}"}).status_code == 200
        assert client.post(SITHS, data={**data, "personer-0-epost": "fel"}).status_code == 422
        assert client.post(SITHS, data=data).status_code == 303
