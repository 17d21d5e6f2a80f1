"""Utkast over HTTP on both databases: a draft keeps every field and row as typed (the orderer
block too), continues from Mina sidor, goes when the form is filed or after DRAFT_DAYS, stays
within its limits with Swedish messages, is its owner's alone, and continues on a changed case
type with the answers that still fit and a list of those that do not."""
from __future__ import annotations

import json
import logging
import re
import shutil
import time
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest

from app.cases.types import case_types
from app.platform.extensions import db
from app.platform.models import Case, Draft, utcnow
from tests.login_helpers import CUSTOMER, OTHER_CUSTOMER, log_in, log_in_with_csrf, log_in_with_profile, portal_app
from tests.test_cases import ORDERER, ROW, SITHS, form_key

ROOT = Path(__file__).resolve().parents[1]
SAVE = SITHS + "/utkast"
TOKEN_URL = re.compile(r"^/utkast/([A-Za-z0-9_-]{22})$")
UNFINISHED_ROW = {  # a second row half done: a personnummer still being typed, no office
    "personer-1-namn": "Bo Ek",
    "personer-1-personnummer": "1941082",
    "personer-1-epost": "",
    "personer-1-ovrig_information": "Börjar i januari",
    "personer-1-_row": "",
}
THIRD_ROW = {"personer-2-namn": "Cilla Rad", "personer-2-personnummer": "198112289874",
             "personer-2-eget_kortkontor": "y", "personer-2-_row": ""}
CHANGED_ORDERER = {**ORDERER, "orderer-enhet": "Röntgen, plan 3"}


@pytest.fixture
def portal(database_url, simulator_url):
    return portal_app(database_url, simulator_url)


def draft_form(client) -> dict:
    return {**CHANGED_ORDERER, **ROW, **UNFINISHED_ROW, **THIRD_ROW, "form_key": form_key(client)}


def save_draft(client, data: dict, url: str = SAVE):
    return client.post(url, data=data)


def token_of(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    match = TOKEN_URL.match(response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def value_of(html: str, name: str) -> str | None:
    """The value an input or textarea of this name is drawn with (None: no such field)."""
    area = re.search(r'<textarea[^>]*\bname="%s"[^>]*>(.*?)</textarea>' % re.escape(name), html, re.S)
    if area:
        return unescape(area.group(1)).removeprefix("\n")
    tag = re.search(r'<input[^>]*\bname="%s"[^>]*>' % re.escape(name), html)
    if tag is None:
        return None
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return unescape(value.group(1)) if value else ""


def input_tag(html: str, name: str) -> str:
    return re.search(r'<input[^>]*\bname="%s"[^>]*>' % re.escape(name), html).group(0)


def selected_of(html: str, name: str) -> str | None:
    select = re.search(r'<select[^>]*\bname="%s".*?</select>' % re.escape(name), html, re.S)
    options = re.findall(r"<option[^>]*>", select.group(0)) if select else []
    chosen = [re.search(r'value="([^"]*)"', option).group(1) for option in options if re.search(r"\bselected\b", option)]
    return chosen[0] if chosen else None


def drafts_count(portal) -> int:
    with portal.app_context(), db.connection_context():
        return Draft.select().count()


def test_a_draft_gives_back_every_field_and_row_and_filing_deletes_it(portal, customer, caplog):
    caplog.set_level(logging.DEBUG)
    data = draft_form(customer)
    saved = save_draft(customer, data)
    token = token_of(saved)
    page = customer.get(saved.headers["Location"]).get_data(as_text=True)
    assert re.search(r"Utkastet är sparat kl\. \d\d:\d\d\.", page)
    for name, value in data.items():
        if not name.endswith(("_row", "eget_kortkontor", "kortutlamningskontor")):
            assert value_of(page, name) == value, name
    assert selected_of(page, "personer-0-kortutlamningskontor") == "uppsala"
    assert re.search(r"\bchecked\b", input_tag(page, "personer-2-eget_kortkontor"))
    assert "Formuläret innehåller fel" not in page  # a draft is not judged
    assert 'name="personer-3-namn"' not in page  # three rows, no more

    mina = customer.get("/mina-sidor").get_data(as_text=True)
    section = mina[mina.index('id="utkast"'):mina.index('id="ongoing"')]
    assert "Beställning av SITHS-kort" in section and f"/utkast/{token}" in section
    assert (utcnow() + timedelta(days=30)).strftime("%Y-%m-%d") in section

    filed = customer.post(SITHS, data={**data, "personer-1-personnummer": "194108207210",
                                       "personer-1-kortutlamningskontor": "uppsala", "personer-1-epost": "bo@example.se",
                                       "personer-2-epost": "cilla@example.se"})
    assert filed.status_code == 303 and "/skickat" in filed.headers["Location"]
    assert drafts_count(portal) == 0
    assert customer.get(f"/utkast/{token}").status_code == 404
    assert 'id="utkast"' not in customer.get("/mina-sidor").get_data(as_text=True)
    with portal.app_context(), db.connection_context():
        case = Case.get()
        assert [row["namn"] for row in case.data["personer"]] == ["Anna Åkesson", "Bo Ek", "Cilla Rad"]
        assert case.orderer["enhet"] == "Röntgen, plan 3"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "191212121212" not in logged and "1941082" not in logged


def test_saving_again_updates_the_same_draft_and_a_filed_form_saves_no_draft(portal, customer):
    data = draft_form(customer)
    first = token_of(save_draft(customer, data))
    second = token_of(save_draft(customer, {**data, "personer-1-namn": "Bo Eklund"}))
    assert first == second and drafts_count(portal) == 1
    assert value_of(customer.get(f"/utkast/{first}").get_data(as_text=True), "personer-1-namn") == "Bo Eklund"
    autosaved = customer.post(SAVE, data={**data, "personer-1-namn": "Bo E."}, headers={"X-Utkast": "1"})
    assert autosaved.status_code == 200 and re.fullmatch(r"Utkastet är sparat kl\. \d\d:\d\d\.", autosaved.get_json()["message"])
    assert drafts_count(portal) == 1

    complete = {**ORDERER, **ROW, "form_key": data["form_key"]}
    assert customer.post(SITHS, data=complete).status_code == 303
    stale = save_draft(customer, complete)  # the page kept open after filing, saved again
    assert stale.status_code == 303 and "/skickat" in stale.headers["Location"]
    assert drafts_count(portal) == 0


def test_drafts_are_their_owners_alone_and_never_cases(portal, customer, handler):
    token = token_of(save_draft(customer, draft_form(customer)))
    other = portal.test_client()
    log_in_with_profile(other, OTHER_CUSTOMER)
    assert other.get(f"/utkast/{token}").status_code == 404
    assert other.post(f"/utkast/{token}/ta-bort").status_code == 404
    assert handler.get(f"/utkast/{token}").status_code == 404
    assert "Utkast" not in other.get("/mina-sidor").get_data(as_text=True)
    queue = handler.get("/handlaggare/arenden").get_data(as_text=True)
    assert "Inga ärenden" in queue or "Beställning av SITHS-kort" not in queue
    assert customer.get("/utkast/" + "x" * 5000).status_code == 404
    assert drafts_count(portal) == 1

    removed = customer.post(f"/utkast/{token}/ta-bort")
    assert removed.status_code == 303 and removed.headers["Location"].startswith("/mina-sidor")
    assert "Utkastet är borttaget." in customer.get(removed.headers["Location"]).get_data(as_text=True)
    assert drafts_count(portal) == 0
    assert customer.post(f"/utkast/{token}/ta-bort").status_code == 404


def test_limits_per_customer_with_swedish_messages_and_nothing_lost(database_url, simulator_url):
    portal = portal_app(database_url, simulator_url, drafts_per_customer=2, draft_max_bytes=4000)
    customer = portal.test_client()
    log_in_with_profile(customer, CUSTOMER)
    kept = [token_of(save_draft(customer, draft_form(customer))) for _ in range(2)]

    third = draft_form(customer)
    refused = save_draft(customer, third)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Du har redan 2 sparade utkast" in page and "Ta bort ett utkast under Mina sidor" in page
    assert value_of(page, "personer-1-personnummer") == "1941082"  # the form again, as typed
    assert value_of(page, "form_key") == third["form_key"]
    as_json = customer.post(SAVE, data=third, headers={"X-Utkast": "1"})
    assert as_json.status_code == 422 and "Du har redan 2 sparade utkast" in as_json.get_json()["message"]
    assert drafts_count(portal) == 2

    existing = customer.get(f"/utkast/{kept[0]}").get_data(as_text=True)
    again = {**draft_form(customer), "form_key": value_of(existing, "form_key")}
    assert token_of(save_draft(customer, again)) == kept[0]  # an existing draft may still be saved

    too_big = {**again, "personer-0-ovrig_information": "x" * 5000}
    refused = save_draft(customer, too_big)
    assert refused.status_code == 422
    assert "Utkastet är för stort för att sparas" in refused.get_data(as_text=True)
    assert "x" * 5000 in refused.get_data(as_text=True)


def test_drafts_go_after_draft_days_by_the_retention_command(database_url, simulator_url):
    portal = portal_app(database_url, simulator_url, draft_days=10)
    customer = portal.test_client()
    log_in_with_profile(customer, CUSTOMER)
    old, recent = (token_of(save_draft(customer, draft_form(customer))) for _ in range(2))
    with portal.app_context(), db.connection_context():
        Draft.update(updated_at=utcnow() - timedelta(days=10, minutes=1)).where(Draft.token == old).execute()
        Draft.update(updated_at=utcnow() - timedelta(days=9, hours=23)).where(Draft.token == recent).execute()
    mina = customer.get("/mina-sidor").get_data(as_text=True)
    assert "tas bort automatiskt 10 dagar" in mina
    result = portal.test_cli_runner().invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    assert "1 utkast äldre än 10 dagar" in result.output and "avstängd" in result.output  # cases' gallring off
    with portal.app_context(), db.connection_context():
        assert [draft.token for draft in Draft.select()] == [recent]
    assert customer.get(f"/utkast/{old}").status_code == 404


CHANGING_TYPE = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Ändras",
    "type": "object",
    "properties": {
        "rubrik": {"type": "string", "title": "Rubrik", "maxLength": 200},
        "antal": {"type": "string", "title": "Antal kort", "maxLength": 20},
        "fax": {"type": "string", "title": "Faxnummer", "maxLength": 30},
        "rader": {"type": "array", "title": "Rader", "maxItems": 10, "items": {
            "type": "object", "additionalProperties": False,
            "properties": {"namn": {"type": "string", "title": "Namn", "maxLength": 100},
                           "rum": {"type": "string", "title": "Rum", "maxLength": 20}}}},
    },
    "required": ["rubrik"],
    "additionalProperties": False,
}


def write_type(folder: Path, schema: dict) -> None:
    folder.mkdir(exist_ok=True)
    shutil.copytree(ROOT / "forms" / "shared", folder / "shared", dirs_exist_ok=True)
    (folder / "andras.json").write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")


def test_a_changed_case_type_continues_with_the_answers_that_still_fit(database_url, simulator_url, tmp_path):
    """Saved under one version; the file then loses a field and a column and turns a text into
    an integer: the draft opens on the new version with the rest kept, the removed answers
    quoted back, the refused one shown at its field, and an answer that was already unfinished
    not blamed on the change."""
    folder = tmp_path / "forms"
    write_type(folder, CHANGING_TYPE)
    before = portal_app(database_url, simulator_url, forms_dir=str(folder))
    customer = before.test_client()
    log_in_with_profile(customer, CUSTOMER)
    url = "/arenden/nytt/andras"
    data = {**ORDERER, "rubrik": "Nya kort", "antal": "tio", "fax": "018-12 34 56", "form_key": form_key(customer, url),
            "rader-0-namn": "Anna", "rader-0-rum": "B12", "rader-0-_row": "",
            "rader-1-namn": "Bo", "rader-1-rum": "", "rader-1-_row": ""}
    token = token_of(save_draft(customer, data, url + "/utkast"))
    unchanged = customer.get(f"/utkast/{token}").get_data(as_text=True)
    assert "Ärendetypen har ändrats" not in unchanged

    changed = json.loads(json.dumps(CHANGING_TYPE))
    del changed["properties"]["fax"]
    del changed["properties"]["rader"]["items"]["properties"]["rum"]
    changed["properties"]["antal"] = {"type": "integer", "title": "Antal kort", "minimum": 1, "maximum": 100}
    changed["properties"]["rubrik"]["maxLength"] = 5  # "Nya kort" is now too long
    write_type(folder, changed)
    after = portal_app(database_url, simulator_url, forms_dir=str(folder))
    customer = after.test_client()
    log_in_with_profile(customer, CUSTOMER)
    page = customer.get(f"/utkast/{token}").get_data(as_text=True)
    text = unescape(re.sub(r"<[^>]+>", " ", page))
    notice = text[text.index("Ärendetypen har ändrats"):]
    assert "Faxnummer: 018-12 34 56" in notice and "Rad 1, Rum: B12" in notice
    assert "Antal kort: Ange ett heltal." in notice
    assert "Rubrik" in notice.split("behöver ändras", 1)[1]
    assert value_of(page, "fax") is None and value_of(page, "rader-0-rum") is None  # gone from the form
    assert value_of(page, "antal") == "tio"  # kept as typed, marked at its field
    assert 'aria-invalid="true"' in input_tag(page, "antal")
    assert value_of(page, "rader-0-namn") == "Anna" and value_of(page, "rader-1-namn") == "Bo"
    assert value_of(page, "orderer-enhet") == ORDERER["orderer-enhet"]
    with after.app_context(), db.connection_context():
        current = case_types()["andras"].sha256
        assert Draft.get().schema_sha256 != current  # the old version until saved again
    token_of(save_draft(customer, {**data, "antal": "10", "rubrik": "Kort", "form_key": value_of(page, "form_key")},
                        url + "/utkast"))
    assert "Ärendetypen har ändrats" not in customer.get(f"/utkast/{token}").get_data(as_text=True)
    with after.app_context(), db.connection_context():
        assert Draft.get().schema_sha256 == current


def test_an_expired_token_costs_the_autosave_one_retry_and_the_button_nothing_typed(sqlite_url, simulator_url):
    """A form kept open for hours by its autosave outlives its CSRF token: the script is given
    a fresh one and saves again; without the script the form comes back as typed."""
    portal = portal_app(sqlite_url, simulator_url, wtf_csrf_enabled=True, wtf_csrf_time_limit=1)
    client = portal.test_client()
    log_in_with_csrf(client, CUSTOMER)
    html = client.get(SITHS).get_data(as_text=True)
    data = {**ORDERER, **ROW, "form_key": value_of(html, "form_key"), "csrf_token": value_of(html, "csrf_token")}
    time.sleep(2.1)  # the token carries whole seconds
    autosave = client.post(SAVE, data=data, headers={"X-Utkast": "1"})
    assert autosave.status_code == 400 and autosave.get_json()["csrf_token"]
    assert drafts_count(portal) == 0
    button = client.post(SAVE, data=data)
    assert button.status_code == 400 and value_of(button.get_data(as_text=True), "personer-0-namn") == "Anna Åkesson"
    again = client.post(SAVE, data={**data, "csrf_token": autosave.get_json()["csrf_token"]}, headers={"X-Utkast": "1"})
    assert again.status_code == 200 and drafts_count(portal) == 1


def session_idles_out(portal) -> None:
    """The customer's session left idle past its limit (as if the form had been open an hour)."""
    from app.platform.models import Session
    with portal.app_context(), db.connection_context():
        Session.update(last_seen_at=utcnow() - timedelta(minutes=61)).execute()


def login_target(response) -> str:
    """Where a post after the session ended leads: the login page, back to the kept draft."""
    from urllib.parse import parse_qs, urlsplit
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    parts = urlsplit(response.headers["Location"])
    assert parts.path == "/logga-in"
    return parse_qs(parts.query)["next"][0]


def test_spara_utkast_after_the_session_ended_keeps_everything_for_the_same_person(portal, customer, caplog):
    caplog.set_level(logging.DEBUG)
    data = draft_form(customer)
    session_idles_out(portal)
    assert customer.get("/mina-sidor").status_code == 302  # the session has ended
    sent = save_draft(customer, data)
    target = login_target(sent)
    assert re.fullmatch(r"/utkast/[A-Za-z0-9_-]{22}\?utloggad=utkast", target)
    assert "191212121212" not in sent.headers["Location"] and "1941082" not in sent.headers["Location"]
    assert "Utkastet är sparat kl." in customer.get(sent.headers["Location"]).get_data(as_text=True)
    assert drafts_count(portal) == 1

    someone_else = portal.test_client()
    assert log_in(someone_else, OTHER_CUSTOMER, next_url=target).status_code == 303
    assert someone_else.get(target).status_code == 404  # only the person whose session ended

    back = log_in(customer, CUSTOMER, next_url=target)
    assert back.headers["Location"] == target
    page = customer.get(target).get_data(as_text=True)
    assert re.search(r"Utkastet är sparat kl\. \d\d:\d\d\. Du hade loggats ut", page)
    for name, value in data.items():
        if not name.endswith(("_row", "eget_kortkontor", "kortutlamningskontor")):
            assert value_of(page, name) == value, name
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "191212121212" not in logged and "1941082" not in logged


def test_skicka_in_after_the_session_ended_files_nothing_and_keeps_the_form(portal, customer):
    complete = {**ORDERER, **ROW, "form_key": form_key(customer)}
    session_idles_out(portal)
    target = login_target(customer.post(SITHS, data=complete))
    assert target.endswith("?utloggad=skicka")
    with portal.app_context(), db.connection_context():
        assert Case.select().count() == 0 and Draft.select().count() == 1
    log_in(customer, CUSTOMER, next_url=target)
    page = customer.get(target).get_data(as_text=True)
    assert "ärendet är inte inskickat" in page and value_of(page, "personer-0-namn") == "Anna Åkesson"
    filed = customer.post(SITHS, data={**complete, "form_key": value_of(page, "form_key")})
    assert filed.status_code == 303 and "/skickat" in filed.headers["Location"]
    assert drafts_count(portal) == 0


def test_nothing_is_kept_without_an_ended_session_or_from_another_site(sqlite_url, simulator_url):
    """A post after the CSRF token expired is kept only when its origin is this site; a browser
    that never logged in (or logged out) gets the ordinary login redirect and nothing is stored."""
    portal = portal_app(sqlite_url, simulator_url, wtf_csrf_enabled=True, wtf_csrf_time_limit=1)
    client = portal.test_client()
    log_in_with_csrf(client, CUSTOMER)
    html = client.get(SITHS).get_data(as_text=True)
    data = {**ORDERER, **ROW, "form_key": value_of(html, "form_key"), "csrf_token": value_of(html, "csrf_token")}
    time.sleep(2.1)  # the token carries whole seconds
    session_idles_out(portal)
    forged = client.post(SAVE, data=data, headers={"Origin": "https://evil.example"})
    assert forged.status_code == 400 and drafts_count(portal) == 0
    kept = client.post(SAVE, data=data, headers={"Origin": "http://localhost"})
    assert login_target(kept).endswith("?utloggad=utkast") and drafts_count(portal) == 1

    stranger = portal_app(sqlite_url, simulator_url).test_client()
    refused = stranger.post(SAVE, data={**ORDERER, **ROW})
    assert refused.status_code == 302 and "/logga-in" in refused.headers["Location"]
    assert drafts_count(portal) == 1
