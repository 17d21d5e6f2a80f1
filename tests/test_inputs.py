"""Request input at the edge (app/platform/inputs.py): text cleaned of control characters and lone
surrogates before anything is stored or queried, and ids, cursors and versions read by one
rule that stays inside the database's integer range — on SQLite and PostgreSQL (issue 10)."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.platform.extensions import db
from app.platform.inputs import DATABASE_INT_MAX, clean_text, database_int, parse_database_int
from app.platform.models import Case, Message, Profile, QueueSearch
from tests.login_helpers import PROFILE_FORM, portal_app
from tests.test_cases import ORDERER, ROW, SITHS, form_key

HUGE = "9" * 30  # SQLite cannot bind it (OverflowError)
ENDLESS = "9" * 5000  # Python's int() refuses it outright


@pytest.fixture
def portal(database_url, simulator_url):
    return portal_app(database_url, simulator_url)


def file_case(customer) -> str:
    response = customer.post(SITHS, data={**ORDERER, **ROW, "form_key": form_key(customer)})
    return response.headers["Location"].split("/")[2]


# --- the rules ---------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, kept", [
    ("Hej\x00 då", "Hej då"),
    ("rad 1\r\nrad 2\tflik", "rad 1\r\nrad 2\tflik"),  # line breaks and tabs are text
    ("\x1b[31mröd\x1b[0m", "[31mröd[0m"),  # the escape character goes, the letters stay
    ("a\x7fb\x85c\x9fd", "abcd"),  # DEL and the C1 controls
    ("lone \ud800 surrogate \udfff", "lone  surrogate "),
    ("Åsa 😀 ١٢٣ ²", "Åsa 😀 ١٢٣ ²"),  # letters, emoji and foreign digits are text
])
def test_clean_text_drops_control_characters_and_lone_surrogates(typed, kept):
    assert clean_text(typed) == kept
    kept.encode("utf-8")  # always storable


@given(st.text())
def test_cleaned_text_is_always_valid_utf8_without_nul(text):
    result = clean_text(text)
    result.encode("utf-8")
    assert "\x00" not in result


@pytest.mark.parametrize("text, number", [("0", 0), ("42", 42), (str(DATABASE_INT_MAX), DATABASE_INT_MAX)])
def test_database_int_reads_plain_numbers(text, number):
    assert database_int(text) == number


@pytest.mark.parametrize("text", ["", "-1", "+1", " 1", "1 ", "007", "1.0", "²", "٣", "١٢", "1e3",
                                  str(DATABASE_INT_MAX + 1), HUGE, ENDLESS, None, "1\n"])
def test_database_int_refuses_everything_else(text):
    with pytest.raises(ValueError):
        database_int(text)
    assert parse_database_int(text) is None


# --- over HTTP, on both databases ----------------------------------------------------------------

@pytest.mark.parametrize("cursor", [HUGE, ENDLESS, "٣", "²", "-5"])
def test_a_malformed_cursor_on_mina_sidor_shows_the_first_page(customer, cursor):
    number = file_case(customer)
    for name in ("pagaende_fore", "avslutade_fore"):
        response = customer.get(f"/mina-sidor?{name}={cursor}")
        assert response.status_code == 200 and number in response.get_data(as_text=True)


@pytest.mark.parametrize("status", ["open", "all", "Inskickat", "Under handläggning", "Avslutat", "okänd"])
def test_every_queue_filter_with_a_huge_cursor_answers(customer, handler, status):
    number = file_case(customer)
    for cursor in (HUGE, ENDLESS, "٣"):
        response = handler.get("/handlaggare/arenden", query_string={
            "status": status, "typ": "bestallning-av-siths-kort", "efter": cursor})
        assert response.status_code == 200
        assert (number in response.get_data(as_text=True)) == (status in ("open", "all", "Inskickat", "okänd"))  # unknown: open


@pytest.mark.parametrize("notification_id", [HUGE, ENDLESS, str(DATABASE_INT_MAX + 1), "%D9%A3", "%C2%B2"])
def test_a_notification_id_out_of_range_is_not_found(customer, notification_id):
    assert customer.post(f"/notiser/{notification_id}").status_code == 404


@pytest.mark.parametrize("version", [HUGE, ENDLESS, "٣", "-1", "", "ett"])
def test_a_forged_version_on_a_status_change_is_refused(portal, customer, handler, version):
    number = file_case(customer)
    response = handler.post(f"/handlaggare/arenden/{number}/status", data={"action": "take", "version": version})
    assert response.status_code == 400 and "Begäran kunde inte behandlas" in response.get_data(as_text=True)
    with portal.app_context(), db.connection_context():
        assert Case.get(Case.number == number).status == "Inskickat"


def test_nul_and_control_characters_never_reach_the_database(portal, customer, handler):
    number = file_case(customer)
    for client, path in ((customer, f"/arenden/{number}"), (handler, f"/handlaggare/arenden/{number}")):
        html = client.get(path).get_data(as_text=True)
        key = html.split('name="form_key" value="', 1)[1].split('"', 1)[0]
        response = client.post(f"{path}/meddelanden", data={"meddelande": "Hej\x00 på\x1b dig\r\nrad två",
                                                             "form_key": key})
        assert response.status_code == 303
    search = handler.post("/handlaggare/arenden/sok", data={"q": "Region\x00 Uppland"})
    assert search.status_code == 303 and number in handler.get(search.headers["Location"]).get_data(as_text=True)
    profile = customer.post("/mina-uppgifter", data={**PROFILE_FORM, "enhet-enhetens_namn": "Akut\x00mottagningen"})
    assert profile.status_code == 303
    with portal.app_context(), db.connection_context():
        assert [message.body for message in Message.select().order_by(Message.id)] == ["Hej på dig\nrad två"] * 2
        assert Profile.get().data["enhet"]["enhetens_namn"] == "Akutmottagningen"
        assert QueueSearch.get().text == "Region Uppland"


def test_a_forged_form_key_is_replaced_by_a_fresh_one(portal, customer):
    for _ in range(2):
        response = customer.post(SITHS, data={**ORDERER, **ROW, "form_key": ENDLESS})
        assert response.status_code == 303
    with portal.app_context(), db.connection_context():
        assert [len(case.form_key) for case in Case.select()] == [32, 32]  # a fresh key each time


@given(st.text(max_size=30))
def test_database_int_reads_only_its_own_spelling(text):
    """Whatever the text, a number comes back only for the plain decimal spelling of a number
    that fits the column; anything else is a ValueError, never another exception."""
    number = parse_database_int(text)
    assert number is None or (0 <= number <= DATABASE_INT_MAX and str(number) == text)


def test_json_bodies_are_cleaned_too(app):
    """An API reading JSON gets the same text as a form: "\\u0000" and "\\ud800" escapes are
    valid JSON but no storable text."""
    body = '{"namn": "An\\u0000na\\ud800", "rader": [{"text": "\\u001b[2Jx"}], "antal": 3}'
    with app.test_request_context("/", method="POST", data=body, content_type="application/json"):
        from flask import request
        assert request.get_json() == {"namn": "Anna", "rader": [{"text": "[2Jx"}], "antal": 3}


def test_multipart_text_is_cleaned_and_files_are_left_alone(app):
    """A file's bytes are its own business (checked by content elsewhere); its text fields are
    cleaned like any form's."""
    import io

    from flask import request
    data = {"beskrivning": "rad\x00 ett", "bilaga": (io.BytesIO(b"\x00\x1b binary"), "a\x00.pdf")}
    with app.test_request_context("/", method="POST", data=data, content_type="multipart/form-data"):
        assert request.form["beskrivning"] == "rad ett"
        assert request.files["bilaga"].read() == b"\x00\x1b binary"
