"""Handlers, messages and notifications end to end: the queue, status changes with history and
optimistic locking, threads both ways, internal notes that never reach the customer, audit
rows, CSV export, the bell, and e-mail through the outbox to a real SMTP server."""
import io
import re
import time
from html import escape as html_escape

import pytest
from pypdf import PdfReader

from app.accounts.users import ensure_user
from app.messaging.mailer import deliver_due
from app.platform.extensions import db
from app.platform.models import AuditEntry, Case, Message, Notification, OutboxMail, User
from tests.login_helpers import (
    CSRF_FIELD,
    CUSTOMER,
    HANDLER,
    OTHER_CUSTOMER,
    log_in,
    log_in_with_csrf,
    log_in_with_profile,
    portal_app,
)
from tests.test_cases import ORDERER, ROW, SITHS, form_key

CANARY = "KANARIE-intern-7f3a"
OTHER_HANDLER = "197001012389"  # made up, Luhn-valid
FORM_KEY = re.compile(r'name="form_key" value="([^"]+)"')
LUHN_NUMBER = re.compile(r"(?<!\d)(\d{6}|\d{8})[-+]?\d{4}(?!\d)")


@pytest.fixture
def portal(database_url, simulator_url, smtp_server):
    return portal_app(database_url, simulator_url, mail_server=smtp_server.host, mail_port=smtp_server.port,
                      public_base_url="https://kundportal.example.se")


def file_case(customer) -> str:
    response = customer.post(SITHS, data={**ORDERER, **ROW, "form_key": form_key(customer)})
    return response.headers["Location"].split("/")[2]


def version_of(handler, number) -> str:
    html = handler.get(f"/handlaggare/arenden/{number}").get_data(as_text=True)
    return re.search(r'name="version" value="(\d+)"', html).group(1)


def change(handler, number, action, message=""):
    return handler.post(f"/handlaggare/arenden/{number}/status",
                        data={"action": action, "version": version_of(handler, number), "meddelande": message})


def reply(client, path, text, internal=False):
    html = client.get(path).get_data(as_text=True)
    key = re.search(r'name="form_key" value="([^"]+)"', html).group(1)
    data = {"meddelande": text, "form_key": key, **({"intern": "y"} if internal else {})}
    return client.post(f"{path}/meddelanden", data=data)


def run_worker(portal):
    with portal.app_context():
        return deliver_due(portal)


def test_the_full_loop_with_a_real_mailbox(portal, customer, handler, smtp_server):
    number = file_case(customer)
    assert "1" in handler.get("/").get_data(as_text=True)  # the handler's bell: a new case
    queue = handler.get("/handlaggare/arenden").get_data(as_text=True)
    assert number in queue and "Region Uppland" in queue

    assert reply(handler, f"/handlaggare/arenden/{number}", "Hej! Korten är beställda.").status_code == 303
    assert change(handler, number, "close", "Ärendet är klart.").status_code == 303
    run_worker(portal)

    mails = smtp_server.messages
    assert len(mails) == 3  # the receipt, the reply, the closing
    assert {m["To"] for m in mails} == {"tolvan@example.se"}
    assert all(number in m["Subject"] for m in mails)
    for mail in mails:
        body = mail.get_content()
        assert f"https://kundportal.example.se/arenden/{number}" in body
        assert not LUHN_NUMBER.search(body) and "Korten är beställda" not in body and "Anna" not in body

    page = customer.get("/mina-sidor").get_data(as_text=True)
    assert number in page.split("Avslutade ärenden", 1)[1]

    def unread():
        with portal.app_context(), db.connection_context():
            owner = User.get(User.personnummer == CUSTOMER)
            return Notification.select().where((Notification.user == owner) & Notification.read_at.is_null()).count()

    assert unread() == 2
    detail = customer.get(f"/arenden/{number}").get_data(as_text=True)
    assert "Hej! Korten är beställda." in detail and "Ärendet är klart." in detail and "Avslutat" in detail
    assert unread() == 0  # opening the case read its notifications
    run_worker(portal)
    assert len(smtp_server.messages) == 3  # nothing is sent twice


def test_customers_cannot_reach_handler_pages(portal, customer):
    number = file_case(customer)
    for path in ("/handlaggare/arenden", f"/handlaggare/arenden/{number}", f"/handlaggare/arenden/{number}/pdf",
                 f"/handlaggare/arenden/{number}/tabell-0.csv"):
        assert customer.get(path).status_code == 403
    before = Case.select().count  # noqa
    response = customer.post(f"/handlaggare/arenden/{number}/status", data={"action": "close", "version": "1"})
    assert response.status_code == 403
    with portal.app_context(), db.connection_context():
        assert Case.get(Case.number == number).status == "Inskickat"


def test_another_customer_cannot_post_in_my_thread(portal, customer):
    number = file_case(customer)
    stranger = portal.test_client()
    log_in_with_profile(stranger, OTHER_CUSTOMER)
    assert stranger.post(f"/arenden/{number}/meddelanden", data={"meddelande": "hej"}).status_code == 404
    with portal.app_context(), db.connection_context():
        assert Message.select().count() == 0


def test_status_changes_are_recorded_with_who_and_when(portal, customer, handler):
    number = file_case(customer)
    assert change(handler, number, "take").status_code == 303
    assert change(handler, number, "close").status_code == 303
    assert change(handler, number, "reopen").status_code == 303
    html = handler.get(f"/handlaggare/arenden/{number}").get_data(as_text=True)
    history = html.split("Statushistorik", 1)[1].split("</ol>", 1)[0]
    with portal.app_context(), db.connection_context():
        handler_name = User.get(User.personnummer == HANDLER).name
    # Taking the case also made it the handler's own: one assignment line beside the three changes.
    assert history.count(f"({handler_name})") == 4 and history.count("<li>") == 5
    assert "Inskickat → Under handläggning" in history and "Avslutat → Under handläggning" in history
    assert f"Tilldelades {handler_name}" in history


def test_two_handlers_never_overwrite_each_other(portal, customer, handler):
    number = file_case(customer)
    seen = version_of(handler, number)
    first = handler.post(f"/handlaggare/arenden/{number}/status", data={"action": "take", "version": seen})
    second = handler.post(f"/handlaggare/arenden/{number}/status", data={"action": "close", "version": seen})
    assert first.status_code == 303 and second.status_code == 409
    assert "ändrats av någon annan" in second.get_data(as_text=True)
    with portal.app_context(), db.connection_context():
        case = Case.get(Case.number == number)
        assert case.status == "Under handläggning" and case.version == 2


def test_internal_notes_never_reach_the_customer(portal, customer, handler, smtp_server):
    number = file_case(customer)
    reply(handler, f"/handlaggare/arenden/{number}", f"Intern: {CANARY}", internal=True)
    change(handler, number, "close")
    run_worker(portal)
    assert CANARY in handler.get(f"/handlaggare/arenden/{number}").get_data(as_text=True)
    assert CANARY not in customer.get(f"/arenden/{number}").get_data(as_text=True)
    pdf = customer.get(f"/arenden/{number}/pdf").data
    assert CANARY not in "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert all(CANARY not in m.get_content() for m in smtp_server.messages)
    # the receipt and the status change; the note told nobody
    assert [m["Subject"].split(" ")[0] for m in smtp_server.messages] == ["Vi", "Ert"]


def test_unread_markers_both_ways(portal, customer, handler):
    number = file_case(customer)
    reply(handler, f"/handlaggare/arenden/{number}", "Fråga från handläggaren")
    assert "Nytt meddelande" in customer.get("/mina-sidor").get_data(as_text=True)
    customer.get(f"/arenden/{number}")
    assert "Nytt meddelande" not in customer.get("/mina-sidor").get_data(as_text=True)
    reply(customer, f"/arenden/{number}", "Svar från kunden")
    assert "Nytt meddelande" in handler.get("/handlaggare/arenden").get_data(as_text=True)


def test_messages_are_plain_text(portal, customer, handler):
    number = file_case(customer)
    reply(customer, f"/arenden/{number}", '<script>alert(1)</script>\nhttps://evil.test {{7*7}}')
    html = handler.get(f"/handlaggare/arenden/{number}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert 'href="https://evil.test' not in html and ">49<" not in html


def test_a_resubmitted_message_is_stored_once(portal, customer):
    number = file_case(customer)
    html = customer.get(f"/arenden/{number}").get_data(as_text=True)
    key = re.search(r'name="form_key" value="([^"]+)"', html).group(1)
    for _ in range(3):
        customer.post(f"/arenden/{number}/meddelanden", data={"meddelande": "En gång", "form_key": key})
    with portal.app_context(), db.connection_context():
        assert Message.select().count() == 1


def test_audit_rows_for_views_and_downloads_without_personal_data(portal, customer, handler):
    number = file_case(customer)
    handler.get(f"/handlaggare/arenden/{number}")
    handler.get(f"/handlaggare/arenden/{number}/pdf")
    handler.get(f"/handlaggare/arenden/{number}/tabell-0.csv")
    with portal.app_context(), db.connection_context():
        entries = list(AuditEntry.select().order_by(AuditEntry.id))
        assert [e.action for e in entries] == ["visa", "pdf", "csv"]
        assert all(e.actor.personnummer == HANDLER and e.case.number == number for e in entries)
        for entry in entries:
            assert not LUHN_NUMBER.search(entry.action)
    trail = handler.get(f"/handlaggare/arenden/{number}").get_data(as_text=True).split("Granskningslogg", 1)[1]
    assert "Visade ärendet" in trail and "Laddade ner PDF" in trail and "Exporterade CSV" in trail
    assert "– visa" not in trail and "– pdf" not in trail and "– csv" not in trail


def test_csv_export_is_safe_for_spreadsheets(portal, customer, handler):
    key = form_key(customer)
    data = {**ORDERER, **ROW, "personer-0-namn": "=HYPERLINK(\"http://evil.test\")", "form_key": key}
    number = customer.post(SITHS, data=data).headers["Location"].split("/")[2]
    response = handler.get(f"/handlaggare/arenden/{number}/tabell-0.csv")
    text = response.data.decode("utf-8-sig")
    assert response.headers["Content-Disposition"] == f'attachment; filename="{number}-1.csv"'
    import csv
    header, row = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert header[:2] == ["För- och efternamn", "Personnummer (ÅÅÅÅMMDDXXXX)"]
    assert row[0] == "'=HYPERLINK(\"http://evil.test\")" and row[1] == "19121212-1212"


def test_queue_filters_counts_and_search(portal, customer, handler):
    numbers = [file_case(customer) for _ in range(3)]
    change(handler, numbers[0], "close")
    html = handler.get("/handlaggare/arenden").get_data(as_text=True)
    assert numbers[0] not in html and numbers[1] in html and html.index(numbers[1]) < html.index(numbers[2])
    assert "Avslutat: <strong>1</strong>" in html and "Inskickat: <strong>2</strong>" in html
    closed = handler.get("/handlaggare/arenden?status=Avslutat").get_data(as_text=True)
    assert numbers[0] in closed and numbers[1] not in closed
    found = search(handler, status="all", q=numbers[2]).get_data(as_text=True)
    assert numbers[2] in found and numbers[1] not in found
    by_org = search(handler, q="uppland").get_data(as_text=True)
    assert numbers[1] in by_org
    assert numbers[1] not in handler.get("/handlaggare/arenden?typ=ovrigt").get_data(as_text=True)


def search(handler, **form):
    """The queue's filter form: a POST, then the queue it redirects to."""
    response = handler.post("/handlaggare/arenden/sok", data={"status": "open", "typ": "", **form})
    assert response.status_code == 303 and "q=" not in response.headers["Location"]
    return handler.get(response.headers["Location"])


def test_bell_read_one_and_all(portal, customer, handler):
    number = file_case(customer)
    reply(handler, f"/handlaggare/arenden/{number}", "Ett")
    change(handler, number, "take")
    html = customer.get("/notiser").get_data(as_text=True)
    ids = re.findall(r'action="/notiser/(\d+)"', html)
    assert len(ids) == 2
    response = customer.post(f"/notiser/{ids[0]}")
    assert response.headers["Location"] == f"/arenden/{number}"
    with portal.app_context(), db.connection_context():
        owner = User.get(User.personnummer == CUSTOMER)
        assert Notification.select().where((Notification.user == owner) & Notification.read_at.is_null()).count() == 1
    customer.post("/notiser/alla-lasta")
    with portal.app_context(), db.connection_context():
        assert Notification.select().where((Notification.user == owner) & Notification.read_at.is_null()).count() == 0
    handler_ids = re.findall(r'action="/notiser/(\d+)"', handler.get("/notiser").get_data(as_text=True))
    assert customer.post(f"/notiser/{handler_ids[0]}").status_code == 404


def test_smtp_down_during_the_event_still_delivers_once(portal, customer, handler, smtp_server):
    number = file_case(customer)
    run_worker(portal)  # the receipt goes out while the server is up
    smtp_server.stop()
    assert reply(handler, f"/handlaggare/arenden/{number}", "Svar").status_code == 303
    run_worker(portal)
    with portal.app_context(), db.connection_context():
        mail = OutboxMail.get(OutboxMail.subject.startswith("Nytt meddelande"))
        assert mail.status == "pending" and mail.attempts == 1
    smtp_server.start()
    from datetime import timedelta

    from app.platform.models import utcnow
    with portal.app_context():
        deliver_due(portal, now=utcnow() + timedelta(hours=2))
        deliver_due(portal, now=utcnow() + timedelta(hours=4))
    assert [m["Subject"] for m in smtp_server.messages] == [f"Vi har tagit emot ert ärende {number}",
                                                           f"Nytt meddelande i ert ärende {number}"]


def test_per_user_limits_on_downloads(within_one_minute, database_url, simulator_url, smtp_server):
    app = portal_app(database_url, simulator_url, pdfs_per_user=2)
    customer = app.test_client()
    log_in_with_profile(customer, CUSTOMER)
    number = file_case(customer)
    statuses = [customer.get(f"/arenden/{number}/pdf").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    neighbour = app.test_client()  # same IP, another person: not blocked
    log_in_with_profile(neighbour, OTHER_CUSTOMER)
    assert neighbour.get("/mina-sidor").status_code == 200
    assert neighbour.get(f"/arenden/{number}/pdf").status_code == 404


def test_per_user_limits_on_handler_messages_and_status_changes(within_one_minute, database_url, simulator_url):
    """Each reply and each status change may queue an e-mail to the customer: limited like
    the customer's own messages, per handler."""
    app = portal_app(database_url, simulator_url, messages_per_user=2, status_changes_per_user=2)
    customer = app.test_client()
    log_in_with_profile(customer, CUSTOMER)
    number = file_case(customer)
    with app.app_context(), db.connection_context():
        ensure_user(HANDLER, "Hanna Handläggare", "handler")
        ensure_user(OTHER_HANDLER, "Harald Handläggare", "handler")
    handler, colleague = app.test_client(), app.test_client()
    log_in(handler, HANDLER)
    log_in(colleague, OTHER_HANDLER)
    path = f"/handlaggare/arenden/{number}"
    assert [reply(handler, path, f"Svar {n}").status_code for n in range(3)] == [303, 303, 429]
    assert [change(handler, number, action).status_code for action in ("take", "close", "reopen")] == [303, 303, 429]
    assert reply(colleague, path, "Från en kollega").status_code == 303  # per handler, not per office
    assert change(colleague, number, "reopen").status_code == 303
    with app.app_context(), db.connection_context():
        assert Message.select().count() == 3 and Case.get(Case.number == number).status == "Under handläggning"


def test_handlers_land_on_the_queue_without_mina_uppgifter(portal):
    with portal.app_context(), db.connection_context():
        ensure_user(HANDLER, "Hanna Handläggare", "handler")
    response = log_in(portal.test_client(), HANDLER)
    assert response.headers["Location"] == "/handlaggare/arenden"


def test_times_are_shown_in_swedish_time(portal, customer):
    from freezegun import freeze_time
    with freeze_time("2026-11-29 23:30:00"):
        client = portal.test_client()
        log_in_with_profile(client, CUSTOMER)
        number = file_case(client)
        html = client.get(f"/arenden/{number}").get_data(as_text=True)
    assert "2026-11-30 00:30" in html


def test_an_expired_csrf_token_keeps_the_typed_messages(simulator_url, sqlite_url):
    """Both message forms and the closing message: the page again with the text as typed (and
    the internal-note box as ticked), nothing stored; sending again with the fresh token works."""
    app = portal_app(sqlite_url, simulator_url, wtf_csrf_enabled=True, wtf_csrf_time_limit=1)
    customer, handler = app.test_client(), app.test_client()
    token = log_in_with_csrf(customer, CUSTOMER)
    filed = customer.post(SITHS, data={**ORDERER, **ROW, "form_key": form_key(customer), "csrf_token": token})
    number = filed.headers["Location"].split("/")[2]
    with app.app_context(), db.connection_context():
        ensure_user(HANDLER, "Hanna Handläggare", "handler")
    log_in_with_csrf(handler, HANDLER)
    pages = {"customer": customer.get(f"/arenden/{number}").get_data(as_text=True),
             "handler": handler.get(f"/handlaggare/arenden/{number}").get_data(as_text=True)}
    old = {role: (CSRF_FIELD.search(html).group(1), FORM_KEY.search(html).group(1)) for role, html in pages.items()}
    time.sleep(2.1)
    posts = {
        "customer": (customer, f"/arenden/{number}/meddelanden", {"meddelande": "Långt & genomtänkt <svar>"}),
        "handler": (handler, f"/handlaggare/arenden/{number}/meddelanden",
                    {"meddelande": "Intern tanke om kunden", "intern": "y"}),
    }
    for role, (client, path, data) in posts.items():
        expired = client.post(path, data={**data, "csrf_token": old[role][0], "form_key": old[role][1]})
        page = expired.get_data(as_text=True)
        assert expired.status_code == 400 and "behövde laddas om" in page
        assert html_escape(data["meddelande"], quote=False) in page.split('id="meddelande"', 1)[1].split("</textarea>")[0]
        if role == "handler":
            assert re.search(r'<input type="checkbox" id="intern" name="intern" value="y" checked>', page)
        again = client.post(path, data={**data, "csrf_token": CSRF_FIELD.search(page).group(1),
                                        "form_key": FORM_KEY.search(page).group(1)})
        assert again.status_code == 303, role
    closing = handler.post(f"/handlaggare/arenden/{number}/status", data={
        "action": "close", "version": "1", "meddelande": "Tack för i dag", "csrf_token": old["handler"][0]})
    assert closing.status_code == 400 and ">Tack för i dag</textarea>" in closing.get_data(as_text=True)
    with app.app_context(), db.connection_context():
        stored = [(message.body, message.internal) for message in Message.select().order_by(Message.id)]
        assert stored == [("Långt & genomtänkt <svar>", False), ("Intern tanke om kunden", True)]
        assert Case.get(Case.number == number).status == "Inskickat"


def test_a_refused_message_is_shown_again_next_to_its_box(portal, customer, handler):
    number = file_case(customer)
    too_long = "å" * 5001
    for client, path in ((customer, f"/arenden/{number}"), (handler, f"/handlaggare/arenden/{number}")):
        html = client.get(path).get_data(as_text=True)
        key = re.search(r'name="form_key" value="([^"]+)"', html).group(1)
        response = client.post(f"{path}/meddelanden", data={"meddelande": too_long, "form_key": key})
        page = response.get_data(as_text=True)
        assert response.status_code == 422
        assert 'id="meddelande-error"' in page and "högst 5000 tecken" in page
        assert 'aria-describedby="meddelande-error"' in page and too_long in page  # nothing lost
        assert f'name="form_key" value="{key}"' in page
        empty = client.post(f"{path}/meddelanden", data={"meddelande": "  ", "form_key": key})
        assert empty.status_code == 422 and "Skriv ett meddelande." in empty.get_data(as_text=True)
    with portal.app_context(), db.connection_context():
        assert Message.select().count() == 0


def test_a_too_long_closing_message_changes_nothing_and_is_kept(portal, customer, handler):
    number = file_case(customer)
    too_long = "Tack! " * 1000
    response = handler.post(f"/handlaggare/arenden/{number}/status",
                            data={"action": "close", "version": version_of(handler, number), "meddelande": too_long})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="closing-error"' in page and too_long.strip() in page
    with portal.app_context(), db.connection_context():
        assert Case.get(Case.number == number).status == "Inskickat"
