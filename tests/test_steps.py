"""A stepped case form over HTTP, as a browser without JavaScript posts it: every page carries
the other steps' answers as hidden inputs, "Nästa" stops on a step whose own fields are wrong
(conditions from another step included) with the answers kept, "Föregående" and "Ändra" judge
nothing, and "Skicka in" files exactly what "Granska och skicka" showed. The SITHS order keeps
its single page."""
from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from app.platform.extensions import db
from app.platform.models import Case
from tests.login_helpers import portal_app
from tests.test_cases import ORDERER, ROW, SITHS

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "steps" / "andring-av-medarbetaruppdrag.json"
STEPPED = "/arenden/nytt/andring-av-medarbetaruppdrag"
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
PERSON = {"personer-0-namn": "Anna Åkesson", "personer-0-personnummer": "19121212-1212", "personer-0-_row": ""}


@pytest.fixture
def forms_with_steps(tmp_path) -> Path:
    forms = tmp_path / "forms"
    shutil.copytree(ROOT / "forms", forms)
    shutil.copy(FIXTURE, forms / FIXTURE.name)
    return forms


@pytest.fixture
def portal(database_url, simulator_url, forms_with_steps):
    return portal_app(database_url, simulator_url, forms_dir=str(forms_with_steps))


def hidden_pairs(page: str) -> list[tuple[str, str]]:
    """What the page posts besides what is typed on it: its hidden inputs (csrf excepted)."""
    return [(name, html.unescape(value)) for name, value in HIDDEN.findall(page) if name != "csrf_token"]


def press(client, page: str, move: str, typed: dict | None = None):
    """Post the page as a browser does: its hidden inputs, what was typed, the button pressed."""
    pairs = hidden_pairs(page) + list((typed or {}).items()) + [("_move", move)]
    return client.post(STEPPED, data=MultiDict(pairs))


def text(response) -> str:
    return response.get_data(as_text=True)


def walk_to_review(client):
    first = text(client.get(STEPPED))
    second = press(client, first, "next", {**ORDERER, "kontaktvag": "telefon"})
    third = press(client, text(second), "next", {"enhet": "Akuten", "giltigt_fran": "2026-03-01", "telefon": "070-123 45 67"})
    return press(client, text(third), "next", PERSON)


def test_the_first_step_shows_the_orderer_and_its_own_fields_only(customer):
    page = text(customer.get(STEPPED))
    assert "Steg 1 av 3" in page and '<li class="steps__item steps__item--current" aria-current="step">Kontakt</li>' in page
    assert "Beställare" in page and 'name="kontaktvag"' in page
    assert 'id="enhet"' not in page and 'id="personer-0-namn"' not in page
    assert "Föregående" not in page and 'value="next"' in page


def test_next_with_a_wrong_answer_in_step_2_stays_there_with_the_answer_kept(customer, portal):
    first = text(customer.get(STEPPED))
    second = press(customer, first, "next", {**ORDERER, "kontaktvag": "telefon"})
    assert second.status_code == 200 and "Steg 2 av 3" in text(second)
    # Telefon is asked for because of the answer in step 1: the condition reaches across steps.
    wrong = press(customer, text(second), "next", {"enhet": "Akuten", "telefon": "12"})
    page = text(wrong)
    assert wrong.status_code == 422 and "Steg 2 av 3" in page
    assert 'value="12"' in page and 'value="Akuten"' in page
    assert re.search(r'id="telefon-error"[^>]*>.*Telefonnummer', page) or 'id="telefon-error"' in page
    # Only this step's problems: the persons of step 3 are not judged yet.
    assert "personer" not in re.search(r'<div class="error-summary".*?</div>', page, re.S).group(0)
    assert ("kontaktvag", "telefon") in hidden_pairs(page)  # step 1's answer still travels
    missing = press(customer, page, "next", {"enhet": "Akuten", "telefon": ""})
    assert missing.status_code == 422 and 'id="telefon-error"' in text(missing)
    assert counts(portal) == 0


def test_back_and_edit_judge_nothing_and_lose_nothing(customer):
    first = text(customer.get(STEPPED))
    second = text(press(customer, first, "next", {**ORDERER, "kontaktvag": "epost"}))
    back = press(customer, second, "previous", {"enhet": "Halvfärdig"})
    page = text(back)
    assert back.status_code == 200 and "Steg 1 av 3" in page
    assert '<input checked id="kontaktvag-0" name="kontaktvag" type="radio" value="epost">' in page
    assert ("enhet", "Halvfärdig") in hidden_pairs(page)
    assert 'value="Region Uppland"' in page  # the orderer is drawn again on the first step


def test_the_review_lists_every_answer_and_files_exactly_it(customer, portal):
    review = walk_to_review(customer)
    page = text(review)
    assert review.status_code == 200 and "<h1>Granska och skicka</h1>" in page
    for answer in ("Region Uppland", "232100-0016", "Telefon", "Akuten", "2026-03-01", "070-123 45 67",
                   "Anna Åkesson", "19121212-1212"):
        assert answer in page, answer
    assert [html.unescape(m) for m in re.findall(r'value="(edit:\d)"', page)] == ["edit:1", "edit:2", "edit:3"]
    edited = press(customer, page, "edit:2")
    assert "Steg 2 av 3" in text(edited) and 'value="Akuten"' in text(edited)
    filed = press(customer, page, "file")
    assert filed.status_code == 303 and "/skickat" in filed.headers["Location"]
    with portal.app_context(), db.connection_context():
        case = Case.get()
        assert case.data == {"kontaktvag": "telefon", "telefon": "+46701234567", "enhet": "Akuten",
                             "giltigt_fran": "2026-03-01",
                             "personer": [{"namn": "Anna Åkesson", "personnummer": "191212121212", "ta_bort": False}]}
        assert case.orderer["organisation"] == "Region Uppland"


def test_answers_changed_after_the_review_are_not_filed(customer, portal):
    page = text(walk_to_review(customer))
    pairs = [(name, "Någon annan" if name == "enhet" else value) for name, value in hidden_pairs(page)]
    changed = customer.post(STEPPED, data=MultiDict(pairs + [("_move", "file")]))
    assert changed.status_code == 409
    assert "Uppgifterna har ändrats sedan du granskade dem." in text(changed) and "Någon annan" in text(changed)
    unreviewed = customer.post(STEPPED, data=MultiDict(
        [p for p in hidden_pairs(page) if p[0] != "_reviewed"] + [("_move", "file")]))
    assert unreviewed.status_code == 409 and "<h1>Granska och skicka</h1>" in text(unreviewed)
    assert counts(portal) == 0
    again = press(customer, text(changed), "file")  # the page now shows the changed answers
    assert again.status_code == 303
    with portal.app_context(), db.connection_context():
        assert Case.get().data["enhet"] == "Någon annan"


def test_filing_with_a_problem_in_an_earlier_step_opens_that_step(customer, portal):
    page = text(walk_to_review(customer))
    pairs = [(name, value) for name, value in hidden_pairs(page) if name != "orderer-organisationsnummer"]
    refused = customer.post(STEPPED, data=MultiDict(pairs + [("orderer-organisationsnummer", "1"), ("_move", "file")]))
    assert refused.status_code == 422 and "Steg 1 av 3" in text(refused)
    assert 'id="orderer-organisationsnummer-error"' in text(refused)
    assert counts(portal) == 0


def test_a_row_added_on_a_step_stays_on_that_step(customer):
    first = text(customer.get(STEPPED))
    second = text(press(customer, first, "next", {**ORDERER, "kontaktvag": "epost"}))
    third = text(press(customer, second, "next", {"enhet": "Akuten"}))
    added = customer.post(STEPPED, data=MultiDict(hidden_pairs(third) + list(PERSON.items()) + [("action", "add:personer")]))
    page = text(added)
    assert "Steg 3 av 3" in page and 'id="personer-1-namn"' in page and 'value="Anna Åkesson"' in page
    assert ("enhet", "Akuten") in hidden_pairs(page)


def test_the_siths_order_keeps_its_single_page(customer, portal):
    page = text(customer.get(SITHS))
    assert "Steg 1" not in page and "_move" not in page and 'id="personer-0-namn"' in page
    key = re.search(r'name="form_key" value="([^"]+)"', page).group(1)
    assert customer.post(SITHS, data={**ORDERER, **ROW, "form_key": key}).status_code == 303
    assert counts(portal) == 1


def counts(portal) -> int:
    with portal.app_context(), db.connection_context():
        return Case.select().count()


def test_a_draft_saved_on_step_2_reopens_there_and_still_files(customer, portal):
    from app.platform.models import Draft
    first = text(customer.get(STEPPED))
    second = text(press(customer, first, "next", {**ORDERER, "kontaktvag": "telefon"}))
    pairs = hidden_pairs(second) + [("enhet", "Akuten"), ("telefon", "070-123 45 67")]
    saved = customer.post(STEPPED + "/utkast", data=MultiDict(pairs))
    assert saved.status_code == 303
    reopened = customer.get(saved.headers["Location"])
    page = text(reopened)
    assert reopened.status_code == 200 and "Steg 2 av 3" in page
    assert 'value="Akuten"' in page and 'value="070-123 45 67"' in page
    assert ("kontaktvag", "telefon") in hidden_pairs(page) and ("orderer-organisation", "Region Uppland") in hidden_pairs(page)
    third = press(customer, page, "next", {"enhet": "Akuten", "telefon": "070-123 45 67"})
    assert "Steg 3 av 3" in text(third)
    review = press(customer, text(third), "next", PERSON)
    assert "<h1>Granska och skicka</h1>" in text(review)
    assert press(customer, text(review), "file").status_code == 303
    with portal.app_context(), db.connection_context():
        assert Case.get().data["telefon"] == "+46701234567" and Draft.select().count() == 0


def test_a_draft_saved_on_the_review_page_reopens_there_with_every_answer(customer, portal):
    from app.platform.models import Draft
    page = text(walk_to_review(customer))
    assert "Spara utkast" in page
    saved = customer.post(STEPPED + "/utkast", data=MultiDict(hidden_pairs(page)))
    assert saved.status_code == 303
    reopened = text(customer.get(saved.headers["Location"]))
    assert "<h1>Granska och skicka</h1>" in reopened and "Utkastet är sparat" in reopened
    for answer in ("Region Uppland", "Telefon", "Akuten", "2026-03-01", "070-123 45 67", "Anna Åkesson"):
        assert answer in reopened, answer
    assert press(customer, reopened, "file").status_code == 303  # its fingerprint is of what it shows
    with portal.app_context(), db.connection_context():
        assert Case.get().data["enhet"] == "Akuten" and Draft.select().count() == 0


STEP_2 = {"enhet": "Akuten", "giltigt_fran": "2026-03-01", "telefon": "070-123 45 67"}


def test_andra_leads_back_to_the_review_once_that_step_judges(customer, portal):
    """"Ändra" opens the step on its way back: "Spara och granska" judges the step's own fields
    first (a wrong answer stays there, kept), then returns to the review without walking the
    later steps; "Föregående" keeps the way back."""
    review = text(walk_to_review(customer))
    edit = text(press(customer, review, "edit:2"))
    assert "Steg 2 av 3" in edit and ("_granska", "1") in hidden_pairs(edit)
    assert "Spara och granska" in edit and 'value="next"' not in edit
    wrong = press(customer, edit, "review", {**STEP_2, "telefon": "12"})
    assert wrong.status_code == 422 and "Steg 2 av 3" in text(wrong) and 'value="12"' in text(wrong)
    assert 'id="telefon-error"' in text(wrong) and ("_granska", "1") in hidden_pairs(text(wrong))
    back = text(press(customer, text(wrong), "previous", STEP_2))
    assert "Steg 1 av 3" in back and "Spara och granska" in back  # still on the way back
    again = press(customer, back, "review", {**ORDERER, "kontaktvag": "telefon"})
    assert again.status_code == 200 and "<h1>Granska och skicka</h1>" in text(again)
    edit = text(press(customer, text(again), "edit:2"))
    fixed = press(customer, edit, "review", {**STEP_2, "enhet": "Röntgen"})
    page = text(fixed)
    assert fixed.status_code == 200 and "<h1>Granska och skicka</h1>" in page and "Röntgen" in page
    assert "_granska" not in page
    assert press(customer, page, "file").status_code == 303
    with portal.app_context(), db.connection_context():
        assert Case.get().data["enhet"] == "Röntgen" and Case.get().data["personer"][0]["namn"] == "Anna Åkesson"


def test_a_change_that_asks_for_an_answer_in_another_step_goes_there_first(customer):
    """E-post chosen, reviewed; "Ändra" step 1 to Telefon: the telephone number (step 2) is now
    required, so "Spara och granska" opens step 2 with its problem, still on the way back."""
    first = text(customer.get(STEPPED))
    second = text(press(customer, first, "next", {**ORDERER, "kontaktvag": "epost"}))
    third = text(press(customer, second, "next", {"enhet": "Akuten"}))
    review = text(press(customer, third, "next", PERSON))
    assert "<h1>Granska och skicka</h1>" in review
    edit = text(press(customer, review, "edit:1"))
    moved = press(customer, edit, "review", {**ORDERER, "kontaktvag": "telefon"})
    assert moved.status_code == 422 and "Steg 2 av 3" in text(moved) and 'id="telefon-error"' in text(moved)
    assert "Spara och granska" in text(moved)
    done = press(customer, text(moved), "review", {"enhet": "Akuten", "telefon": "070-123 45 67"})
    assert "<h1>Granska och skicka</h1>" in text(done) and "070-123 45 67" in text(done)


def test_a_draft_saved_on_a_step_opened_from_the_review_reopens_there(customer):
    review = text(walk_to_review(customer))
    edit = text(press(customer, review, "edit:3"))
    pairs = hidden_pairs(edit) + list({**PERSON, "personer-0-namn": "Anna Berg"}.items())
    saved = customer.post(STEPPED + "/utkast", data=MultiDict(pairs))
    reopened = text(customer.get(saved.headers["Location"]))
    assert "Steg 3 av 3" in reopened and "Spara och granska" in reopened and 'value="Anna Berg"' in reopened
    assert ("enhet", "Akuten") in hidden_pairs(reopened)
    back = press(customer, reopened, "review", {**PERSON, "personer-0-namn": "Anna Berg"})
    assert "<h1>Granska och skicka</h1>" in text(back) and "Anna Berg" in text(back)


def test_the_preview_shows_a_stepped_case_type_by_its_steps(sqlite_url, forms_with_steps):
    """The administrators' preview: one page, each step's fields under its heading in the
    customer's order, the list of steps and the review page, and the problems per step."""
    from tests.conftest import make_app
    client = make_app(sqlite_url, forms_dir=str(forms_with_steps)).test_client()
    url = "/forhandsgranska/andring-av-medarbetaruppdrag"
    page = text(client.get(url))
    assert "Kunden fyller i formuläret i 3 steg" in page and "<li>Granska och skicka:" in page
    places = [page.index(marker) for marker in ("Steg 1 av 3: Kontakt", 'name="kontaktvag"', "Steg 2 av 3: Uppdraget",
                                                'name="enhet"', "Steg 3 av 3: Personer", 'name="personer-0-namn"')]
    assert places == sorted(places)
    checked = text(client.post(url, data={"kontaktvag": "telefon", "enhet": "Akuten", "telefon": "12",
                                          "personer-0-namn": "Anna", "personer-0-personnummer": "191212121212",
                                          "personer-0-_row": ""}))
    assert re.search(r'href="#steg-1">Kontakt</a>: [^<]* – inga fel', checked)
    assert re.search(r'href="#steg-2">Uppdraget</a>: [^<]*Enhet som uppdraget gäller[^<]* – <strong>1 fel</strong>', checked)
    assert re.search(r'href="#steg-3">Personer</a>: Personer – inga fel', checked)


def test_skicka_in_on_the_review_after_the_session_ended_files_nothing_and_reopens_the_review(customer, portal):
    from datetime import timedelta
    from urllib.parse import parse_qs, urlsplit

    from app.platform.models import Draft, Session, utcnow
    from tests.login_helpers import CUSTOMER, log_in
    review = text(walk_to_review(customer))
    with portal.app_context(), db.connection_context():
        Session.update(last_seen_at=utcnow() - timedelta(minutes=61)).execute()
    sent = press(customer, review, "file")
    assert sent.status_code == 303 and urlsplit(sent.headers["Location"]).path == "/logga-in"
    target = parse_qs(urlsplit(sent.headers["Location"]).query)["next"][0]
    assert counts(portal) == 0
    log_in(customer, CUSTOMER, next_url=target)
    page = text(customer.get(target))
    assert "<h1>Granska och skicka</h1>" in page and "ärendet är inte inskickat" in page and "Akuten" in page
    assert press(customer, page, "file").status_code == 303
    with portal.app_context(), db.connection_context():
        assert Case.get().data["enhet"] == "Akuten" and Draft.select().count() == 0
