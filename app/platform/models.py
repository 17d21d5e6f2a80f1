"""Database models (peewee), bound to the unbound proxy in app.platform.extensions.

Only the services of app.accounts, app.cases and app.messaging read and write them; views go
through those services and never touch a model. Timestamps are naive UTC. Documents and snapshots are JSON text, so the same tables
work on SQLite and PostgreSQL.
"""
from __future__ import annotations

import json
import operator
from datetime import datetime, timezone
from functools import reduce

from peewee import (
    SQL,
    BlobField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    IntegrityError,
    Model,
    TextField,
)

from app.platform.extensions import db


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class JSONField(TextField):
    """JSON stored as text: portable across SQLite and PostgreSQL, compact, UTF-8 kept."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def python_value(self, value):
        return None if value is None else json.loads(value)


class BaseModel(Model):
    class Meta:
        database = db

    @classmethod
    def upsert(cls, match: dict, changes: dict, initial: dict) -> bool:
        """Apply `changes` to the row that `match` names, or create it with `initial`; True when
        created. Safe when another transaction creates the same row at the same moment: the
        unique key decides, and the loser applies its change to the winner's row."""
        where = reduce(operator.and_, (getattr(cls, name) == value for name, value in match.items()))
        if cls.update(**changes).where(where).execute():
            return False
        try:
            with db.atomic():
                cls.create(**match, **initial)
            return True
        except IntegrityError:
            cls.update(**changes).where(where).execute()
            return False


class User(BaseModel):
    """A person who logs in with BankID: a customer (kund) or a handler (handläggare)."""
    personnummer = CharField(max_length=12, unique=True)
    name = CharField(max_length=200)
    role = CharField(max_length=20, default="customer", index=True)  # customer | handler | api
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)
    last_login_at = DateTimeField(null=True)

    @property
    def is_handler(self) -> bool:
        return self.role == "handler"

    @property
    def speaks_for_ombud(self) -> bool:
        """A handler, or a system acting for the ombud through an API token (role "api")."""
        return self.role in ("handler", "api")


class Profile(BaseModel):
    """Mina uppgifter: the document the profile schema validates, plus the columns queries need."""
    user = ForeignKeyField(User, unique=True, backref="profiles", on_delete="CASCADE")
    data = JSONField()
    organisation_name = CharField(max_length=200)
    organisation_number = CharField(max_length=11, index=True)
    email = CharField(max_length=254)
    notify_by_email = BooleanField(default=False)
    updated_at = DateTimeField(default=utcnow)


class Session(BaseModel):
    """Server-side session: the cookie carries only this row's random id, so logout,
    deactivation or a role change end access on the next request."""
    token_hash = CharField(max_length=64, unique=True)
    user = ForeignKeyField(User, backref="sessions", on_delete="CASCADE")
    role = CharField(max_length=20)  # the role at login; a change ends the session
    created_at = DateTimeField(default=utcnow)
    last_seen_at = DateTimeField(default=utcnow)


class PendingLogin(BaseModel):
    """A BankID order this browser started. The QR secret stays here, never in the cookie
    (Flask's cookie is signed, not encrypted); the cookie holds only this row's random id."""
    token_hash = CharField(max_length=64, unique=True)
    order_ref = CharField(max_length=64)
    auto_start_token = CharField(max_length=64, null=True)
    qr_start_token = CharField(max_length=64, null=True)
    qr_start_secret = CharField(max_length=64, null=True)
    device = CharField(max_length=10)  # this | other
    started_at = DateTimeField(default=utcnow)
    status = CharField(max_length=20, default="pending")
    hint_code = CharField(max_length=40, null=True)
    next_url = CharField(max_length=500, null=True)


class RateCounter(BaseModel):
    """Fixed-window request counters shared by every worker process."""
    key = CharField(max_length=120)
    window_start = IntegerField()
    count = IntegerField(default=0)

    class Meta:
        indexes = ((("key", "window_start"), True),)


class CaseCounter(BaseModel):
    """The last case number handed out per year, incremented inside the filing transaction."""
    year = IntegerField(unique=True)
    last_number = IntegerField(default=0)


class Case(BaseModel):
    number = CharField(max_length=20, unique=True)
    owner = ForeignKeyField(User, backref="cases", on_delete="RESTRICT")
    form_key = CharField(max_length=64)  # one per rendered form: a resubmission finds the case
    case_type_slug = CharField(max_length=64)
    case_type_title = CharField(max_length=300)
    schema_text = TextField()  # the frozen, self-contained schema the case was filed under
    schema_sha256 = CharField(max_length=64)
    data = JSONField()
    orderer = JSONField()  # snapshot of the orderer's details at filing
    organisation_name = CharField(max_length=200, index=True)
    organisation_number = CharField(max_length=11, index=True)
    status = CharField(max_length=40, default="Inskickat", index=True)
    version = IntegerField(default=1)  # optimistic locking for status changes
    created_at = DateTimeField(default=utcnow, index=True)
    updated_at = DateTimeField(default=utcnow)
    closed_at = DateTimeField(null=True)
    # The handler the case is assigned to ("Tilldela"); None: nobody has it (the queue's "Ej tilldelade").
    assignee = ForeignKeyField(User, null=True, backref="assigned_cases", on_delete="RESTRICT")

    class Meta:
        indexes = (
            (("owner", "form_key"), True),
            (("status", "id"), False),  # the handlers' queue: a status, oldest first
            (("owner", "status", "id"), False),  # Mina sidor: one owner's closed cases
            (("case_type_slug", "id"), False),  # the queue filtered by case type, oldest first
            (("assignee", "id"), False),  # the queue's "Mina ärenden" and "Ej tilldelade", oldest first
        )


# The cases not yet closed, in id order, each list by an index of its own. Mina sidor's ongoing
# list (one owner's) and the handlers' default queue (everyone's) walk these partial indexes and
# stop after one page, however many cases there are: "not closed" is two statuses, which a plain
# (status, id) index cannot give in id order. The two conditions are written differently on
# purpose: PostgreSQL would otherwise walk the queue's index for Mina sidor too (it misjudges
# how one owner's cases lie among everyone's), reading every newer case of every other customer.
# Literal SQL, because an index's WHERE takes no bound parameter and SQLite uses a partial index
# only for the very same text; the names are app.cases.statuses', checked by the request-cost tests.
NOT_CLOSED = SQL("\"status\" <> 'Avslutat'")
OPEN_IN_QUEUE = SQL("\"status\" IN ('Inskickat', 'Under handläggning')")
Case.add_index(Case.owner, Case.id, where=NOT_CLOSED)
Case.add_index(Case.id, where=OPEN_IN_QUEUE)


class StatusCount(BaseModel):
    """How many cases have each status, kept in step with every filing and status change so
    the handlers' counts cost nothing however many cases there are."""
    status = CharField(max_length=40, unique=True)
    count = IntegerField(default=0)


class CaseDay(BaseModel):
    """How many cases of a type were filed on a Swedish day and closed on another (or are still
    open: `closed_on` is OPEN_DAY), kept in step with filing, closing, reopening and gallring, so
    Statistik reads a few thousand rows however many cases there are (app.cases.statistics)."""
    case_type_slug = CharField(max_length=64)
    filed_on = DateField()
    closed_on = DateField()
    count = IntegerField(default=0)
    # Helgfria vardagar from filed_on to closed_on (0 while open), fixed by the two days, so the
    # handling time is grouped in SQL: a few rows per case type instead of one per day pair.
    working_days = IntegerField(default=0)

    class Meta:
        indexes = (
            (("case_type_slug", "filed_on", "closed_on"), True),
            (("filed_on",), False),
            (("closed_on",), False),
        )


class CasePdf(BaseModel):
    """The PDF rendered once per case (and engine), so later downloads are instant."""
    case = ForeignKeyField(Case, backref="pdfs", on_delete="CASCADE")
    engine = CharField(max_length=20)
    content = BlobField()
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("case", "engine"), True),)


class StatusChange(BaseModel):
    """One line of a case's history: a status change (kind "status") or an assignment change
    (kind "assignment": `assignee` got the case, or nobody when it was handed back; the status
    columns then hold the status the case had, unchanged)."""
    case = ForeignKeyField(Case, backref="status_changes", on_delete="CASCADE")
    kind = CharField(max_length=20, default="status")  # status | assignment
    from_status = CharField(max_length=40, null=True)
    to_status = CharField(max_length=40)
    assignee = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    actor = ForeignKeyField(User, on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)


class Message(BaseModel):
    case = ForeignKeyField(Case, backref="messages", on_delete="CASCADE")
    author = ForeignKeyField(User, on_delete="RESTRICT")
    body = TextField()
    internal = BooleanField(default=False)  # a handler-only note, never shown to customers
    form_key = CharField(max_length=64, null=True, unique=True)
    created_at = DateTimeField(default=utcnow, index=True)


class ReadMark(BaseModel):
    """How far a user has read a case's thread: messages after it are unread."""
    case = ForeignKeyField(Case, on_delete="CASCADE")
    user = ForeignKeyField(User, on_delete="CASCADE")
    read_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("case", "user"), True),)


class Notification(BaseModel):
    """A bell notification."""
    user = ForeignKeyField(User, backref="notifications", on_delete="CASCADE")
    case = ForeignKeyField(Case, null=True, on_delete="CASCADE")
    text = CharField(max_length=300)
    created_at = DateTimeField(default=utcnow)
    read_at = DateTimeField(null=True)

    class Meta:
        indexes = (
            (("user", "read_at", "case"), False),  # the bell's unread count, and a case's unread rows
            (("user", "created_at", "id"), False),  # the bell's list, newest first
        )


class OutboxRow(BaseModel):
    """What every outbox table shares: written in the event's transaction, claimed by the worker
    under a lease, retried with backoff (app.messaging.outbox). Not a table of its own."""
    status = CharField(max_length=20, default="pending", index=True)  # pending|sending|sent|failed
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=utcnow, index=True)
    lease_until = DateTimeField(null=True)
    last_error = CharField(max_length=500, null=True)
    created_at = DateTimeField(default=utcnow)
    sent_at = DateTimeField(null=True)


class OutboxMail(OutboxRow):
    """An e-mail written in the same transaction as the event it tells of, sent by the worker."""
    recipient = CharField(max_length=254)
    subject = CharField(max_length=300)
    body = TextField()
    message_id = CharField(max_length=200, unique=True)


class WebhookSubscription(BaseModel):
    """A receiver of webhooks (`flask webhooks add`). The secret signs every delivery, so it is
    kept as given (it cannot be hashed like a password); it is shown once, at add."""
    url = CharField(max_length=2000)
    events = JSONField()  # the event types it asked for, e.g. ["case.filed"]
    secret = CharField(max_length=100)  # "whsec_" + base64, Standard Webhooks format
    created_at = DateTimeField(default=utcnow)
    # Set when the receiver answered 410 Gone (Standard Webhooks: it wants no more deliveries):
    # no new events are queued for it and its waiting ones are failed; `webhooks enable` clears it.
    disabled_at = DateTimeField(null=True)
    disabled_reason = CharField(max_length=100, null=True)
    # After `webhooks rotate`: the secret before, still signing beside the new one until then,
    # so the receiver can switch at its own pace (Standard Webhooks allows several signatures).
    previous_secret = CharField(max_length=100, null=True)
    previous_secret_until = DateTimeField(null=True)


class OutboxWebhook(OutboxRow):
    """One event for one subscription, written in the event's transaction. webhook_id is made
    once and sent with every attempt, so the receiver can drop a redelivery."""
    subscription = ForeignKeyField(WebhookSubscription, backref="deliveries", on_delete="CASCADE")
    webhook_id = CharField(max_length=64, unique=True)
    event_type = CharField(max_length=40)
    body = TextField()  # the exact JSON text that is signed and sent


class AuditEntry(BaseModel):
    """Who did what to which case, without personal data."""
    actor = ForeignKeyField(User, on_delete="RESTRICT")
    case = ForeignKeyField(Case, null=True, on_delete="CASCADE")
    action = CharField(max_length=40)
    created_at = DateTimeField(default=utcnow, index=True)

    class Meta:
        indexes = ((("case", "actor", "created_at"), False),)  # "did this handler just look at it?"


class QueueSearch(BaseModel):
    """A handler's search term, kept here so the queue's address carries only this row's random
    token: a sole trader's organisationsnummer is a personnummer, never to be in a URL or log."""
    token = CharField(max_length=32, unique=True)
    user = ForeignKeyField(User, on_delete="CASCADE")
    text = CharField(max_length=200)
    created_at = DateTimeField(default=utcnow, index=True)


class ApiToken(BaseModel):
    """A token another system sends as `Authorization: Bearer` to /api/v1. Only the sha256 of
    the secret is kept (it is shown once, at creation); `user` is the token's own actor row
    (role "api"), so its status changes, messages and audit rows name it like a handler's."""
    name = CharField(max_length=60)
    token_hash = CharField(max_length=64, unique=True)
    prefix = CharField(max_length=12)  # the secret's first characters, to tell tokens apart in lists
    scope = CharField(max_length=10)  # read | write
    user = ForeignKeyField(User, on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField(null=True)
    revoked_at = DateTimeField(null=True)
    last_used_at = DateTimeField(null=True)


class Draft(BaseModel):
    """A case form saved unfinished by its owner ("Spara utkast"): never a case, never shown
    to handlers. `answers` are the posted (name, value) pairs as the browser sent them (see
    app.cases.drafts for why not the document); `token` is the opaque id in its addresses;
    one draft per rendered form (`form_key`), so filing that form deletes it."""
    token = CharField(max_length=32, unique=True)
    owner = ForeignKeyField(User, backref="drafts", on_delete="CASCADE")
    form_key = CharField(max_length=64)
    case_type_slug = CharField(max_length=64)
    case_type_title = CharField(max_length=300)
    schema_text = TextField()  # the version it was started under, to tell which answers no longer fit
    schema_sha256 = CharField(max_length=64)
    answers = JSONField()
    size = IntegerField()  # bytes of the answers, for the per-customer limit
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow, index=True)  # the retention clock

    class Meta:
        indexes = ((("owner", "form_key"), True),)


class FileBlob(BaseModel):
    """An uploaded file's content, stored once by its sha256 (however many attachments name it).
    `content` is null when the storage folder of the config (ATTACHMENT_STORAGE) holds it."""
    sha256 = CharField(max_length=64, unique=True)
    size = IntegerField()
    content = BlobField(null=True)
    created_at = DateTimeField(default=utcnow)


class Attachment(BaseModel):
    """One file as someone attached it: its name and type, checked content (by sha256), who
    uploaded it, and the case or message it belongs to (neither while the form is being filled
    in). `public_id` is the id in the case document's reference and in download addresses."""
    public_id = CharField(max_length=64, unique=True)
    sha256 = CharField(max_length=64, index=True)
    name = CharField(max_length=255)
    media_type = CharField(max_length=100)
    size = IntegerField()
    owner = ForeignKeyField(User, on_delete="RESTRICT")
    case = ForeignKeyField(Case, null=True, backref="attachments", on_delete="CASCADE")
    message = ForeignKeyField(Message, null=True, backref="attachments", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow, index=True)


MODELS: list[type[BaseModel]] = [
    User, Profile, Session, PendingLogin, RateCounter, CaseCounter, Case, StatusCount, CaseDay, CasePdf, StatusChange, Message, ReadMark,
    Notification, OutboxMail, WebhookSubscription, OutboxWebhook, AuditEntry, QueueSearch, Draft, ApiToken, FileBlob,
    Attachment,
]
