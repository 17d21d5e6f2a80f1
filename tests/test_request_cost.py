"""What one request costs the database, page by page, on SQLite and PostgreSQL: every logged-in
GET page stays within its statement budget and writes nothing but the session touch (at most
once a minute); filing writes in one durable transaction; Mina sidor and the handlers' queue
send the same statements at 10 cases as at 1 000, and on PostgreSQL read about one page of rows
whatever the number of cases."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from freezegun import freeze_time

from app.cases.statuses import recount_statuses
from app.platform.extensions import db
from app.platform.models import Case, Message, User, utcnow
from tests.login_helpers import CUSTOMER, OTHER_CUSTOMER, portal_app
from tests.request_cost_helpers import SITHS, bulk_cases, siths_order, user_id
from tests.statement_counter import counting

# The most statements each page may send (session lookup and bell count included), with the
# one found today in the comment: room for one more, not for a query per row.
BUDGETS = {
    "start": 2,          # session with the bell's count (1)
    "form": 3,           # session, profile (2)
    "mina sidor": 5,     # session, ongoing page, closed page (each with its unread markers), drafts (4)
    "case detail": 5,    # session, case with its read mark and unread bell rows, thread, its files (4)
    "pdf (stored)": 4,   # session, case, stored PDF (3)
    "mina uppgifter": 4,  # session, profile exists, profile (3)
    "bell": 3,           # session, list (2)
    "queue": 4,          # session, page with unread markers, status counts (3)
    "handler case": 8,   # session, case with its read mark and unread bell rows, audit trail (also
                         # saying whether this look is audited yet), thread, its files, history, handlers (7)
    "handler bell": 3,
}


@pytest.fixture
def portal(database_url, simulator_url):
    return portal_app(database_url, simulator_url)


def form_key(client, url=SITHS) -> str:
    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="form_key" value="([^"]+)"', html).group(1)


def file_order(client, rows: int = 10) -> str:
    response = client.post(SITHS, data=siths_order(rows, form_key(client)))
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response.headers["Location"].split("/")[2]


def reply(client, path, text):
    key = form_key(client, path)
    assert client.post(f"{path}/meddelanden", data={"meddelande": text, "form_key": key}).status_code == 303


def pages(customer, handler, number) -> dict:
    return {"start": (customer, "/"), "form": (customer, SITHS), "mina sidor": (customer, "/mina-sidor"),
            "case detail": (customer, f"/arenden/{number}"), "pdf (stored)": (customer, f"/arenden/{number}/pdf"),
            "mina uppgifter": (customer, "/mina-uppgifter"), "bell": (customer, "/notiser"),
            "queue": (handler, "/handlaggare/arenden"), "handler case": (handler, f"/handlaggare/arenden/{number}"),
            "handler bell": (handler, "/notiser")}


@pytest.fixture
def a_case_with_a_reply(customer, handler) -> str:
    """A 10-row SITHS order the handler has answered: a thread, a bell row, read marks."""
    number = file_order(customer)
    reply(handler, f"/handlaggare/arenden/{number}", "Vi har tagit emot beställningen.")
    return number


def test_every_logged_in_page_keeps_its_budget_and_writes_nothing(customer, handler, a_case_with_a_reply):
    for name, (client, path) in pages(customer, handler, a_case_with_a_reply).items():
        client.get(path)  # the first look may read news, render the PDF or audit the view
        with counting() as seen:
            response = client.get(path)
        assert response.status_code == 200, name
        assert seen.count <= BUDGETS[name], f"{name}: {seen.count} statements\n{seen}"
        if name in ("case detail", "handler case"):  # the case read with what opening it needs
            assert seen.count == BUDGETS[name] - 1, f"{name}: {seen.count} statements\n{seen}"
        assert seen.writes == [], f"{name} wrote on a second look:\n{seen}"


def test_opening_a_case_with_news_reads_it_once(customer, handler, a_case_with_a_reply):
    path = f"/arenden/{a_case_with_a_reply}"
    assert 'data-bell-count>1<' in customer.get("/").get_data(as_text=True)  # the count read with the session
    with counting() as seen:
        html = customer.get(path).get_data(as_text=True)
    assert "Vi har tagit emot beställningen." in html
    assert 'data-bell-count>0<' in html  # this page read the bell row: the count read with the session is stale
    assert sorted(seen.written_tables) == ["notification", "readmark"]  # the reply is read now
    with counting() as again:
        customer.get(path)
    assert again.writes == []
    assert 'data-bell-count>0<' in customer.get("/").get_data(as_text=True)


def test_the_session_is_touched_at_most_once_a_minute(customer, handler, a_case_with_a_reply):
    with freeze_time(utcnow() + timedelta(seconds=61), tick=True):
        for name, (client, path) in pages(customer, handler, a_case_with_a_reply).items():
            client.get(path)  # the first page a minute later touches the session
            with counting() as seen:
                client.get(path)
            assert seen.writes == [], name
    with freeze_time(utcnow() + timedelta(seconds=125), tick=True):
        with counting() as seen:
            customer.get("/mina-sidor")
        assert seen.written_tables == ["session"]
        with counting() as seen:
            customer.get("/mina-sidor")
        assert seen.writes == []


def test_filing_writes_the_case_in_one_durable_transaction(customer, handler):
    file_order(customer)  # opens this minute's rate-limit window (and clears old ones)
    key = form_key(customer)
    with counting() as seen:
        response = customer.post(SITHS, data=siths_order(10, key))
    assert response.status_code == 303
    assert seen.transactions == 2  # the rate-limit count (not waiting for the disk), the case
    assert seen.written_tables == ["ratecounter", "casecounter", "case", "statuschange", "statuscount",
                                   "caseday", "readmark", "notification", "outboxmail", "draft"]
    assert seen.count <= 16, str(seen)  # 16 on SQLite, 14 on PostgreSQL (counts come back with their writes)


def read_rows(statements, table: str) -> int:
    """PostgreSQL's own count of the rows it touched on `table`, over every statement that read
    it: rows returned plus rows read and thrown away by a filter. A prepared query (sent as
    EXECUTE of a server-side statement) counts with the worse of its two plans: planned for
    these values, and the generic plan PostgreSQL may settle on after a few executions."""
    from app.platform import server_side

    cursor = db.obj.connection().cursor()
    total = 0
    for sql, params in zip(statements.sql, statements.params):
        if sql.startswith("SELECT") and f'FROM "{table}"' in sql:
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
            rows = rows_in(cursor.fetchone()[0][0]["Plan"], table)
            statement = server_side.statement_of(sql)
            if statement is not None and not statement.as_text:
                cursor.execute(b"PREPARE request_cost_check AS " + statement.prepared_body(cursor))
                cursor.execute("SET plan_cache_mode TO force_generic_plan")
                slots = [value for value, slot in zip(params, statement.is_slot) if slot]
                arguments = ", ".join(["%s"] * len(slots))
                cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE request_cost_check({arguments})"
                               if slots else "EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE request_cost_check", slots)
                rows = max(rows, rows_in(cursor.fetchone()[0][0]["Plan"], table))
                cursor.execute("RESET plan_cache_mode; DEALLOCATE request_cost_check")
            total += rows
    return total


def rows_in(plan: dict, table: str) -> int:
    own = plan.get("Actual Rows", 0) + plan.get("Rows Removed by Filter", 0) if plan.get("Relation Name") == table else 0
    return own + sum(rows_in(child, table) for child in plan.get("Plans", ()))


def cost_of(client, path: str):
    with counting() as seen:
        assert client.get(path).status_code == 200
    return seen


def test_mina_sidor_and_the_queue_cost_the_same_at_10_and_1000_cases(portal, customer, handler):
    with portal.app_context(), db.connection_context():
        owner = user_id(CUSTOMER)
        bulk_cases(owner, 10)
        recount_statuses()
    few = {path: cost_of(client, path) for client, path in ((customer, "/mina-sidor"), (handler, "/handlaggare/arenden"))}
    with portal.app_context(), db.connection_context():
        bulk_cases(owner, 990, start=10)
        others = User.create(personnummer=OTHER_CUSTOMER, name="Annan Kund").id
        bulk_cases(others, 3000, start=1000)  # filed later by someone else: Mina sidor must not walk them
        someone_elses = [case.id for case in Case.select(Case.id).where(Case.owner == others).limit(500)]
        Message.insert_many([{"case": case_id, "author": others, "body": "Hej", "internal": False, "created_at": utcnow()}
                             for case_id in someone_elses for _ in range(4)]).execute()  # nor everyone's messages
        recount_statuses()
        if portal.config["DATABASE_URL"].startswith("postgresql"):
            db.execute_sql('ANALYZE "case"')  # what autovacuum does after a bulk load
            db.execute_sql('ANALYZE "message"')
    for client, path in ((customer, "/mina-sidor"), (handler, "/handlaggare/arenden")):
        many = cost_of(client, path)
        assert many.count == few[path].count, f"{path}\n{few[path]}\n---\n{many}"
        if portal.config["DATABASE_URL"].startswith("postgresql"):
            with portal.app_context(), db.connection_context():
                touched = read_rows(many, "case")
                messages = read_rows(many, "message")
            assert touched <= 150, f"{path} read {touched} case rows at 1000 of 4000 cases"
            assert messages <= 50, f"{path} read {messages} message rows of 2000 on others' cases"


def test_the_bell_counts_to_99_plus(portal, customer, a_case_with_a_reply):
    from app.platform.models import Notification

    with portal.app_context(), db.connection_context():
        owner = user_id(CUSTOMER)
        Notification.insert_many([{"user": owner, "text": f"Notis {n}", "created_at": utcnow()}
                                  for n in range(150)]).execute()
    assert "data-bell-count>99+<" in customer.get("/").get_data(as_text=True)


def test_the_open_case_indexes_name_the_statuses_there_are():
    from app.cases.statuses import CLOSED, STATUSES
    from app.platform.models import NOT_CLOSED, OPEN_IN_QUEUE

    assert NOT_CLOSED.sql == f"\"status\" <> '{CLOSED}'"
    assert OPEN_IN_QUEUE.sql == "\"status\" IN (" + ", ".join(f"'{s}'" for s in STATUSES if s != CLOSED) + ")"


def test_the_kept_drawing_of_a_blank_form_is_the_form_drawn_anew(portal, customer):
    """The form page draws an untouched case form once per version and day: what it shows is
    exactly what drawing it for this view would show."""
    from flask import g

    from app.accounts import profiles
    from app.cases.types import case_types
    from app.platform.models import User as Person
    from app.views.customer import ORDERER_PREFIX, render_form
    from webforms import blank

    customer.get(SITHS)  # the drawing is kept now
    with portal.test_request_context(SITHS), db.connection_context():
        g.user = Person.get(Person.personnummer == CUSTOMER)
        case_type = case_types()["bestallning-av-siths-kort"]
        orderer = blank(profiles.orderer_type(), profiles.orderer(g.user), prefix=ORDERER_PREFIX)
        kept, _ = render_form(case_type, blank(case_type), orderer, "k" * 32, untouched=True)
        anew, _ = render_form(case_type, blank(case_type), orderer, "k" * 32)
    assert 'name="personer-0-personnummer"' in kept
    assert kept == anew


def test_case_list_links_are_the_addresses_url_for_gives(portal, customer, handler, a_case_with_a_reply):
    """Mina sidor and the queue put each number into one address built once (case_links): the
    same links url_for makes, for a number as filed and for one that needs quoting."""
    from flask import url_for

    from app.views.shared import case_links

    assert f'<a href="/arenden/{a_case_with_a_reply}">' in customer.get("/mina-sidor").get_data(as_text=True)
    assert f'<a href="/handlaggare/arenden/{a_case_with_a_reply}">' in handler.get("/handlaggare/arenden").get_data(as_text=True)
    with portal.test_request_context("/"):
        for endpoint in ("cases.detail", "handler.case_page"):
            for number in (a_case_with_a_reply, "B-0000001", "å ä/ö?#%"):
                assert case_links(endpoint)(number) == url_for(endpoint, number=number)


def test_bell_links_are_the_addresses_url_for_gives(portal, customer, a_case_with_a_reply):
    """The bell's page puts each notification's id into one address built once (id_links)."""
    from flask import url_for

    from app.views.shared import id_links

    html = customer.get("/notiser").get_data(as_text=True)
    with portal.test_request_context("/"):
        for notification_id in (1, 7, 1234567890):
            assert id_links("bell.open_item", "notification_id")(notification_id) == \
                url_for("bell.open_item", notification_id=notification_id)
    assert '<form method="post" action="/notiser/' in html
