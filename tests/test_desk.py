"""The handlers' desk over HTTP, on SQLite and PostgreSQL: assignment ("Tilldela mig", to a named
handler, "Lämna tillbaka", "Ta ärendet" on a case nobody has), its history lines, the bell to the
handler given a case, the optimistic version, the queue's "Mina ärenden" and "Ej tilldelade";
Statistik's numbers against the same figures worked out case by case, its CSV (formula-safe), and
the trust pages with the settings they show."""
from __future__ import annotations

import contextlib
import csv
import io
import re
import shutil
from datetime import date, datetime, time, timedelta, timezone

import pytest
from peewee import Table

from app.accounts.users import ensure_user
from app.cases import statistics
from app.cases.case_days import OPEN_DAY, recount_case_days
from app.cases.handling_hours import STOCKHOLM, is_working_day
from app.cases.retention import purge
from app.dev.sample_cases import insert_sample_cases
from app.platform.extensions import db
from app.platform.models import Case, CaseDay, Notification, User, utcnow
from tests.conftest import ROOT, make_app
from tests.desk_expectations import expected, working_days_after
from tests.login_helpers import CUSTOMER, HANDLER, log_in, portal_app
from tests.test_handling import file_case, version_of

OTHER_HANDLER = "197001012389"  # made up, Luhn-valid
OTHER_NAME = "Bo Bengtsson"
TITLES = {"bestallning-av-siths-kort": "Beställning av SITHS-kort", "ovrigt": "Övrigt"}


@pytest.fixture
def portal(database_url, simulator_url):
    return portal_app(database_url, simulator_url, retention_days=90, operator_name="Ombudet AB",
                      privacy_email="dataskydd@example.se")


@pytest.fixture
def colleague(portal):
    with portal.app_context(), db.connection_context():
        ensure_user(OTHER_HANDLER, OTHER_NAME, "handler")
    client = portal.test_client()
    log_in(client, OTHER_HANDLER)
    return client


def user_id(portal, personnummer: str) -> int:
    with portal.app_context(), db.connection_context():
        return User.get(User.personnummer == personnummer).id


def assignee_of(portal, number: str) -> int | None:
    with portal.app_context(), db.connection_context():
        return Case.get(Case.number == number).assignee_id


def assign(client, number: str, action: str, **extra):
    return client.post(f"/handlaggare/arenden/{number}/tilldela",
                       data={"action": action, "version": version_of(client, number), **extra})


def queue_numbers(client, assigned: str) -> set[str]:
    html = client.get(f"/handlaggare/arenden?tilldelad={assigned}").get_data(as_text=True)
    return set(re.findall(r"\d{4}-\d{5}", html))


def bells(portal, personnummer: str) -> list[str]:
    with portal.app_context(), db.connection_context():
        return [row.text for row in Notification.select().join(User).where(User.personnummer == personnummer)]


def test_assigning_handing_back_and_the_queue_filters(portal, customer, handler, colleague):
    number = file_case(customer)
    assert number in queue_numbers(handler, "ingen") and number not in queue_numbers(handler, "mina")

    assert assign(handler, number, "mig").status_code == 303
    assert assignee_of(portal, number) == user_id(portal, HANDLER)
    assert number in queue_numbers(handler, "mina") and number not in queue_numbers(handler, "ingen")
    assert number not in queue_numbers(colleague, "mina")
    row = re.search(rf"{number}</a></th>.*?</tr>", colleague.get("/handlaggare/arenden").get_data(as_text=True), re.S)
    with portal.app_context(), db.connection_context():
        assert User.get(User.personnummer == HANDLER).name in row.group(0)  # the assignee, in the queue
    assert not [text for text in bells(portal, HANDLER) if "tilldelats" in text]  # no bell for oneself

    assert assign(handler, number, "vald", handlaggare=user_id(portal, OTHER_HANDLER)).status_code == 303
    assert assignee_of(portal, number) == user_id(portal, OTHER_HANDLER)
    assert f"Ärende {number} har tilldelats dig" in bells(portal, OTHER_HANDLER)
    assert number in queue_numbers(colleague, "mina")

    assert assign(colleague, number, "lamna").status_code == 303
    assert assignee_of(portal, number) is None
    assert number in queue_numbers(handler, "ingen")

    html = handler.get(f"/handlaggare/arenden/{number}").get_data(as_text=True)
    history = html.split("Statushistorik", 1)[1].split("</ol>", 1)[0]
    with portal.app_context(), db.connection_context():
        name = User.get(User.personnummer == HANDLER).name
        other = User.get(User.personnummer == OTHER_HANDLER).name  # as BankID gave it at login
    assert f"Tilldelades {name} ({name})" in history
    assert f"Tilldelades {other} ({name})" in history
    assert f"Lämnades tillbaka: ingen handläggare ({other})" in history


def test_a_stale_page_or_an_unknown_handler_changes_nothing(portal, customer, handler, colleague):
    number = file_case(customer)
    seen = version_of(handler, number)
    assert assign(colleague, number, "mig").status_code == 303
    stale = handler.post(f"/handlaggare/arenden/{number}/tilldela", data={"action": "mig", "version": seen})
    assert stale.status_code == 409 and "ändrats av någon annan" in stale.get_data(as_text=True)
    closing = handler.post(f"/handlaggare/arenden/{number}/status", data={"action": "close", "version": seen})
    assert closing.status_code == 409  # the assignment moved the version the status form carries
    assert assignee_of(portal, number) == user_id(portal, OTHER_HANDLER)

    customer_id = user_id(portal, CUSTOMER)
    for chosen in (customer_id, 999999, "x"):
        refused = assign(handler, number, "vald", handlaggare=chosen)
        assert refused.status_code == 422 and "Välj en handläggare i listan." in refused.get_data(as_text=True)
    assert assignee_of(portal, number) == user_id(portal, OTHER_HANDLER)
    assert handler.post(f"/handlaggare/arenden/{number}/tilldela", data={"action": "mig"}).status_code == 400


def test_taking_a_case_makes_it_mine_unless_a_colleague_has_it(portal, customer, handler, colleague):
    nobodys, colleagues = file_case(customer), file_case(customer)
    assign(colleague, colleagues, "mig")
    for number in (nobodys, colleagues):
        handler.post(f"/handlaggare/arenden/{number}/status", data={"action": "take", "version": version_of(handler, number)})
    assert assignee_of(portal, nobodys) == user_id(portal, HANDLER)
    assert assignee_of(portal, colleagues) == user_id(portal, OTHER_HANDLER)


def shown(figure: statistics.Figure) -> dict:
    return {column: dict(zip(figure.series.row_labels, values, strict=True))
            for column, values in figure.series.values.items()}


def test_statistics_match_the_cases_one_by_one(portal):
    with portal.app_context(), db.connection_context():
        owner = ensure_user(CUSTOMER, "Tolvan Tolvansson")
        insert_sample_cases(400, owner, utcnow(), days=120, seed=7)
        period = statistics.period_of(13)
        weekly, handling, backlog = (shown(figure) for figure in statistics.figures(period))
        truth = expected(period.first_day, period.last_day)

    for (monday, slug), count in truth["inkomna"].items():
        assert weekly[TITLES[slug]][statistics.week_label(monday)] == count
    assert sum(sum(column.values()) for column in weekly.values()) == sum(truth["inkomna"].values()) > 0
    for slug, (count, median, p90) in truth["handlaggningstid"].items():
        assert (handling["Avslutade ärenden"][TITLES[slug]], handling["Median"][TITLES[slug]],
                handling["90:e percentilen"][TITLES[slug]]) == (count, median, p90)
    labels = [label for label, _, _ in statistics.AGE_BUCKETS]
    for (bucket, slug), count in truth["balans"].items():
        assert backlog[TITLES[slug]][labels[bucket]] == count
    assert sum(sum(column.values()) for column in backlog.values()) == sum(truth["balans"].values()) > 0


def utc_start_of(day: date) -> datetime:
    """The naive-UTC moment a Swedish day begins."""
    return datetime.combine(day, time(0), tzinfo=STOCKHOLM).astimezone(timezone.utc).replace(tzinfo=None)


def test_statistics_count_a_case_on_its_swedish_day(portal):
    """Filed at 00:30 on a Thursday in Stockholm (still Wednesday in UTC) counts on Thursday, and
    closed at 23:30 on the Friday: Thursday → Friday is one working day (by UTC days it would be
    Wednesday → Friday, two)."""
    with portal.app_context(), db.connection_context():
        owner = ensure_user(CUSTOMER, "Tolvan Tolvansson")
        insert_sample_cases(1, owner, utcnow(), days=1, seed=1)
        case = Case.get()
        wednesday = statistics.period_of(4).last_day
        while wednesday.weekday() != 2 or not all(is_working_day(wednesday + timedelta(days=n)) for n in (1, 2)):
            wednesday -= timedelta(days=1)
        filed = utc_start_of(wednesday + timedelta(days=1)) + timedelta(minutes=30)
        closed = utc_start_of(wednesday + timedelta(days=3)) - timedelta(minutes=30)
        Case.update(created_at=filed, closed_at=closed, status="Avslutat").where(Case.id == case.id).execute()
        recount_case_days()  # the row was changed behind the services' back
        period = statistics.period_of(4)
        weekly, handling, _ = (shown(figure) for figure in statistics.figures(period))
    monday = wednesday - timedelta(days=2)
    assert weekly[case.case_type_title][statistics.week_label(monday)] == 1
    assert handling["Median"][case.case_type_title] == 1


def test_statistics_page_and_csv(portal, handler, customer):
    with portal.app_context(), db.connection_context():
        owner = ensure_user(CUSTOMER, "Tolvan Tolvansson")
        insert_sample_cases(50, owner, utcnow(), days=60, seed=3)
        Case.update(case_type_slug="=HYPERLINK(\"http://x\")").where(Case.id == Case.select(Case.id).limit(1)).execute()
        recount_case_days()  # the row was changed behind the services' back
    page = handler.get("/handlaggare/statistik?veckor=13")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and html.count('src="data:image/svg+xml;base64,') == 3
    assert html.count("<caption") == 3 and "De senaste 13 veckorna" in html
    download = handler.get("/handlaggare/statistik/balans.csv?veckor=13")
    assert download.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert rows[0][0] == "Ålder" and [row[0] for row in rows[1:]] == [label for label, _, _ in statistics.AGE_BUCKETS]
    assert all(not cell.startswith("=") for row in rows for cell in row)
    weekly = handler.get("/handlaggare/statistik/inkomna.csv?veckor=13").get_data(as_text=True).lstrip("\ufeff")
    header = next(csv.reader(io.StringIO(weekly), delimiter=";"))
    assert "'=HYPERLINK(\"http://x\")" in header  # a type named like a formula is text in a spreadsheet
    assert handler.get("/handlaggare/statistik/okand.csv").status_code == 404
    assert customer.get("/handlaggare/statistik").status_code in (403, 404)


def test_trust_pages_show_this_installations_settings(portal):
    client = portal.test_client()
    privacy = client.get("/personuppgifter").get_data(as_text=True)
    assert "Ombudet AB" in privacy and "dataskydd@example.se" in privacy
    assert "90 dagar efter att det avslutades" in privacy and "30 minuter" in privacy
    cookies = client.get("/kakor").get_data(as_text=True)
    assert portal.config["SESSION_COOKIE_NAME"] in cookies
    accessibility = client.get("/tillganglighet").get_data(as_text=True)
    assert 'href="https://www.digg.se/tdosanmalan"' in accessibility and "Tillsyn" in accessibility
    for page in ("/", "/personuppgifter", "/kakor", "/tillganglighet", "/finns-inte"):
        html = client.get(page).get_data(as_text=True)
        assert all(link in html for link in ('href="/tillganglighet"', 'href="/personuppgifter"', 'href="/kakor"')), page


def test_error_pages_and_the_login_page_carry_the_trust_links(database_url):
    """The footer is on the pages nobody plans for too: a server error, a wrong method, an
    expired form (CSRF on, as in production), and the login page."""
    portal = make_app(database_url, wtf_csrf_enabled=True)

    def failing_page():
        raise RuntimeError("a bug")

    portal.add_url_rule("/fel-med-flit", "failing_page", failing_page)
    client = portal.test_client()
    for method, path, status in (("get", "/fel-med-flit", 500), ("post", "/", 405), ("post", "/logga-in", 400),
                                 ("get", "/logga-in", 200)):
        page = getattr(client, method)(path)
        html = page.get_data(as_text=True)
        assert page.status_code == status, path
        assert all(link in html for link in ('href="/tillganglighet"', 'href="/personuppgifter"', 'href="/kakor"')), path


def day_counters(portal) -> set[tuple]:
    with portal.app_context(), db.connection_context():
        return {(row.case_type_slug, str(row.filed_on), str(row.closed_on), row.count)
                for row in CaseDay.select().where(CaseDay.count != 0)}


def test_day_counters_follow_filing_closing_reopening_and_gallring(portal, customer, handler):
    """What Statistik reads is kept in step by the services: after every change the counters are
    what a recount from the cases gives."""
    numbers = [file_case(customer) for _ in range(3)]
    for number, actions in zip(numbers, (["take", "close"], ["close", "reopen"], ["close", "reopen", "close"]),
                               strict=True):
        for action in actions:
            assert handler.post(f"/handlaggare/arenden/{number}/status",
                                data={"action": action, "version": version_of(handler, number)}).status_code == 303
    kept = day_counters(portal)
    assert sum(row[3] for row in kept) == 3 and len({row[2] for row in kept}) == 2  # closed today, and open
    with portal.app_context(), db.connection_context():
        recount_case_days()
    assert day_counters(portal) == kept
    with portal.app_context(), db.connection_context():
        purge(0, now=utcnow() + timedelta(days=1))
    assert sum(row[3] for row in day_counters(portal)) == 1  # the one still open
    with portal.app_context(), db.connection_context():
        recount_case_days()
    assert sum(row[3] for row in day_counters(portal)) == 1


def counters_with_working_days(portal=None) -> dict[tuple, int]:
    """{(type, filed day, closed day): the working days the row holds} of every closed case's row."""
    with (portal.app_context() if portal else contextlib.nullcontext()), db.connection_context():
        return {(row.case_type_slug, statistics.as_date(row.filed_on), statistics.as_date(row.closed_on)):
                row.working_days for row in CaseDay.select().where(CaseDay.closed_on != OPEN_DAY)}


def counted_one_by_one(rows: dict[tuple, int]) -> dict[tuple, int]:
    return {key: working_days_after(filed, closed) for key in rows for _, filed, closed in [key]}


def test_each_day_counter_holds_its_working_days_so_handling_time_is_summed_in_sql(portal, customer, handler):
    """Handling time is grouped by the counters' working days in SQL: every closed row holds the
    helgfria vardagar between its two days, whether a closing moved it or a recount made it."""
    number = file_case(customer)
    with portal.app_context(), db.connection_context():
        Case.update(created_at=utcnow() - timedelta(days=20)).where(Case.number == number).execute()
        recount_case_days()  # the row was changed behind the services' back
    for action in ("take", "close"):
        handler.post(f"/handlaggare/arenden/{number}/status", data={"action": action, "version": version_of(handler, number)})
    closed = counters_with_working_days(portal)
    assert len(closed) == 1 and closed == counted_one_by_one(closed) and list(closed.values())[0] >= 10

    with portal.app_context(), db.connection_context():
        insert_sample_cases(300, ensure_user(CUSTOMER, "Tolvan Tolvansson"), utcnow(), days=120, seed=5)
    recounted = counters_with_working_days(portal)
    assert len(recounted) > 100 and recounted == counted_one_by_one(recounted)
    assert len(set(recounted.values())) > 10


def test_an_upgrade_gives_the_day_counters_of_an_older_database_their_working_days(database_url, tmp_path):
    """A database from before migration 0004 (its counters without working days) gets them filled
    in by `flask db upgrade`, equal to what the services count."""
    older = tmp_path / "migrations-0003"
    shutil.copytree(ROOT / "migrations", older, ignore=shutil.ignore_patterns("__pycache__", "0004_*"))
    make_app(database_url, migrations_dir=str(older))  # the release before: migrated up to 0003
    friday, monday = date(2026, 12, 4), date(2026, 12, 28)  # Julafton and juldagen between
    older_counters = Table("caseday", ("case_type_slug", "filed_on", "closed_on", "count")).bind(db)
    with db.connection_context():
        older_counters.insert([dict(zip(older_counters._columns, row, strict=True)) for row in (
            ("ovrigt", friday, monday, 2), ("ovrigt", friday, friday, 1), ("ovrigt", friday, OPEN_DAY, 4))]).execute()
    current = make_app(database_url)
    upgraded = current.test_cli_runner().invoke(args=["db", "upgrade"])
    assert upgraded.exit_code == 0 and "Körd: 0004_caseday_working_days" in upgraded.output, upgraded.output
    with current.app_context():
        counters = counters_with_working_days()
    assert counters == {("ovrigt", friday, monday): 14, ("ovrigt", friday, friday): 0}
    assert counters == counted_one_by_one(counters)
