"""Tests for app.dev.bankid_simulator over real HTTP: the API's status codes and JSON, the app page
(autostart and QR), timing with an injected clock, and the fault controls."""
from __future__ import annotations

import json

import pytest
import requests
from stdnum.se import personnummer

from app.accounts.bankid import BankIDError, qr_content, user_message
from app.dev.bankid_simulator import create_simulator
from tests.bankid_fixtures import OTHER_PERSON, TOLVAN, open_app, read_form, submit_app_form, verify_in_app


def post_raw(sim, endpoint, body=None, content_type="application/json", method="POST"):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return requests.request(method, sim.api_url + endpoint, data=data,
                            headers={"Content-Type": content_type}, timeout=5)


def error_of(response):
    return response.status_code, response.json()["errorCode"]


def test_test_numbers_are_luhn_valid():
    assert personnummer.is_valid(TOLVAN) and personnummer.is_valid(OTHER_PERSON)


# --- protocol ---------------------------------------------------------------------------------

def test_auth_answers_four_uuid_tokens(sim):
    answer = post_raw(sim, "auth", {"endUserIp": "127.0.0.1"}).json()
    assert set(answer) == {"orderRef", "autoStartToken", "qrStartToken", "qrStartSecret"}
    assert len(set(answer.values())) == 4 and all(len(v) == 36 for v in answer.values())


def test_charset_in_content_type_is_415(sim):
    response = post_raw(sim, "auth", {"endUserIp": "127.0.0.1"},
                        content_type="application/json; charset=utf-8")
    assert error_of(response) == (415, "unsupportedMediaType")


def test_other_content_type_is_415(sim):
    response = post_raw(sim, "auth", "endUserIp=127.0.0.1", content_type="text/plain")
    assert error_of(response) == (415, "unsupportedMediaType")


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_other_methods_are_405(sim, method):
    response = requests.request(method, sim.api_url + "auth", timeout=5)
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_unknown_endpoint_is_404(sim):
    assert error_of(post_raw(sim, "identify", {"endUserIp": "127.0.0.1"})) == (404, "notFound")


@pytest.mark.parametrize("endpoint, body", [
    ("auth", {}),
    ("auth", {"endUserIp": "not-an-ip"}),
    ("auth", {"endUserIp": "127.0.0.1", "requirement": {"personalNumber": "191212121213"}}),
    ("auth", {"endUserIp": "127.0.0.1", "requirement": "pinCode"}),
    ("auth", {"endUserIp": "127.0.0.1", "userVisibleData": "not base64!"}),
    ("sign", {"endUserIp": "127.0.0.1"}),
    ("phone/auth", {"personalNumber": TOLVAN}),
    ("phone/auth", {"personalNumber": "12345", "callInitiator": "RP"}),
    ("collect", {}),
    ("collect", {"orderRef": "00000000-0000-0000-0000-000000000000"}),
    ("cancel", {"orderRef": "00000000-0000-0000-0000-000000000000"}),
])
def test_invalid_parameters(sim, endpoint, body):
    assert error_of(post_raw(sim, endpoint, body)) == (400, "invalidParameters")


def test_broken_json_is_invalid_parameters(sim):
    assert error_of(post_raw(sim, "auth", b"{not json")) == (400, "invalidParameters")


def test_phone_auth_answers_only_an_order_ref(sim):
    answer = post_raw(sim, "phone/auth", {"personalNumber": TOLVAN, "callInitiator": "RP"}).json()
    assert set(answer) == {"orderRef"}


def test_second_auth_for_same_person_is_already_in_progress(bankid):
    bankid.auth("127.0.0.1", requirement={"personalNumber": TOLVAN})
    with pytest.raises(BankIDError) as caught:
        bankid.auth("127.0.0.1", requirement={"personalNumber": TOLVAN})
    assert (caught.value.error_code, caught.value.rfa) == ("alreadyInProgress", "RFA4")
    bankid.auth("127.0.0.1", requirement={"personalNumber": OTHER_PERSON})  # others may start


def test_cancel_then_collect_is_invalid_parameters(sim, bankid):
    order = bankid.auth("127.0.0.1")
    assert post_raw(sim, "cancel", {"orderRef": order.order_ref}).json() == {}
    response = post_raw(sim, "collect", {"orderRef": order.order_ref})
    assert error_of(response) == (400, "invalidParameters")


# --- the app page ------------------------------------------------------------------------------

def test_app_page_is_swedish_with_labels_and_buttons(sim, bankid):
    page = open_app(sim.base_url, bankid.auth("127.0.0.1"))
    form = read_form(page.text)
    assert 'lang="sv"' in page.text
    assert "Ange personnummer" in form.labels
    assert set(form.buttons) == {"Verifiera", "Avbryt"}
    assert "<script" not in page.text


def test_opening_the_app_moves_the_order_on(sim, bankid):
    order = bankid.auth("127.0.0.1")
    open_app(sim.base_url, order)
    assert bankid.collect(order.order_ref).hint_code == "userSign"
    assert open_app(sim.base_url, order).status_code == 409  # a token opens once


def test_verify_completes_for_the_typed_person(sim, bankid):
    order = bankid.auth("127.0.0.1")
    page = verify_in_app(sim.base_url, order, OTHER_PERSON)
    assert "Klart" in page.text
    user = bankid.collect(order.order_ref).completion.user
    assert user.personal_number == OTHER_PERSON
    assert user.name == f"{user.given_name} {user.surname}" and user.given_name


def test_names_typed_in_the_app_are_used(sim, bankid):
    order = bankid.auth("127.0.0.1")
    page = open_app(sim.base_url, order)
    form = read_form(page.text)
    requests.post(sim.base_url + form.action, timeout=5, data={
        **form.fields, "personnummer": OTHER_PERSON, "given_name": "Testa",
        "surname": "Testsson", "action": form.buttons["Verifiera"]})
    assert bankid.collect(order.order_ref).completion.user.name == "Testa Testsson"


@pytest.mark.parametrize("typed", ["191212121213", "1212121213", "19121312-1212", "abc", ""])
def test_invalid_personnummer_keeps_the_order_open(sim, bankid, typed):
    order = bankid.auth("127.0.0.1")
    page = submit_app_form(sim.base_url, open_app(sim.base_url, order), "Verifiera", typed)
    assert page.status_code == 400 and "Ange ett giltigt personnummer" in page.text
    assert bankid.collect(order.order_ref).status == "pending"
    submit_app_form(sim.base_url, page, "Verifiera", TOLVAN)  # the re-shown form still works
    assert bankid.collect(order.order_ref).status == "complete"


@pytest.mark.parametrize("typed", ["19121212-1212", "121212+1212", " 191212121212 "])
def test_the_app_takes_the_number_as_the_guide_writes_it(sim, bankid, typed):
    """Step 4 of the user guide: "Ange personnummer (xxxxxxx-xxxx)"."""
    order = bankid.auth("127.0.0.1")
    submit_app_form(sim.base_url, open_app(sim.base_url, order), "Verifiera", typed)
    assert bankid.collect(order.order_ref).completion.user.personal_number == TOLVAN


def test_cancel_in_app_fails_with_user_cancel(sim, bankid):
    order = bankid.auth("127.0.0.1")
    submit_app_form(sim.base_url, open_app(sim.base_url, order), "Avbryt")
    result = bankid.collect(order.order_ref)
    assert (result.status, result.hint_code) == ("failed", "userCancel")
    assert user_message(result.status, result.hint_code, qr=False, autostart_tried=True,
                        mobile=False)[0] == "RFA6"


def test_required_personal_number_must_match(sim, bankid):
    order = bankid.auth("127.0.0.1", requirement={"personalNumber": TOLVAN})
    verify_in_app(sim.base_url, order, OTHER_PERSON)
    assert bankid.collect(order.order_ref).status == "failed"

    order = bankid.auth("127.0.0.1", requirement={"personalNumber": TOLVAN})
    verify_in_app(sim.base_url, order, TOLVAN)
    assert bankid.collect(order.order_ref).completion.user.personal_number == TOLVAN


def test_developer_listing_links_outstanding_orders(sim, bankid):
    order = bankid.auth("127.0.0.1")
    listing = requests.get(sim.base_url + "/app", timeout=5).text
    assert f"/app?autostarttoken={order.auto_start_token}" in listing
    open_app(sim.base_url, order)
    assert order.auto_start_token not in requests.get(sim.base_url + "/app", timeout=5).text


def test_return_url_is_offered_after_verify(sim, bankid):
    order = bankid.auth("127.0.0.1", return_url="https://portal.test/bankid/return?n=abc")
    page = verify_in_app(sim.base_url, order, TOLVAN)
    assert 'href="https://portal.test/bankid/return?n=abc"' in page.text
    assert 'http-equiv="refresh" content="2;url=https://portal.test/bankid/return?n=abc"' in page.text


def test_app_page_escapes_the_text_to_sign(sim, bankid):
    page = open_app(sim.base_url, bankid.sign("127.0.0.1", "<script>alert(1)</script> & Co"))
    assert "<script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in page.text


def test_old_orders_are_forgotten(sim, bankid):
    order = bankid.auth("127.0.0.1")
    sim.clock.advance(361)
    bankid.auth("127.0.0.1")
    with pytest.raises(BankIDError) as caught:
        bankid.collect(order.order_ref)
    assert caught.value.error_code == "invalidParameters"


# --- QR ---------------------------------------------------------------------------------------

def scan(sim, content):
    return requests.get(sim.base_url + "/app", params={"qr": content}, timeout=5)


def test_scanning_a_fresh_qr_opens_the_order_once(sim, bankid):
    order = bankid.auth("127.0.0.1")
    sim.clock.advance(3)
    content = qr_content(order.qr_start_token, order.qr_start_secret, 3)
    page = scan(sim, content)
    assert page.status_code == 200 and "Ange personnummer" in page.text
    assert bankid.collect(order.order_ref).hint_code != "outstandingTransaction"  # hide the QR
    assert scan(sim, content).status_code == 409  # a used QR is refused
    submit_app_form(sim.base_url, page, "Verifiera", TOLVAN)
    assert bankid.collect(order.order_ref).status == "complete"


def test_qr_within_two_seconds_is_accepted(sim, bankid):
    order = bankid.auth("127.0.0.1")
    sim.clock.advance(6)
    assert scan(sim, qr_content(order.qr_start_token, order.qr_start_secret, 4)).status_code == 200


def test_old_qr_is_refused(sim, bankid):
    order = bankid.auth("127.0.0.1")
    sim.clock.advance(10)
    assert scan(sim, qr_content(order.qr_start_token, order.qr_start_secret, 2)).status_code == 409
    assert bankid.collect(order.order_ref).hint_code == "outstandingTransaction"


def flip_last_char(text):
    return text[:-1] + ("1" if text.endswith("0") else "0")


@pytest.mark.parametrize("forge", [
    lambda o: qr_content(o.qr_start_token, "not-the-secret", 0),
    lambda o: flip_last_char(qr_content(o.qr_start_token, o.qr_start_secret, 0)),
    lambda o: "bankid.garbage",
    lambda o: qr_content("00000000-0000-0000-0000-000000000000", o.qr_start_secret, 0),
])
def test_forged_qr_is_refused(sim, bankid, forge):
    order = bankid.auth("127.0.0.1")
    assert scan(sim, forge(order)).status_code == 409
    assert bankid.collect(order.order_ref).hint_code == "outstandingTransaction"


# --- timing ------------------------------------------------------------------------------------

def test_unscanned_order_fails_with_start_failed(sim, bankid):
    order = bankid.auth("127.0.0.1")
    sim.clock.advance(29)
    assert bankid.collect(order.order_ref).status == "pending"
    sim.clock.advance(1)
    result = bankid.collect(order.order_ref)
    assert (result.status, result.hint_code) == ("failed", "startFailed")
    assert user_message(result.status, result.hint_code, qr=True, autostart_tried=False,
                        mobile=False)[0] == "RFA17B"


def test_opened_order_expires(sim, bankid):
    order = bankid.auth("127.0.0.1")
    page = open_app(sim.base_url, order)
    sim.clock.advance(180)
    result = bankid.collect(order.order_ref)
    assert (result.status, result.hint_code) == ("failed", "expiredTransaction")
    assert submit_app_form(sim.base_url, page, "Verifiera", TOLVAN).status_code == 409


def test_timing_is_configurable(sim, bankid):
    sim.control(start_failed_after=5)
    order = bankid.auth("127.0.0.1")
    sim.clock.advance(5)
    assert bankid.collect(order.order_ref).hint_code == "startFailed"


def test_expired_order_frees_the_person_for_a_new_order(sim, bankid):
    bankid.auth("127.0.0.1", requirement={"personalNumber": TOLVAN})
    sim.clock.advance(30)
    bankid.auth("127.0.0.1", requirement={"personalNumber": TOLVAN})


# --- faults --------------------------------------------------------------------------------------

@pytest.mark.parametrize("hint, rfa", [
    ("expiredTransaction", "RFA8"), ("userCancel", "RFA6"), ("startFailed", "RFA17A"),
    ("certificateErr", "RFA16"), ("aBrandNewHintCode", "RFA22"),
])
def test_next_order_ends_as_told(sim, bankid, hint, rfa):
    sim.control(next_order_ends=hint)
    failing = bankid.auth("127.0.0.1")
    result = bankid.collect(failing.order_ref)
    assert (result.status, result.hint_code) == ("failed", hint)
    assert user_message(result.status, result.hint_code, qr=False, autostart_tried=True,
                        mobile=False)[0] == rfa
    assert bankid.collect(bankid.auth("127.0.0.1").order_ref).status == "pending"  # only once


def test_collect_sequence_then_completion(sim, bankid):
    sequence = ["outstandingTransaction", "started", "userSign"]
    sim.control(collect_sequence=sequence, next_complete_as=TOLVAN)
    order = bankid.auth("127.0.0.1")
    hints = [bankid.collect(order.order_ref).hint_code for _ in sequence]
    assert hints == sequence
    assert bankid.collect(order.order_ref).completion.user.personal_number == TOLVAN


def test_unknown_pending_hint_gets_generic_message(sim, bankid):
    sim.control(collect_sequence=["someFuturePendingHint"])
    result = bankid.collect(bankid.auth("127.0.0.1").order_ref)
    assert user_message(result.status, result.hint_code, qr=True, autostart_tried=False,
                        mobile=False)[0] == "RFA21"


def test_control_rejects_unknown_keys(sim):
    response = requests.post(sim.base_url + "/sim/control", json={"clock": 1}, timeout=5)
    assert error_of(response) == (400, "invalidParameters")


def test_reset_clears_orders_and_faults(sim, bankid):
    order = bankid.auth("127.0.0.1")
    sim.control(next_errors={"auth": ["maintenance"]}, next_order_ends="userCancel")
    requests.post(sim.base_url + "/sim/reset", timeout=5).raise_for_status()
    with pytest.raises(BankIDError):
        bankid.collect(order.order_ref)
    assert bankid.collect(bankid.auth("127.0.0.1").order_ref).hint_code == "outstandingTransaction"


def test_faults_can_be_given_as_settings():
    client = create_simulator({"next_errors": {"auth": ["internalError"]}}).test_client()
    response = client.post("/rp/v6.0/auth", json={"endUserIp": "127.0.0.1"})
    assert (response.status_code, response.json["errorCode"]) == (500, "internalError")
    assert client.post("/rp/v6.0/auth", json={"endUserIp": "127.0.0.1"}).status_code == 200


def test_unknown_settings_are_refused():
    with pytest.raises(ValueError):
        create_simulator({"start_faild_after": 3})
