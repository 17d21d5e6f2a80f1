"""Webhook subscriptions can be switched off and their secrets rotated: `disabled_at` and
`disabled_reason`, set when the receiver answers 410 Gone (Standard Webhooks: the endpoint is
gone, stop sending) and cleared by `flask webhooks enable ID`; `previous_secret` and
`previous_secret_until`, the secret before `flask webhooks rotate ID`, which keeps signing beside
the new one for a while. Nullable columns only; existing subscriptions stay as they were.

Like 0001 and 0002 it adds only what is missing, so a database whose tables were made from
the models of this release is adopted as it is."""
from peewee import CharField, DateTimeField

TABLE = 'webhooksubscription'
COLUMNS = {
    'disabled_at': lambda: DateTimeField(null=True),
    'disabled_reason': lambda: CharField(null=True, max_length=100),
    'previous_secret': lambda: CharField(null=True, max_length=100),
    'previous_secret_until': lambda: DateTimeField(null=True),
}


def up(migrator, db):
    present = {column.name for column in db.get_columns(TABLE)}
    for name, field in COLUMNS.items():
        if name not in present:
            migrator.migrate(migrator.add_column(TABLE, name, field()))


def down(migrator, db):
    for name in reversed(list(COLUMNS)):
        migrator.migrate(migrator.drop_column(TABLE, name))
