"""app.messaging.notifications: the events the case services call (bell rows and outbox e-mails, inside
the caller's transaction), the e-mail texts (no personal data, canonical links) and the bell
reads (own notifications only)."""
from __future__ import annotations

import logging
import re
import uuid

import pytest
from stdnum import luhn

from app.messaging import notifications
from app.platform.extensions import db
from app.platform.models import Case, Message, Notification, OutboxMail, Profile, User

TOLVAN = "191212121212"
HANDLER_PNR = "198112289874"
OTHER_PNR = "196408233234"
CANARY_PNR = "197802022389"       # Luhn-valid, put in the form data: must never reach a mail
CANARY_TEXT = "KANARIE-FORMULAR-7f3a"
CANARY_BODY = "KANARIE-MEDDELANDE-91c2"
CUSTOMER_EMAIL = "kund@example.se"
MESSAGE_ID = re.compile(r"<outbox-[0-9a-f-]{36}@(?P<domain>[^>]+)>\Z")
# 10 or 12 digits, optional - or + before the last four: anything that looks like a personnummer.
PERSONNUMMER_LIKE = re.compile(r"(?<!\d)(\d{2})?(\d{6})[-+]?(\d{4})(?!\d)")


def personnummer_like(text: str) -> list[str]:
    return [match[0] for match in PERSONNUMMER_LIKE.finditer(text) if luhn.is_valid(match[2] + match[3])]


# --- rows the tests need (also used by test_outbox_worker) ---------------------------------

def make_user(personnummer: str, name: str = "Test Testsson", role: str = "customer", active: bool = True) -> User:
    return User.create(personnummer=personnummer, name=name, role=role, active=active)


def make_profile(user: User, email: str = CUSTOMER_EMAIL, notify: bool = True) -> Profile:
    return Profile.create(user=user, data={"bestallare": {"epost": email}}, organisation_name="Exempel AB",
                          organisation_number="556000-4615", email=email, notify_by_email=notify)


def make_case(owner: User, number: str = "2026-00042", status: str = "Inskickat", data: dict | None = None) -> Case:
    return Case.create(
        number=number, owner=owner, form_key=uuid.uuid4().hex, case_type_slug="ovrigt",
        case_type_title="Övrigt", schema_text="{}", schema_sha256="0" * 64,
        data=data if data is not None else {"beskrivning": "Hej"},
        orderer={"namn": owner.name, "epost": CUSTOMER_EMAIL}, organisation_name="Exempel AB",
        organisation_number="556000-4615", status=status)


def customer_with_case(email: str = CUSTOMER_EMAIL, notify: bool = True, **case_fields) -> Case:
    owner = make_user(TOLVAN, "Tolvan Tolvansson")
    make_profile(owner, email=email, notify=notify)
    return make_case(owner, **case_fields)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app
    db.close()


@pytest.fixture
def any_ctx(any_db_app):
    with any_db_app.app_context():
        yield any_db_app
    db.close()


def texts(user: User) -> list[str]:
    return [notification.text for notification in notifications.recent(user)]


# --- customer events --------------------------------------------------------------------------

def test_filed_gives_the_owner_a_receipt_mail_and_no_bell(any_ctx):
    case = customer_with_case()
    notifications.notify_customer(case, "filed", base_url="https://portal.example.se")
    assert texts(case.owner) == []  # they have just seen the confirmation page
    mail = OutboxMail.get()
    assert (mail.recipient, mail.status, mail.attempts) == (CUSTOMER_EMAIL, "pending", 0)
    assert mail.subject == "Vi har tagit emot ert ärende 2026-00042"
    assert "https://portal.example.se/arenden/2026-00042" in mail.body
    assert "09:00-16.00" in mail.body  # the handling hours from config
    assert MESSAGE_ID.match(mail.message_id)["domain"] == "kundportalen.local"


@pytest.mark.parametrize("event, bell, subject, words", [
    ("message", "Nytt meddelande i ärende 2026-00042", "Nytt meddelande i ert ärende 2026-00042",
     ["nytt meddelande i ert ärende 2026-00042"]),
    ("status", "Ärende 2026-00042 har fått status Avslutat", "Ert ärende 2026-00042 har fått status Avslutat",
     ["har fått status Avslutat", "färdigbehandlat"]),
])
def test_message_and_status_texts(ctx, event, bell, subject, words):
    case = customer_with_case(status="Avslutat")
    notifications.notify_customer(case, event, base_url="https://portal.example.se/")
    mail = OutboxMail.get()
    assert texts(case.owner) == [bell] and mail.subject == subject
    assert all(word in mail.body for word in words), mail.body
    assert "https://portal.example.se/arenden/2026-00042\n" in mail.body  # one slash, whole URL on its line


@pytest.mark.parametrize("email, notify", [(CUSTOMER_EMAIL, False), ("", True)])
def test_no_mail_unless_asked_for_and_addressable(ctx, email, notify):
    case = customer_with_case(email=email, notify=notify)
    notifications.notify_customer(case, "message", base_url="https://portal.example.se")
    assert texts(case.owner) == ["Nytt meddelande i ärende 2026-00042"]
    assert OutboxMail.select().count() == 0


def test_no_profile_means_bell_only(ctx):
    case = make_case(make_user(TOLVAN))
    notifications.notify_customer(case, "status", base_url="https://portal.example.se")
    assert unread(case.owner) == 1 and OutboxMail.select().count() == 0


@pytest.mark.parametrize("bad_address", [
    "kund@example.se\r\nBcc: angripare@evil.test", "kund@example.se, annan@example.se", "inte-en-adress",
])
def test_an_invalid_stored_address_is_skipped_and_logged_without_it(ctx, caplog, bad_address):
    case = customer_with_case(email=bad_address)
    with caplog.at_level(logging.DEBUG):
        notifications.notify_customer(case, "message", base_url="https://portal.example.se")
    assert OutboxMail.select().count() == 0 and unread(case.owner) == 1
    assert "2026-00042" in caplog.text
    assert "@" not in caplog.text and "inte-en-adress" not in caplog.text


def test_unknown_event_writes_nothing(ctx):
    case = customer_with_case()
    with pytest.raises(ValueError):
        notifications.notify_customer(case, "deleted", base_url="https://portal.example.se")
    with pytest.raises(ValueError):
        notifications.notify_handlers(case, "status")
    assert Notification.select().count() == 0 and OutboxMail.select().count() == 0


def test_link_defaults_to_public_base_url_and_bad_urls_are_refused(ctx):
    ctx.config["PUBLIC_BASE_URL"] = "https://kundportal.example.se/"
    case = customer_with_case()
    notifications.notify_customer(case, "status")
    assert "https://kundportal.example.se/arenden/2026-00042" in OutboxMail.get().body
    for bad in ("javascript:alert(1)", "https://evil.test/?x=", "https://a.se\r\nBcc: x", "//evil.test"):
        with pytest.raises(ValueError):
            notifications.notify_customer(case, "status", base_url=bad)


def test_default_base_url_without_config(ctx):
    ctx.config.pop("PUBLIC_BASE_URL", None)
    notifications.notify_customer(customer_with_case(), "filed")
    assert "http://127.0.0.1:5000/arenden/2026-00042" in OutboxMail.get().body


def test_message_ids_are_unique_and_use_the_configured_domain(ctx):
    ctx.config["MAIL_MESSAGE_ID_DOMAIN"] = "mail.example.se"
    case = customer_with_case()
    for event in ("filed", "message", "status", "message"):
        notifications.notify_customer(case, event, base_url="https://portal.example.se")
    ids = [mail.message_id for mail in OutboxMail.select()]
    assert len(set(ids)) == 4
    assert {MESSAGE_ID.match(message_id)["domain"] for message_id in ids} == {"mail.example.se"}


def test_mail_holds_no_personnummer_form_content_or_message_body(ctx):
    """security.md H1: the mail says what happened and links; the rest stays behind BankID."""
    form = {"personer": [{"namn": "Kalle Kanarie", "personnummer": CANARY_PNR, "ovrigt": CANARY_TEXT}],
            "beskrivning": CANARY_TEXT}
    case = customer_with_case(data=form, status="Avslutat")
    Message.create(case=case, author=case.owner, body=f"{CANARY_BODY} {CANARY_PNR}")
    for event in ("filed", "message", "status"):
        notifications.notify_customer(case, event, base_url="https://portal.example.se")
    mails = list(OutboxMail.select())
    assert len(mails) == 3
    for mail in mails:
        text = mail.subject + "\n" + mail.body
        assert "2026-00042" in text and "https://portal.example.se/arenden/2026-00042" in text
        assert personnummer_like(text) == []
        for secret in (TOLVAN, CANARY_PNR, CANARY_TEXT, CANARY_BODY, "Kalle", "Tolvan"):
            assert secret not in text
    assert personnummer_like("x 19121212-1212 y 1212121212 z") == ["19121212-1212", "1212121212"]  # the scanner works


def test_the_email_environment_escapes_html_but_not_text():
    environment = notifications.email_environment()
    assert environment.autoescape("x.html") is True
    assert environment.autoescape("message.txt") is False


# --- handler events ---------------------------------------------------------------------------

def test_handlers_get_bells_and_no_mail(any_ctx):
    case = customer_with_case()
    active = [make_user(HANDLER_PNR, role="handler"), make_user(OTHER_PNR, role="handler")]
    inactive = make_user("197802022389", role="handler", active=False)
    make_profile(active[0], email="handlaggare@example.se", notify=True)
    notifications.notify_handlers(case, "filed")
    notifications.notify_handlers(case, "message")
    for handler in active:
        assert texts(handler) == ["Nytt meddelande från kund i ärende 2026-00042", "Nytt ärende 2026-00042"]
    assert texts(inactive) == [] and texts(case.owner) == []
    assert OutboxMail.select().count() == 0


def test_no_handlers_is_fine(ctx):
    notifications.notify_handlers(customer_with_case(), "filed")
    assert Notification.select().count() == 0


# --- transactions (security.md L2) -----------------------------------------------------------

def test_events_are_rolled_back_with_the_callers_transaction(any_ctx):
    case = customer_with_case()
    make_user(HANDLER_PNR, role="handler")
    with pytest.raises(RuntimeError):
        with db.atomic():
            notifications.notify_customer(case, "filed", base_url="https://portal.example.se")
            notifications.notify_handlers(case, "filed")
            raise RuntimeError("the case service failed after notifying")
    assert Notification.select().count() == 0 and OutboxMail.select().count() == 0


def test_events_commit_with_the_callers_transaction(any_ctx):
    case = customer_with_case()
    with db.atomic():
        notifications.notify_customer(case, "message", base_url="https://portal.example.se")
    assert Notification.select().count() == 1 and OutboxMail.select().count() == 1


# --- the bell -----------------------------------------------------------------------------

def unread(user: User) -> int:
    return notifications.unread_count(user)


def test_bell_reads_and_marks_only_own_notifications(any_ctx):
    case = customer_with_case()
    other = make_user(OTHER_PNR, role="handler")
    for event in ("filed", "message", "status"):
        notifications.notify_customer(case, event, base_url="https://portal.example.se")
    notifications.notify_handlers(case, "filed")
    owner = case.owner
    newest_first = notifications.recent(owner)
    assert [n.text for n in newest_first] == ["Ärende 2026-00042 har fått status Inskickat",
                                              "Nytt meddelande i ärende 2026-00042"]
    assert [n.text for n in notifications.recent(owner, limit=1)] == [newest_first[0].text]
    assert unread(owner) == 2 and unread(other) == 1

    others_id = notifications.recent(other)[0].id
    assert notifications.mark_read(owner, others_id) is False
    assert unread(other) == 1                                   # nothing changed
    assert notifications.mark_read(owner, 10_000_000) is False  # no such notification

    assert notifications.mark_read(owner, newest_first[0].id) is True
    assert notifications.mark_read(owner, newest_first[0].id) is True  # already read: still theirs
    assert unread(owner) == 1
    assert notifications.mark_all_read(owner) == 1
    assert unread(owner) == 0 and unread(other) == 1
    assert notifications.mark_all_read(owner) == 0
