"""Drops two indexes that databases made by an `init-db` before 4 December 2026 may still have:
`case_case_type_slug` and `notification_read_at`, replaced by `case_case_type_slug_id` and
`notification_user_id_read_at_case_id` (README, "Performance under load"). A database made by
the migrations never had them, so each drop is IF EXISTS and this is a no-op there."""


def up(migrator, db):
    db.execute_sql('DROP INDEX IF EXISTS "case_case_type_slug"')
    db.execute_sql('DROP INDEX IF EXISTS "notification_read_at"')
