"""Each day counter (`caseday`) holds the helgfria vardagar between its filing and closing day, so
Statistik sums handling time per working-day count in SQL instead of reading every (filed day,
closed day) pair. Existing rows are filled in here, one UPDATE per distinct pair of days (a few
thousand whatever the number of cases); an open case's row keeps 0. Like 0001, it adds the column
only where it is missing, so a database whose tables were made from newer models is adopted."""
from datetime import date

from peewee import *  # noqa: F403 (the tool's own style for migration files)

from app.cases.handling_hours import WorkingDays

OPEN_DAY = "9999-12-31"  # app.cases.case_days.OPEN_DAY when this was written


def as_date(value):
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def up(migrator, db):
    if 'working_days' not in {column.name for column in db.get_columns('caseday')}:
        migrator.migrate(migrator.add_column('caseday', 'working_days', IntegerField(default=0)))  # noqa: F405

    class CaseDay(Model):  # noqa: F405 (the table as this migration leaves it)
        case_type_slug = CharField(max_length=64)  # noqa: F405
        filed_on = DateField()  # noqa: F405
        closed_on = DateField()  # noqa: F405
        count = IntegerField(default=0)  # noqa: F405
        working_days = IntegerField(default=0)  # noqa: F405

        class Meta:
            database = db
            table_name = 'caseday'

    pairs = [(as_date(filed), as_date(closed)) for filed, closed in CaseDay.select(CaseDay.filed_on, CaseDay.closed_on)
             .where(CaseDay.closed_on != date.fromisoformat(OPEN_DAY)).distinct().tuples()]
    if not pairs:
        return
    calendar = WorkingDays(min(filed for filed, _ in pairs), max(closed for _, closed in pairs))
    for filed, closed in pairs:
        (CaseDay.update(working_days=calendar.between(filed, closed))
         .where((CaseDay.filed_on == filed) & (CaseDay.closed_on == closed)).execute())


def down(migrator, db):
    migrator.migrate(migrator.drop_column('caseday', 'working_days'))
