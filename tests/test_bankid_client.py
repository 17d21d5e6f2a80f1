"""Tests for app.accounts.bankid and app.accounts.bankid_messages: QR vectors, messages, error mapping, retries and
mutual TLS — all over real HTTP on loopback against the simulator (no mocked requests)."""
from __future__ import annotations

import base64
import datetime
import socket
import ssl

import pytest

from app.accounts.bankid import (
    BankIDClient,
    BankIDError,
    autostart_url,
    error_message,
    parse_issue_date,
    qr_content,
    user_message,
)
from app.accounts.bankid_messages import RFA_TEXTS
from tests.bankid_fixtures import TOLVAN, make_pki, running_simulator, verify_in_app

QR_TOKEN = "67df3917-fa0d-44e5-b327-edcc928297f8"
QR_SECRET = "d28db9a7-4cde-429e-a983-359be676944c"


@pytest.mark.parametrize("seconds, auth_code", [
    (0, "dc69358e712458a66a7525beef148ae8526b1c71610eff2c16cdffb4cdac9bf8"),
    (1, "949d559bf23403952a94d103e67743126381eda00f0b3cbddbf7c96b1adcbce2"),
    (2, "a9e5ec59cb4eee4ef4117150abc58fad7a85439a6a96ccbecc3668b41795b3f3"),
])
def test_qr_content_matches_reference_vectors(seconds, auth_code):
    assert qr_content(QR_TOKEN, QR_SECRET, seconds) == f"bankid.{QR_TOKEN}.{seconds}.{auth_code}"


# --- messages ------------------------------------------------------------------------------------

DESKTOP_QR = dict(qr=True, autostart_tried=False, mobile=False)
DESKTOP_AUTOSTART = dict(qr=False, autostart_tried=True, mobile=False)
MOBILE_AUTOSTART = dict(qr=False, autostart_tried=True, mobile=True)
MANUAL = dict(qr=False, autostart_tried=False, mobile=False)


@pytest.mark.parametrize("status, hint, how, rfa", [
    ("pending", "outstandingTransaction", DESKTOP_QR, "RFA1"),
    ("pending", "outstandingTransaction", MANUAL, "RFA1"),
    ("pending", "noClient", DESKTOP_QR, "RFA1"),
    ("pending", "noClient", DESKTOP_AUTOSTART, "RFA1"),
    ("pending", "outstandingTransaction", DESKTOP_AUTOSTART, "RFA13"),
    ("pending", "started", DESKTOP_AUTOSTART, "RFA15A"),
    ("pending", "started", MOBILE_AUTOSTART, "RFA15B"),
    ("pending", "userSign", DESKTOP_QR, "RFA9"),
    ("pending", "userMrtd", DESKTOP_QR, "RFA23"),
    ("pending", "userCallConfirm", MANUAL, "RFA21"),
    ("pending", "somethingBankIDAddsLater", MANUAL, "RFA21"),
    ("pending", None, MANUAL, "RFA21"),
    ("failed", "userCancel", DESKTOP_QR, "RFA6"),
    ("failed", "cancelled", DESKTOP_QR, "RFA3"),
    ("failed", "expiredTransaction", DESKTOP_QR, "RFA8"),
    ("failed", "certificateErr", DESKTOP_QR, "RFA16"),
    ("failed", "startFailed", DESKTOP_AUTOSTART, "RFA17A"),
    ("failed", "startFailed", DESKTOP_QR, "RFA17B"),
    ("failed", "transactionRiskBlocked", DESKTOP_QR, "RFA22"),
    ("failed", "somethingBankIDAddsLater", DESKTOP_QR, "RFA22"),
    ("weirdStatus", "x", DESKTOP_QR, "RFA22"),
])
def test_user_message_covers_the_rfa_table(status, hint, how, rfa):
    assert user_message(status, hint, **how) == (rfa, RFA_TEXTS[rfa])


def test_user_message_texts_are_the_reference_swedish():
    assert user_message("pending", "userSign", **MANUAL)[1] == (
        "Skriv in din säkerhetskod i BankID-appen och välj Identifiera eller Skriv under.")
    assert user_message("failed", "userCancel", **MANUAL)[1] == "Åtgärden avbröts."
    assert RFA_TEXTS["RFA18"] == "Starta BankID-appen"
    assert RFA_TEXTS["RFA20"].startswith("Vill du använda BankID på den här enheten")


def test_user_message_is_empty_when_complete():
    assert user_message("complete", None, **MANUAL) == (None, "")


@pytest.mark.parametrize("error_code, rfa", [
    ("alreadyInProgress", "RFA4"), ("requestTimeout", "RFA5"), ("internalError", "RFA5"),
    ("maintenance", "RFA5"), ("invalidParameters", "RFA22"), ("unauthorized", "RFA22"),
    ("notFound", "RFA22"), ("unsupportedMediaType", "RFA22"), ("brandNewCode", "RFA22"),
])
def test_error_message_follows_the_error_table(error_code, rfa):
    error = BankIDError(error_code, 400, "details")
    assert error.rfa == rfa
    assert error_message(error) == (rfa, RFA_TEXTS[rfa])


# --- small helpers ------------------------------------------------------------------------------

def test_autostart_urls():
    assert autostart_url("t-1", mobile=False, redirect="https://x.test/") == (
        "bankid:///?autostarttoken=t-1&redirect=null")
    assert autostart_url("t-1", mobile=True, redirect="https://portal.test/login?n=1") == (
        "https://app.bankid.com/?autostarttoken=t-1"
        "&redirect=https%3A%2F%2Fportal.test%2Flogin%3Fn%3D1")
    assert autostart_url("t-1", mobile=True, redirect=None) == (
        "https://app.bankid.com/?autostarttoken=t-1&redirect=null")
    assert autostart_url("t-1", mobile=False, app_url="http://127.0.0.1:5001/app") == (
        "http://127.0.0.1:5001/app?autostarttoken=t-1&redirect=null")


@pytest.mark.parametrize("text", ["2023-11-29Z", "2023-11-29"])
def test_issue_date_accepts_a_trailing_z(text):
    assert parse_issue_date(text) == datetime.date(2023, 11, 29)


def test_order_repr_hides_the_qr_secret(bankid):
    order = bankid.auth("127.0.0.1")
    assert order.qr_start_secret not in repr(order)


# --- over HTTP against the simulator ------------------------------------------------------------

def test_auth_then_app_then_collect_gives_the_identity(sim, bankid):
    order = bankid.auth("192.0.2.10")
    assert bankid.collect(order.order_ref).hint_code == "outstandingTransaction"
    assert verify_in_app(sim.base_url, order, TOLVAN).status_code == 200

    result = bankid.collect(order.order_ref)

    assert (result.status, result.hint_code) == ("complete", None)
    assert result.completion.user.personal_number == TOLVAN
    assert result.completion.user.name == "Tolvan Tolvansson"
    assert result.completion.device.ip_address == "127.0.0.1"
    assert result.completion.bank_id_issue_date == datetime.date(2023, 11, 29)
    assert TOLVAN not in repr(result)  # personal data stays out of logs


def test_sign_sends_user_visible_data_base64_utf8(sim, bankid):
    order = bankid.sign("127.0.0.1", "Jag godkänner ärendet åäö")
    verify_in_app(sim.base_url, order, TOLVAN)
    signature = base64.b64decode(bankid.collect(order.order_ref).completion.signature)
    assert "Jag godkänner ärendet åäö" in signature.decode("utf-8")


def test_sign_refuses_empty_text(bankid):
    with pytest.raises(ValueError):
        bankid.sign("127.0.0.1", "")


@pytest.mark.parametrize("error_code, http_status, rfa", [
    ("alreadyInProgress", 400, "RFA4"),
    ("maintenance", 503, "RFA5"),
    ("internalError", 500, "RFA5"),
    ("requestTimeout", 408, "RFA5"),
    ("invalidParameters", 400, "RFA22"),
    ("unauthorized", 401, "RFA22"),
])
def test_injected_start_errors_map_to_bankid_errors(sim, bankid, error_code, http_status, rfa):
    sim.control(next_errors={"auth": [error_code]})
    with pytest.raises(BankIDError) as caught:
        bankid.auth("127.0.0.1")
    assert (caught.value.error_code, caught.value.http_status, caught.value.rfa) == (
        error_code, http_status, rfa)
    assert sim.calls("auth") == 1  # never retried


def test_sign_is_not_retried_on_maintenance(sim, bankid):
    sim.control(next_errors={"sign": ["maintenance"]})
    with pytest.raises(BankIDError):
        bankid.sign("127.0.0.1", "Avtal")
    assert sim.calls("sign") == 1


def test_collect_retries_maintenance_once_silently(sim, bankid):
    order = bankid.auth("127.0.0.1")
    sim.control(next_errors={"collect": ["maintenance"]})
    assert bankid.collect(order.order_ref).status == "pending"
    assert sim.calls("collect") == 2


def test_collect_gives_up_after_a_second_maintenance(sim, bankid):
    order = bankid.auth("127.0.0.1")
    sim.control(next_errors={"collect": ["maintenance", "maintenance"]})
    with pytest.raises(BankIDError) as caught:
        bankid.collect(order.order_ref)
    assert (caught.value.error_code, caught.value.rfa) == ("maintenance", "RFA5")


def test_collect_does_not_retry_internal_error(sim, bankid):
    order = bankid.auth("127.0.0.1")
    sim.control(next_errors={"collect": ["internalError"]})
    with pytest.raises(BankIDError):
        bankid.collect(order.order_ref)
    assert sim.calls("collect") == 1


def test_cancel_then_collect_is_invalid_parameters(bankid):
    order = bankid.auth("127.0.0.1")
    bankid.cancel(order.order_ref)
    with pytest.raises(BankIDError) as caught:
        bankid.collect(order.order_ref)
    assert (caught.value.error_code, caught.value.http_status, caught.value.rfa) == (
        "invalidParameters", 400, "RFA22")


def test_slow_start_times_out_as_rfa5(sim):
    sim.control(start_delay=1.5)
    with BankIDClient(sim.api_url, timeout=(2, 0.3)) as impatient:
        with pytest.raises(BankIDError) as caught:
            impatient.auth("127.0.0.1")
    assert (caught.value.error_code, caught.value.http_status, caught.value.rfa) == (
        "timeout", None, "RFA5")


def test_unreachable_service_is_rfa5():
    with socket.socket() as probe:  # a port that was free a moment ago: nobody listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with BankIDClient(f"http://127.0.0.1:{port}/rp/v6.0/", timeout=(1, 1)) as client:
        with pytest.raises(BankIDError) as caught:
            client.auth("127.0.0.1")
    assert (caught.value.error_code, caught.value.rfa) == ("connectionError", "RFA5")


def test_html_403_is_unauthorized_not_a_crash(html_403_server):
    url, seen_content_types = html_403_server
    with BankIDClient(url, timeout=(1, 2)) as client:
        with pytest.raises(BankIDError) as caught:
            client.auth("127.0.0.1")
    assert (caught.value.error_code, caught.value.http_status, caught.value.rfa) == (
        "unauthorized", 403, "RFA22")
    assert seen_content_types == ["application/json"]  # exactly, no charset


# --- mutual TLS -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def tls_simulator(pki):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*map(str, pki.server))
    context.load_verify_locations(cafile=str(pki.ca))
    context.verify_mode = ssl.CERT_REQUIRED  # no client certificate, no connection
    with running_simulator(ssl_context=context) as base_url:
        yield base_url + "/rp/v6.0/"


def test_mutual_tls_works_with_client_cert_and_pinned_ca(pki, tls_simulator):
    with BankIDClient(tls_simulator, cert=tuple(map(str, pki.client)), ca_path=str(pki.ca),
                      timeout=(2, 5)) as client:
        order = client.auth("127.0.0.1")
        assert client.collect(order.order_ref).hint_code == "outstandingTransaction"


def test_mutual_tls_fails_without_client_cert(pki, tls_simulator):
    with BankIDClient(tls_simulator, ca_path=str(pki.ca), timeout=(2, 5)) as client:
        with pytest.raises(BankIDError) as caught:
            client.auth("127.0.0.1")
    assert caught.value.http_status is None


def test_mutual_tls_fails_when_pinned_to_another_ca(pki, tls_simulator):
    with BankIDClient(tls_simulator, cert=tuple(map(str, pki.client)),
                      ca_path=str(pki.other_ca), timeout=(2, 5)) as client:
        with pytest.raises(BankIDError) as caught:
            client.auth("127.0.0.1")
    assert (caught.value.error_code, caught.value.rfa) == ("tlsError", "RFA22")
