"""The schema as `init-db` made it before migrations (4 December 2026): every table, index and
constraint of app.platform.models at that point, frozen here so later model changes never alter
what this file does.

Every statement is CREATE ... IF NOT EXISTS (peewee's create_tables is safe by default), so on a
database an earlier `init-db` made, this creates only what is missing (the newest indexes) and
records the database as migrated: `flask db upgrade` adopts it.
"""
from peewee import *  # noqa: F403 (the tool's own style for migration files)


def up(migrator, db):
    class User(Model):
        personnummer = CharField(unique=True, max_length=12)
        name = CharField(max_length=200)
        role = CharField(index=True, max_length=20, default='customer')
        active = BooleanField(default=True)
        created_at = DateTimeField()
        last_login_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'user'
    db.create_tables([User])

    class ApiToken(Model):
        name = CharField(max_length=60)
        token_hash = CharField(unique=True, max_length=64)
        prefix = CharField(max_length=12)
        scope = CharField(max_length=10)
        user = ForeignKeyField(User, on_delete='RESTRICT')
        created_at = DateTimeField()
        expires_at = DateTimeField(null=True)
        revoked_at = DateTimeField(null=True)
        last_used_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'apitoken'
    db.create_tables([ApiToken])

    class Case(Model):
        number = CharField(unique=True, max_length=20)
        owner = ForeignKeyField(User, on_delete='RESTRICT')
        form_key = CharField(max_length=64)
        case_type_slug = CharField(max_length=64)
        case_type_title = CharField(max_length=300)
        schema_text = TextField()
        schema_sha256 = CharField(max_length=64)
        data = TextField()  # JSON text (app.platform.models.JSONField)
        orderer = TextField()  # JSON text (app.platform.models.JSONField)
        organisation_name = CharField(index=True, max_length=200)
        organisation_number = CharField(index=True, max_length=11)
        status = CharField(index=True, max_length=40, default='Inskickat')
        version = IntegerField(default=1)
        created_at = DateTimeField(index=True)
        updated_at = DateTimeField()
        closed_at = DateTimeField(null=True)
        assignee = ForeignKeyField(User, null=True, on_delete='RESTRICT')
        class Meta:
            database = db
            table_name = 'case'
            indexes = ((('owner', 'form_key'), True), (('status', 'id'), False), (('owner', 'status', 'id'), False), (('case_type_slug', 'id'), False), (('assignee', 'id'), False))
    # The partial indexes of the ongoing cases (app.platform.models, NOT_CLOSED and OPEN_IN_QUEUE):
    # literal WHERE text, the very same the queries send, or SQLite would not use them.
    Case.add_index(Case.owner, Case.id, where=SQL("\"status\" <> 'Avslutat'"))
    Case.add_index(Case.id, where=SQL("\"status\" IN ('Inskickat', 'Under handläggning')"))
    db.create_tables([Case])

    class Message(Model):
        case = ForeignKeyField(Case, on_delete='CASCADE')
        author = ForeignKeyField(User, on_delete='RESTRICT')
        body = TextField()
        internal = BooleanField(default=False)
        form_key = CharField(unique=True, null=True, max_length=64)
        created_at = DateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'message'
    db.create_tables([Message])

    class Attachment(Model):
        public_id = CharField(unique=True, max_length=64)
        sha256 = CharField(index=True, max_length=64)
        name = CharField(max_length=255)
        media_type = CharField(max_length=100)
        size = IntegerField()
        owner = ForeignKeyField(User, on_delete='RESTRICT')
        case = ForeignKeyField(Case, null=True, on_delete='CASCADE')
        message = ForeignKeyField(Message, null=True, on_delete='CASCADE')
        created_at = DateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'attachment'
    db.create_tables([Attachment])

    class AuditEntry(Model):
        actor = ForeignKeyField(User, on_delete='RESTRICT')
        case = ForeignKeyField(Case, null=True, on_delete='CASCADE')
        action = CharField(max_length=40)
        created_at = DateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'auditentry'
            indexes = ((('case', 'actor', 'created_at'), False),)
    db.create_tables([AuditEntry])

    class CaseCounter(Model):
        year = IntegerField(unique=True)
        last_number = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'casecounter'
    db.create_tables([CaseCounter])

    class CaseDay(Model):
        case_type_slug = CharField(max_length=64)
        filed_on = DateField()
        closed_on = DateField()
        count = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'caseday'
            indexes = ((('case_type_slug', 'filed_on', 'closed_on'), True), (('filed_on',), False), (('closed_on',), False))
    db.create_tables([CaseDay])

    class CasePdf(Model):
        case = ForeignKeyField(Case, on_delete='CASCADE')
        engine = CharField(max_length=20)
        content = BlobField()
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'casepdf'
            indexes = ((('case', 'engine'), True),)
    db.create_tables([CasePdf])

    class Draft(Model):
        token = CharField(unique=True, max_length=32)
        owner = ForeignKeyField(User, on_delete='CASCADE')
        form_key = CharField(max_length=64)
        case_type_slug = CharField(max_length=64)
        case_type_title = CharField(max_length=300)
        schema_text = TextField()
        schema_sha256 = CharField(max_length=64)
        answers = TextField()  # JSON text (app.platform.models.JSONField)
        size = IntegerField()
        created_at = DateTimeField()
        updated_at = DateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'draft'
            indexes = ((('owner', 'form_key'), True),)
    db.create_tables([Draft])

    class FileBlob(Model):
        sha256 = CharField(unique=True, max_length=64)
        size = IntegerField()
        content = BlobField(null=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'fileblob'
    db.create_tables([FileBlob])

    class Notification(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        case = ForeignKeyField(Case, null=True, on_delete='CASCADE')
        text = CharField(max_length=300)
        created_at = DateTimeField()
        read_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'notification'
            indexes = ((('user', 'read_at', 'case'), False), (('user', 'created_at', 'id'), False))
    db.create_tables([Notification])

    class OutboxMail(Model):
        status = CharField(index=True, max_length=20, default='pending')
        attempts = IntegerField(default=0)
        next_attempt_at = DateTimeField(index=True)
        lease_until = DateTimeField(null=True)
        last_error = CharField(null=True, max_length=500)
        created_at = DateTimeField()
        sent_at = DateTimeField(null=True)
        recipient = CharField(max_length=254)
        subject = CharField(max_length=300)
        body = TextField()
        message_id = CharField(unique=True, max_length=200)
        class Meta:
            database = db
            table_name = 'outboxmail'
    db.create_tables([OutboxMail])

    class WebhookSubscription(Model):
        url = CharField(max_length=2000)
        events = TextField()  # JSON text (app.platform.models.JSONField)
        secret = CharField(max_length=100)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'webhooksubscription'
    db.create_tables([WebhookSubscription])

    class OutboxWebhook(Model):
        status = CharField(index=True, max_length=20, default='pending')
        attempts = IntegerField(default=0)
        next_attempt_at = DateTimeField(index=True)
        lease_until = DateTimeField(null=True)
        last_error = CharField(null=True, max_length=500)
        created_at = DateTimeField()
        sent_at = DateTimeField(null=True)
        subscription = ForeignKeyField(WebhookSubscription, on_delete='CASCADE')
        webhook_id = CharField(unique=True, max_length=64)
        event_type = CharField(max_length=40)
        body = TextField()
        class Meta:
            database = db
            table_name = 'outboxwebhook'
    db.create_tables([OutboxWebhook])

    class PendingLogin(Model):
        token_hash = CharField(unique=True, max_length=64)
        order_ref = CharField(max_length=64)
        auto_start_token = CharField(null=True, max_length=64)
        qr_start_token = CharField(null=True, max_length=64)
        qr_start_secret = CharField(null=True, max_length=64)
        device = CharField(max_length=10)
        started_at = DateTimeField()
        status = CharField(max_length=20, default='pending')
        hint_code = CharField(null=True, max_length=40)
        next_url = CharField(null=True, max_length=500)
        class Meta:
            database = db
            table_name = 'pendinglogin'
    db.create_tables([PendingLogin])

    class Profile(Model):
        user = ForeignKeyField(User, unique=True, on_delete='CASCADE')
        data = TextField()  # JSON text (app.platform.models.JSONField)
        organisation_name = CharField(max_length=200)
        organisation_number = CharField(index=True, max_length=11)
        email = CharField(max_length=254)
        notify_by_email = BooleanField(default=False)
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'profile'
    db.create_tables([Profile])

    class QueueSearch(Model):
        token = CharField(unique=True, max_length=32)
        user = ForeignKeyField(User, on_delete='CASCADE')
        text = CharField(max_length=200)
        created_at = DateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'queuesearch'
    db.create_tables([QueueSearch])

    class RateCounter(Model):
        key = CharField(max_length=120)
        window_start = IntegerField()
        count = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'ratecounter'
            indexes = ((('key', 'window_start'), True),)
    db.create_tables([RateCounter])

    class ReadMark(Model):
        case = ForeignKeyField(Case, on_delete='CASCADE')
        user = ForeignKeyField(User, on_delete='CASCADE')
        read_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'readmark'
            indexes = ((('case', 'user'), True),)
    db.create_tables([ReadMark])

    class Session(Model):
        token_hash = CharField(unique=True, max_length=64)
        user = ForeignKeyField(User, on_delete='CASCADE')
        role = CharField(max_length=20)
        created_at = DateTimeField()
        last_seen_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'session'
    db.create_tables([Session])

    class StatusChange(Model):
        case = ForeignKeyField(Case, on_delete='CASCADE')
        kind = CharField(max_length=20, default='status')
        from_status = CharField(null=True, max_length=40)
        to_status = CharField(max_length=40)
        assignee = ForeignKeyField(User, null=True, on_delete='RESTRICT')
        actor = ForeignKeyField(User, on_delete='RESTRICT')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'statuschange'
    db.create_tables([StatusChange])

    class StatusCount(Model):
        status = CharField(unique=True, max_length=40)
        count = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'statuscount'
    db.create_tables([StatusCount])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('statuscount'))
    migrator.migrate(migrator.drop_table('statuschange'))
    migrator.migrate(migrator.drop_table('session'))
    migrator.migrate(migrator.drop_table('readmark'))
    migrator.migrate(migrator.drop_table('ratecounter'))
    migrator.migrate(migrator.drop_table('queuesearch'))
    migrator.migrate(migrator.drop_table('profile'))
    migrator.migrate(migrator.drop_table('pendinglogin'))
    migrator.migrate(migrator.drop_table('outboxwebhook'))
    migrator.migrate(migrator.drop_table('webhooksubscription'))
    migrator.migrate(migrator.drop_table('outboxmail'))
    migrator.migrate(migrator.drop_table('notification'))
    migrator.migrate(migrator.drop_table('fileblob'))
    migrator.migrate(migrator.drop_table('draft'))
    migrator.migrate(migrator.drop_table('casepdf'))
    migrator.migrate(migrator.drop_table('caseday'))
    migrator.migrate(migrator.drop_table('casecounter'))
    migrator.migrate(migrator.drop_table('auditentry'))
    migrator.migrate(migrator.drop_table('attachment'))
    migrator.migrate(migrator.drop_table('message'))
    migrator.migrate(migrator.drop_table('case'))
    migrator.migrate(migrator.drop_table('apitoken'))
    migrator.migrate(migrator.drop_table('user'))
