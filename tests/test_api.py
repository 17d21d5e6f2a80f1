"""/api/v1 on SQLite and PostgreSQL: the token lifecycle through `flask tokens`, who gets what
from every endpoint (no token, a wrong, revoked or expired one, a read token writing, a
customer's or handler's browser session), and a case followed through the API as the ombud's
system would: listed, fetched, its PDF downloaded, taken, closed with a conflict on the way,
and written to — with the customer seeing the result in the portal and the handler the audit."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from freezegun import freeze_time

from app.messaging.mailer import deliver_due
from app.platform.extensions import db
from app.platform.models import ApiToken, AuditEntry, Message, User
from tests.api_helpers import (
    api_portal,
    assert_problem,
    bearer,
    create_token,
    file_ovrigt_case,
    file_siths_case,
    token_id,
)
from tests.test_attachments import PDF, PNG, sha, upload

CANARY = "KANARIE-intern-api-51c2"


@pytest.fixture
def portal(database_url, simulator_url, smtp_server):
    return api_portal(database_url, simulator_url, smtp_server)


def endpoints(number: str, attachment: str) -> list[tuple[str, str, str, dict | None]]:
    """(scope needed, method, path, JSON body) for every operation of the API; `attachment` is
    the address of a real file of a case."""
    return [("read", "GET", "/api/v1/case-types", None),
            ("read", "GET", "/api/v1/cases", None),
            ("read", "GET", f"/api/v1/cases/{number}", None),
            ("read", "GET", f"/api/v1/cases/{number}/pdf", None),
            ("read", "GET", attachment, None),
            ("write", "POST", f"/api/v1/cases/{number}/messages", {"body": "Hej från ärendesystemet."}),
            ("write", "POST", f"/api/v1/cases/{number}/status", {"action": "take", "version": 1})]


def call(client, method, path, body, headers=None):
    return client.open(path, method=method, json=body, headers=headers or {})


# --- tokens ---------------------------------------------------------------------------------------

def test_token_lifecycle_through_the_command(portal):
    runner = portal.test_cli_runner()
    secret = create_token(portal, "Ärendesystemet", "read", "--expires", "30")
    with portal.app_context(), db.connection_context():
        stored = ApiToken.get(ApiToken.name == "Ärendesystemet")
        assert secret not in str(stored.__data__.values())  # only its hash is kept
        assert stored.expires_at - stored.created_at == timedelta(days=30)
    assert portal.test_client().get("/api/v1/cases", headers=bearer(secret)).status_code == 200

    listing = runner.invoke(args=["tokens", "list"]).output
    assert "Ärendesystemet\tread\tgiltig\t" + secret[:10] in listing and secret not in listing
    assert re.search(r"senast använd \d{4}-\d\d-\d\d", listing)  # the use was recorded

    revoked = runner.invoke(args=["tokens", "revoke", str(token_id(portal, "Ärendesystemet"))])
    assert revoked.exit_code == 0 and "återkallad" in revoked.output
    assert "Ärendesystemet\tread\tåterkallad" in runner.invoke(args=["tokens", "list"]).output
    assert_problem(portal.test_client().get("/api/v1/cases", headers=bearer(secret)), 401)  # at once

    assert runner.invoke(args=["tokens", "revoke", "999999"]).exit_code != 0
    assert runner.invoke(args=["tokens", "create", "x", "--scope", "admin"]).exit_code != 0
    assert runner.invoke(args=["tokens", "create", "\x1b[2J", "--scope", "read"]).exit_code != 0
    assert runner.invoke(args=["tokens", "create", "x", "--scope", "read", "--expires", "0"]).exit_code != 0


def test_an_expired_token_is_refused_the_moment_it_expires(portal):
    secret = create_token(portal, "Kortsystemet", "write", "--expires", "1")
    client = portal.test_client()
    assert client.get("/api/v1/case-types", headers=bearer(secret)).status_code == 200
    now = datetime.now(timezone.utc)
    with freeze_time(now + timedelta(hours=23)):
        assert client.get("/api/v1/case-types", headers=bearer(secret)).status_code == 200
    with freeze_time(now + timedelta(days=1, seconds=1)):
        assert_problem(client.get("/api/v1/case-types", headers=bearer(secret)), 401)
        assert "utgången" in portal.test_cli_runner().invoke(args=["tokens", "list"]).output


# --- who gets what --------------------------------------------------------------------------------

def test_every_endpoint_refuses_whoever_may_not_use_it(portal, customer, handler):
    number = file_siths_case(customer)
    with_file, (file_id,) = file_ovrigt_case(customer, [upload("a.pdf", PDF, "application/pdf")])
    attachment = f"/api/v1/cases/{with_file}/attachments/{file_id}"
    read, write = create_token(portal, "Läsaren", "read"), create_token(portal, "Skrivaren", "write")
    revoked = create_token(portal, "Återkallad", "write")
    portal.test_cli_runner().invoke(args=["tokens", "revoke", str(token_id(portal, "Återkallad"))])
    expired = create_token(portal, "Utgången", "write", "--expires", "1")
    anonymous = portal.test_client()
    later = datetime.now(timezone.utc) + timedelta(days=2)
    for scope, method, path, body in endpoints(number, attachment):
        for headers in ({}, bearer("kp_" + "A" * 43), bearer(revoked), {"Authorization": "Basic dXNlcjpwYXNz"}):
            response = assert_problem(call(anonymous, method, path, body, headers), 401)
            assert response["title"] == "Autentisering krävs"
        with freeze_time(later):
            assert_problem(call(anonymous, method, path, body, bearer(expired)), 401)
        # A browser's session is nothing here, however the user logged in, token or not.
        assert_problem(call(customer, method, path, body), 401)
        assert_problem(call(handler, method, path, body), 401)
        if scope == "write":
            assert "read" in assert_problem(call(anonymous, method, path, body, bearer(read)), 403)["detail"]
        else:
            assert call(anonymous, method, path, body, bearer(read)).status_code == 200
    for _scope, method, path, body in endpoints(number, attachment):
        assert call(anonymous, method, path, body, bearer(write)).status_code in (200, 201), path


def test_errors_are_problems_in_swedish(portal, customer):
    number = file_siths_case(customer)
    write = create_token(portal, "Skrivaren", "write")
    client = portal.test_client()
    headers = bearer(write)
    assert_problem(client.get("/api/v1/finns-inte", headers=headers), 404)
    found = client.get("/api/v1/case-types", headers=headers)
    assert found.mimetype == "application/json" and found.headers["Cache-Control"] == "no-store"
    assert_problem(client.get("/api/v1/cases/2026-99999", headers=headers), 404)
    not_allowed = client.delete("/api/v1/cases", headers=headers)
    assert_problem(not_allowed, 405)
    assert "GET" in not_allowed.headers["Allow"]
    assert_problem(client.post(f"/api/v1/cases/{number}/status", headers=headers, data="{inte json",
                               content_type="application/json"), 400)
    assert_problem(client.post(f"/api/v1/cases/{number}/status", headers=headers, data="action=take"), 415)
    refused = assert_problem(client.get("/api/v1/cases?limit=1000&status=Borta", headers=headers), 400)
    assert "status ska vara en av" in refused["detail"]
    assert_problem(client.get("/api/v1/cases?after=%C2%B2", headers=headers), 400)
    assert_problem(client.get("/api/v1/cases?filed_since=ig%C3%A5r", headers=headers), 400)
    too_big = client.post(f"/api/v1/cases/{number}/messages", headers=headers, content_type="application/json",
                          data=b'{"body": "' + b"x" * (3 * 1024 * 1024) + b'"}')
    assert_problem(too_big, 413)


def test_each_token_is_rate_limited(database_url, simulator_url):
    portal = api_portal(database_url, simulator_url, api_requests_per_token=3)
    first, second = create_token(portal, "Första", "read"), create_token(portal, "Andra", "read")
    client = portal.test_client()
    assert [client.get("/api/v1/case-types", headers=bearer(first)).status_code for _ in range(3)] == [200] * 3
    limited = client.get("/api/v1/case-types", headers=bearer(first))
    assert_problem(limited, 429)
    assert limited.headers["Retry-After"] == "60"
    assert client.get("/api/v1/case-types", headers=bearer(second)).status_code == 200  # its own count


def test_failed_tokens_from_one_address_are_limited(database_url, simulator_url):
    """Wrong, revoked and expired tokens count per client address; past the limit the address
    gets 429 before any token is looked up (a right guess answers like a wrong one) until the
    minute is over. Requests without a token are not guesses; other addresses are not hindered."""
    portal = api_portal(database_url, simulator_url, api_failed_tokens_per_address=3)
    valid = create_token(portal, "Giltig", "read")
    revoked = create_token(portal, "Återkallad", "read")
    portal.test_cli_runner().invoke(args=["tokens", "revoke", str(token_id(portal, "Återkallad"))])
    with freeze_time("2026-11-29 10:00:05", tick=True) as clock:  # well inside one minute
        guesser, neighbour = portal.test_client(), portal.test_client()
        guesser.environ_base["REMOTE_ADDR"] = "198.51.100.7"
        neighbour.environ_base["REMOTE_ADDR"] = "198.51.100.8"
        for _ in range(5):
            assert_problem(neighbour.get("/api/v1/cases"), 401)  # no token: nothing guessed, not counted
        for secret in ("kp_" + "A" * 43, revoked, "kp_" + "B" * 43):
            assert_problem(guesser.get("/api/v1/cases", headers=bearer(secret)), 401)
        for secret in ("kp_" + "C" * 43, valid):
            limited = guesser.get("/api/v1/cases", headers=bearer(secret))
            problem = assert_problem(limited, 429)
            assert "ogiltiga" in problem["detail"] and problem["type"].endswith("for-manga-ogiltiga-nycklar")
            assert 1 <= int(limited.headers["Retry-After"]) <= 60
        assert neighbour.get("/api/v1/cases", headers=bearer(valid)).status_code == 200
        clock.tick(60)
        assert guesser.get("/api/v1/cases", headers=bearer(valid)).status_code == 200


def test_a_cases_files_are_listed_and_fetched_with_a_token(portal, customer, handler):
    """The case JSON lists each file with its link; the link gives the file as the handler's
    download does, audited; no id reaches another case's file, and internal notes' files only
    a write token's."""
    number, (pdf_id, png_id) = file_ovrigt_case(customer, [upload("Polisanmälan: mars|x?.pdf", PDF, "application/pdf"),
                                                           upload("skiss.png", PNG, "image/png")])
    other, (other_id,) = file_ovrigt_case(customer, [upload("annan.pdf", PDF, "application/pdf")])
    note = handler.post(f"/handlaggare/arenden/{number}/meddelanden", content_type="multipart/form-data",
                        data={"meddelande": "Internt", "intern": "y", "form_key": "n" * 24,
                              "bilagor": [upload("intern.png", PNG, "image/png")]})
    assert note.status_code == 303
    read, write = create_token(portal, "Läsaren", "read"), create_token(portal, "Skrivaren", "write")
    client = portal.test_client()

    listed = client.get(f"/api/v1/cases/{number}", headers=bearer(read)).get_json()["attachments"]
    assert [(item["id"], item["name"], item["media_type"], item["size"], item["sha256"], item["message_id"])
            for item in listed] == [(pdf_id, "Polisanmälan_ mars_x_.pdf", "application/pdf", len(PDF), sha(PDF), None),
                                    (png_id, "skiss.png", "image/png", len(PNG), sha(PNG), None)]
    download = client.get(listed[0]["href"], headers=bearer(read))
    assert listed[0]["href"] == f"/api/v1/cases/{number}/attachments/{pdf_id}"
    assert download.status_code == 200 and sha(download.data) == sha(PDF)
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"] == (
        "attachment; filename=\"Polisanmalan_ mars_x_.pdf\"; filename*=UTF-8''Polisanm%C3%A4lan_%20mars_x_.pdf")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Cache-Control"] == "no-store" and "sandbox" in download.headers["Content-Security-Policy"]

    # Another case's file, by its real id, is not this case's; nor is a made-up one.
    for wrong in (f"/api/v1/cases/{number}/attachments/{other_id}", f"/api/v1/cases/{other}/attachments/{pdf_id}",
                  f"/api/v1/cases/{number}/attachments/..%2F{pdf_id}", f"/api/v1/cases/{number}/attachments/{'x' * 65}"):
        assert_problem(client.get(wrong, headers=bearer(write)), 404)
    # A browser session is nothing here, the owner's or a handler's.
    for session in (customer, handler):
        assert_problem(session.get(listed[1]["href"]), 401)

    internal = [item for item in client.get(f"/api/v1/cases/{number}", headers=bearer(write)).get_json()["attachments"]
                if item["message_id"] is not None]
    assert [item["name"] for item in internal] == ["intern.png"]
    assert_problem(client.get(internal[0]["href"], headers=bearer(read)), 404)
    assert sha(client.get(internal[0]["href"], headers=bearer(write)).data) == sha(PNG)

    assert client.get("/api/v1/cases", headers=bearer(read)).status_code == 200
    with portal.app_context(), db.connection_context():
        assert AuditEntry.select().where(AuditEntry.action == "api-bilaga").count() == 2
        listing = AuditEntry.get(AuditEntry.action == "api-lista")
        assert listing.case_id is None and listing.actor.name == "API: Läsaren"
    trail = handler.get(f"/handlaggare/arenden/{number}").get_data(as_text=True)
    assert "API: Läsaren – Hämtade en bilaga via API" in trail and "API: Skrivaren – Hämtade en bilaga via API" in trail


# --- a case through the API -----------------------------------------------------------------------

def test_listing_filters_and_pages_by_keyset(portal, customer, handler):
    numbers = [file_siths_case(customer) for _ in range(3)]
    read = create_token(portal, "Läsaren", "read")
    client = portal.test_client()

    def page(query: str) -> dict:
        response = client.get(f"/api/v1/cases?{query}", headers=bearer(read))
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    first = page("limit=2")
    assert [case["number"] for case in first["items"]] == numbers[:2]  # oldest first
    rest = page(f"limit=2&after={first['next_cursor']}")
    assert [case["number"] for case in rest["items"]] == numbers[2:] and rest["next_cursor"] is None
    assert [c["number"] for c in page("case_type=bestallning-av-siths-kort&status=Inskickat")["items"]] == numbers
    assert page("case_type=ovrigt")["items"] == [] and page("status=Avslutat")["items"] == []
    today = datetime.now(timezone.utc).date()
    assert len(page(f"filed_since={today - timedelta(days=1)}")["items"]) == 3
    assert page(f"filed_since={today + timedelta(days=2)}")["items"] == []
    assert len(page("filed_since=2000-01-01T00:00:00%2B01:00")["items"]) == 3
    summary = page("limit=1")["items"][0]
    assert summary["status"] == "Inskickat" and summary["version"] == 1 and summary["organisation_name"] == "Region Uppland"
    assert "organisation_number" not in summary  # a sole trader's is a personnummer: not in lists


def test_the_ombuds_system_follows_a_case_and_the_customer_sees_it(portal, customer, handler, smtp_server):
    number = file_siths_case(customer)
    handler.post(f"/handlaggare/arenden/{number}/meddelanden", data={"meddelande": CANARY, "form_key": "k" * 32, "intern": "y"})
    read, write = create_token(portal, "Läsaren", "read"), create_token(portal, "Ärendesystemet", "write")
    client = portal.test_client()

    with portal.app_context():
        case_type = portal.extensions["kundportalen.case_types"].case_types["bestallning-av-siths-kort"]
    fetched = client.get(f"/api/v1/cases/{number}", headers=bearer(read)).get_json()
    assert fetched["number"] == number and fetched["case_type"] == "bestallning-av-siths-kort"
    assert fetched["schema_sha256"] == case_type.sha256 and case_type.validator.is_valid(fetched["document"])
    assert fetched["document"]["personer"][0]["personnummer"] == "191212121212"  # the ombud orders by it
    assert "Region Uppland" in str(fetched["orderer"])
    assert fetched["status_history"][0]["to_status"] == "Inskickat"
    assert CANARY not in str(fetched["messages"])  # internal notes: not for a read token
    assert CANARY in str(client.get(f"/api/v1/cases/{number}", headers=bearer(write)).get_json()["messages"])

    pdf = client.get(f"/api/v1/cases/{number}/pdf", headers=bearer(read))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")

    taken = client.post(f"/api/v1/cases/{number}/status", headers=bearer(write), json={"action": "take", "version": 1})
    assert taken.status_code == 200 and taken.get_json()["status"] == "Under handläggning"
    assert taken.get_json()["version"] == 2
    conflict = assert_problem(client.post(f"/api/v1/cases/{number}/status", headers=bearer(write),
                                          json={"action": "close", "version": 1}), 409)
    assert conflict["current_version"] == 2 and "version 2" in conflict["detail"]
    assert_problem(client.post(f"/api/v1/cases/{number}/status", headers=bearer(write),
                               json={"action": "take", "version": 2}), 409)  # already taken

    posted = client.post(f"/api/v1/cases/{number}/messages", headers=bearer(write),
                         json={"body": "Korten är beställda.", "idempotency_key": "order-17"})
    again = client.post(f"/api/v1/cases/{number}/messages", headers=bearer(write),
                        json={"body": "Korten är beställda.", "idempotency_key": "order-17"})
    assert posted.status_code == 201 and again.status_code == 200
    assert posted.get_json()["id"] == again.get_json()["id"] and posted.get_json()["from_ombud"] is True
    with portal.app_context(), db.connection_context():
        assert Message.select().where(Message.body == "Korten är beställda.").count() == 1
        assert not User.get(User.name == "API: Ärendesystemet").is_handler  # never a handler's session

    closed = client.post(f"/api/v1/cases/{number}/status", headers=bearer(write),
                         json={"action": "close", "version": 2, "message": "Klart från oss."})
    assert closed.status_code == 200 and closed.get_json()["closed_at"]

    # The customer sees it as from the ombud, in the bell and the mailbox, as a handler's work.
    page = customer.get(f"/arenden/{number}").get_data(as_text=True)
    assert "Korten är beställda." in page and "Klart från oss." in page and CANARY not in page
    assert "API: Ärendesystemet" not in page and "Avslutat" in page
    with portal.app_context():
        deliver_due(portal)
    subjects = [mail["Subject"] for mail in smtp_server.messages]
    assert f"Nytt meddelande i ert ärende {number}" in subjects
    assert f"Ert ärende {number} har fått status Avslutat" in subjects

    # The handler sees who did what.
    handler_page = handler.get(f"/handlaggare/arenden/{number}").get_data(as_text=True)
    for line in ("API: Ärendesystemet – Ändrade status via API", "API: Läsaren – Hämtade PDF via API",
                 "API: Läsaren – Hämtade ärendet via API", "API: Ärendesystemet – Skrev meddelande via API",
                 "Under handläggning (API: Ärendesystemet)"):
        assert line in handler_page, line


def test_a_json_body_is_judged_by_its_schema(portal, customer):
    number = file_siths_case(customer)
    write = create_token(portal, "Skrivaren", "write")
    client = portal.test_client()
    for body, words in (([], "JSON-objekt"), ({"version": 1}, "Fältet action saknas"),
                        ({"action": "delete", "version": 1}, "action ska vara"),
                        ({"action": "take", "version": True}, "version ska vara"),
                        ({"action": "take", "version": 1, "status": "Avslutat"}, "Okända fält: status")):
        problem = assert_problem(client.post(f"/api/v1/cases/{number}/status", headers=bearer(write), json=body), 400)
        assert words in problem["detail"], problem
    for body in ({"body": "   "}, {"body": "x" * 5001}, {"body": "hej", "idempotency_key": "å"}):
        assert_problem(client.post(f"/api/v1/cases/{number}/messages", headers=bearer(write), json=body), 400)
    stored = client.post(f"/api/v1/cases/{number}/messages", headers=bearer(write), json={"body": "a\u0000b\u001b[2J"})
    assert stored.status_code == 201 and stored.get_json()["body"] == "ab[2J"  # control characters dropped
    nothing_left = client.post(f"/api/v1/cases/{number}/messages", headers=bearer(write), json={"body": "\u0094\u0000"})
    assert "Skriv ett meddelande" in assert_problem(nothing_left, 422)["detail"]
