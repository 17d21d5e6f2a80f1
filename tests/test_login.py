"""Login with BankID through the real client and a simulator over HTTP; Mina uppgifter; the
session rules (revocation, timeouts, fixation, redirects, CSRF) and rate limits."""
import re
import time

import pytest
from freezegun import freeze_time

from app.accounts.users import set_active, set_role
from app.platform.extensions import db
from app.platform.models import PendingLogin, User
from tests.login_helpers import (
    CUSTOMER,
    OTHER_CUSTOMER,
    PROFILE_FORM,
    approve_in_app,
    log_in,
    log_in_with_profile,
    portal_app,
    start_login,
    start_url,
)


@pytest.fixture
def portal(database_url, simulator_url):
    return portal_app(database_url, simulator_url)


@pytest.fixture
def client(portal):
    return portal.test_client()


def test_start_page_has_the_button_and_support(client):
    html = client.get("/").get_data(as_text=True)
    assert "Starta e-tjänsten" in html and "ombud@e-identitet.se" in html


def test_login_page_offers_both_devices(client):
    html = client.get("/logga-in").get_data(as_text=True)
    assert "BankID på denna enhet" in html and "Mobilt BankID" in html
    assert "Vill du använda BankID på den här enheten eller på en annan enhet?" in html


def test_first_login_leads_to_mina_uppgifter_with_the_bankid_name(client):
    response = log_in(client, CUSTOMER)
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/mina-uppgifter")
    html = client.get("/mina-uppgifter").get_data(as_text=True)
    assert 'value="Tolvan Tolvansson"' in html
    assert "19121212-1212" in html  # the person sees their own number, read-only
    assert "Jag vill bli notifierad via e-post" in html
    assert "Dina kontaktuppgifter kommer att sparas under mina uppgifter." in html
    assert 'name="personnummer"' not in html  # never an input


def test_profile_is_saved_and_kept_across_logins(portal, client):
    log_in_with_profile(client, CUSTOMER)
    client.post("/logga-ut")
    second = portal.test_client()
    response = log_in(second, CUSTOMER)
    assert not response.headers["Location"].startswith("/mina-uppgifter")
    html = second.get("/mina-uppgifter").get_data(as_text=True)
    assert 'value="Region Uppland"' in html and 'value="232100-0016"' in html
    assert 'value="tolvan@example.se"' in html


@pytest.mark.parametrize("field, value, message", [
    ("organisation-organisationsnummer", "232100-0017", "Kontrollsiffran stämmer inte. Kontrollera organisationsnumret."),
    ("bestallare-epost", "tolvan@", "Ange en giltig e-postadress, till exempel namn@exempel.se."),
    ("organisation-organisationsnamn", "", "Fältet måste fyllas i."),
])
def test_profile_validation_messages(client, field, value, message):
    log_in(client, CUSTOMER)
    response = client.post("/mina-uppgifter", data={**PROFILE_FORM, field: value})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="{field}-error"' in html and message in html
    assert 'value="Akutmottagningen"' in html  # nothing typed is lost


def test_the_qr_is_shown_for_another_device_and_changes(client, simulator_url):
    html = start_login(client, "other").get_data(as_text=True)
    assert 'src="/logga-in/qr.svg"' in html and "Starta BankID-appen." in html
    first = client.get("/logga-in/qr.svg")
    assert first.status_code == 200 and first.mimetype == "image/svg+xml"
    assert first.headers["Cache-Control"] == "no-store"
    assert first.data.startswith(b'<svg xmlns="http://www.w3.org/2000/svg"')  # a standalone image
    time.sleep(1.1)
    assert client.get("/logga-in/qr.svg").data != first.data
    assert "qr_start_secret" not in html and "qrStartSecret" not in html


def test_scanning_hides_the_qr(client, portal):
    html = start_login(client, "other").get_data(as_text=True)
    scan = re.search(r'href="([^"]*\?qr=[^"]*)"', html).group(1).replace("&amp;", "&")
    import requests
    assert requests.get(scan, timeout=5).status_code == 200
    response = client.post("/logga-in/bankid", headers={"Accept": "application/json"})
    answer = response.get_json()
    assert answer["status"] == "pending" and answer["qr"] is False
    assert client.get("/logga-in/qr.svg").status_code == 404


def test_polling_answers_json_for_the_script(client):
    start_login(client, "this")
    answer = client.post("/logga-in/bankid", headers={"Accept": "application/json"}).get_json()
    assert answer == {"status": "pending", "message": "Försöker starta BankID-appen.", "qr": False}


def test_cancel_in_the_app_is_not_a_login(client):
    page = start_login(client, "this")
    approve_in_app(start_url(page.get_data(as_text=True)), "", button="Avbryt")
    response = client.post("/logga-in/bankid")
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Åtgärden avbröts." in html
    assert "Logga ut" not in html


def test_cancel_in_the_portal(client, portal):
    start_login(client, "this")
    response = client.post("/logga-in/avbryt")
    assert response.status_code == 303
    with portal.app_context(), db.connection_context():
        assert PendingLogin.select().count() == 0


def test_bankid_errors_are_told_in_swedish(client, simulator_url):
    import requests
    requests.post(simulator_url + "/sim/control", json={"next_errors": {"auth": ["maintenance"]}}, timeout=5)
    response = client.post("/logga-in", data={"device": "this"})
    assert response.status_code == 503
    assert "Något gick fel. Försök igen." in response.get_data(as_text=True)


def test_a_personnummer_sent_by_the_browser_is_ignored(client, portal):
    page = start_login(client, "this")
    approve_in_app(start_url(page.get_data(as_text=True)), CUSTOMER)
    client.post("/logga-in/bankid", data={"personnummer": OTHER_CUSTOMER, "orderRef": "x"})
    with portal.app_context(), db.connection_context():
        assert [u.personnummer for u in User.select()] == [CUSTOMER]


def test_another_browser_cannot_collect_my_order(portal, client):
    page = start_login(client, "this")
    approve_in_app(start_url(page.get_data(as_text=True)), CUSTOMER)
    thief = portal.test_client()
    with client.session_transaction() as mine:
        stolen = dict(mine)
    response = thief.post("/logga-in/bankid", data={"pending_login": stolen["pending_login"]})
    assert response.status_code == 303 and response.headers["Location"] == "/logga-in"
    assert "Logga ut" not in thief.get("/").get_data(as_text=True)


def test_a_copied_cookie_is_refused_after_logout(portal, client):
    log_in_with_profile(client, CUSTOMER)
    cookie = client.get_cookie("kundportalen_session").value
    assert client.get("/mina-uppgifter").status_code == 200
    client.post("/logga-ut")
    replay = portal.test_client()
    replay.set_cookie("kundportalen_session", cookie)
    assert replay.get("/mina-uppgifter").status_code == 302


def test_deactivation_and_role_change_end_access_on_the_next_request(portal, client):
    log_in_with_profile(client, CUSTOMER)
    with portal.app_context(), db.connection_context():
        set_role(User.get(User.personnummer == CUSTOMER), "handler")
    assert client.get("/mina-uppgifter").status_code == 302
    log_in(client, CUSTOMER)
    assert client.get("/mina-uppgifter").status_code == 200
    with portal.app_context(), db.connection_context():
        set_active(User.get(User.personnummer == CUSTOMER), False)
    assert client.get("/mina-uppgifter").status_code == 302
    response = log_in(client, CUSTOMER)
    assert response.headers["Location"] == "/logga-in"


def test_login_clears_planted_session_state(portal, client):
    with client.session_transaction() as session:
        session["next"] = "https://evil.test/"
        session["planted"] = "x"
        session["sid"] = "guessed-token"
    log_in_with_profile(client, CUSTOMER)
    with client.session_transaction() as session:
        assert "planted" not in session and "next" not in session
        assert session["sid"] != "guessed-token"


def test_idle_and_absolute_timeouts(portal, client):
    with freeze_time("2026-11-29 08:00:00") as clock:
        log_in_with_profile(client, CUSTOMER)
        clock.tick(29 * 60)
        assert client.get("/mina-uppgifter").status_code == 200
        clock.tick(31 * 60)
        assert client.get("/mina-uppgifter").status_code == 302

    with freeze_time("2026-11-30 08:00:00") as clock:
        log_in(client, CUSTOMER)
        for _ in range(12 * 6 + 1):
            clock.tick(10 * 60)
            status = client.get("/mina-uppgifter").status_code
        assert status == 302  # active all along, but past 12 hours


@pytest.mark.parametrize("target", ["https://evil.test", "//evil.test", "/\\evil.test", "javascript:alert(1)",
                                    "%2F%2Fevil.test", "/\tevil"])
def test_next_only_goes_to_local_paths(client, target):
    log_in_with_profile(client, CUSTOMER)
    client.post("/logga-ut")
    response = log_in(client, CUSTOMER, next_url=target)
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//") and "evil" not in location


def test_next_to_a_local_path_is_followed(client):
    log_in_with_profile(client, CUSTOMER)
    client.post("/logga-ut")
    assert log_in(client, CUSTOMER, next_url="/mina-uppgifter").headers["Location"] == "/mina-uppgifter"


def test_logout_is_post_only(client):
    assert client.get("/logga-ut").status_code == 405


def test_csrf_is_required_for_login_and_logout(simulator_url, sqlite_url):
    app = portal_app(sqlite_url, simulator_url, wtf_csrf_enabled=True)
    client = app.test_client()
    assert client.post("/logga-in", data={"device": "this"}).status_code == 400
    html = client.get("/logga-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert client.post("/logga-in", data={"device": "this", "csrf_token": token}).status_code == 303
    assert client.post("/logga-in/bankid").status_code == 400
    assert client.post("/logga-in/bankid", headers={"X-CSRFToken": token, "Accept": "application/json"}).status_code == 200


def test_login_start_is_rate_limited_per_session(within_one_minute, portal, client):
    statuses = [client.post("/logga-in", data={"device": "this"}).status_code for _ in range(7)]
    assert statuses[:6] == [303] * 6 and statuses[6] == 429


def test_rotating_forwarded_for_does_not_escape_the_ip_limit(within_one_minute, simulator_url, sqlite_url):
    app = portal_app(sqlite_url, simulator_url, login_start_per_session=1000, login_start_per_ip=3)
    statuses = []
    for n in range(4):
        fresh = app.test_client()
        statuses.append(fresh.post("/logga-in", data={"device": "this"},
                                   headers={"X-Forwarded-For": f"10.0.0.{n}"}).status_code)
    assert statuses == [303, 303, 303, 429]


def test_users_cli_grants_handler_and_demo(portal):
    runner = portal.test_cli_runner()
    result = runner.invoke(args=["users", "grant-handler", "19410820-7210"])
    assert result.exit_code == 0 and "19410820-****" in result.output and "7210" not in result.output
    with portal.app_context(), db.connection_context():
        assert User.get(User.personnummer == "194108207210").role == "handler"
    assert runner.invoke(args=["users", "grant-handler", "12345"]).exit_code != 0
    demo = runner.invoke(args=["users", "demo"])
    assert demo.exit_code == 0 and "191212121212" in demo.output and "198112289874" in demo.output


def test_users_cli_revokes_deactivates_and_activates(portal):
    runner = portal.test_cli_runner()
    runner.invoke(args=["users", "grant-handler", "194108207210"])
    assert runner.invoke(args=["users", "revoke-handler", "194108207210"]).exit_code == 0
    assert runner.invoke(args=["users", "deactivate", "19410820-7210"]).exit_code == 0
    with portal.app_context(), db.connection_context():
        user = User.get(User.personnummer == "194108207210")
        assert user.role == "customer" and user.active is False
    assert runner.invoke(args=["users", "activate", "194108207210"]).exit_code == 0
    unknown = runner.invoke(args=["users", "deactivate", "191212121212"])
    assert unknown.exit_code != 0 and "Ingen sådan användare." in unknown.output
    with portal.app_context(), db.connection_context():
        assert User.get(User.personnummer == "194108207210").active is True


@pytest.mark.parametrize("agent, link_start, searching", [
    ("Mozilla/5.0 (X11; Linux x86_64) Chrome/156", "bankid:///", "på den här datorn"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148", "https://app.bankid.com/",
     "på den här enheten"),
])
def test_same_device_start_fits_computers_and_phones(simulator_url, sqlite_url, agent, link_start, searching):
    import requests
    requests.post(simulator_url + "/sim/control", json={"collect_sequence": ["started"]}, timeout=5)
    app = portal_app(sqlite_url, simulator_url, bankid_app_url="")
    client = app.test_client()
    client.post("/logga-in", data={"device": "this"}, headers={"User-Agent": agent})
    html = client.get("/logga-in/bankid", headers={"User-Agent": agent}).get_data(as_text=True)
    assert f'href="{link_start}?autostarttoken=' in html
    answer = client.post("/logga-in/bankid", headers={"Accept": "application/json", "User-Agent": agent}).get_json()
    assert answer["status"] == "pending" and searching in answer["message"]
