"""Several instances on one PostgreSQL (issue 15): two real gunicorn instances filing at once
for customers logged in through the BankID simulator over HTTP (as many cases as acknowledged
answers, ärendenummer unique and gapless); one instance killed with `kill -9` mid-run while
clients retry their unanswered posts with the same form key on the other (nothing lost, nothing
filed twice); two `flask outbox send` worker processes draining thousands of mails to a real
SMTP server, once undisturbed (each mail exactly once) and once with a worker killed (nothing
lost, at most the mail in flight twice, with its Message-ID); and a filing cut off from
PostgreSQL in the middle of its transaction (a quick Swedish 503, nothing half-filed).

The processes and the relay are tests/test_operations.py's helpers; the HTTP login is
bench/loadtest.py's (CSRF on, as in production)."""
from __future__ import annotations

import itertools
import os
import secrets
import signal
import subprocess
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager

import psycopg2
import pytest
import requests

from app.dev.bankid_simulator import RP_PREFIX
from app.platform.extensions import db
from app.platform.models import Case, CaseCounter, OutboxMail, utcnow
from bench.loadtest import Browser
from bench.loadtest import log_in as log_in_over_http
from tests.conftest import POSTGRES_URL, ROOT
from tests.login_helpers import CUSTOMER, log_in_with_profile, portal_app
from tests.request_cost_helpers import SITHS, made_up_personnummer, siths_order
from tests.test_operations import VENV_BIN, TcpRelay, free_port, gunicorn, stop_instances, wait_ready

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="PORTAL_TEST_DATABASE_URL is not set (CI sets it; see README)")

CUSTOMERS = 3           # logged in through the simulator, each posting from two threads, one per instance
POSTS_PER_THREAD = 10
MAILS = 2000            # OUTBOX_TEST_MAILS=10000 for the figure (README, Operations)
RECEIPT = "/skickat"


# --- two instances ---------------------------------------------------------------------------

def instance_env(database_url: str, simulator: str) -> dict:
    """What an operator gives every instance alike: one database, one secret key (the
    gunicorn helper's), one BankID; rate limits out of the way of a load test."""
    return {"PORTAL_DATABASE_URL": database_url, "PORTAL_BANKID_SIMULATOR": "false",
            "PORTAL_BANKID_URL": simulator + RP_PREFIX, "PORTAL_BANKID_APP_URL": simulator + "/app",
            "PORTAL_FORM_PREVIEW": "false", "PORTAL_CASES_PER_USER": "1000000"}


def by_environment(port: int, name: str, tmp_path) -> tuple[tuple, dict]:
    """As deploy/kundportalen@.service starts an instance."""
    return (), {}


def by_command_line(port: int, name: str, tmp_path) -> tuple[tuple, dict]:
    """As an operator starts one by hand, `gunicorn -c gunicorn.conf.py -b HOST:PORT`: no
    PORTAL_GUNICORN_* at all, so the state folder must follow -b (under TMPDIR)."""
    unset = dict.fromkeys(("PORTAL_GUNICORN_BIND", "PORTAL_GUNICORN_INSTANCE", "PORTAL_GUNICORN_STATE_DIR"))
    return ("-b", f"127.0.0.1:{port}"), {**unset, "TMPDIR": str(tmp_path)}


@contextmanager
def instances(tmp_path, database_url: str, simulator: str, started_as=by_environment):
    """Two gunicorn instances (two workers each) on one database, ready; stopped afterwards."""
    ports = free_port(), free_port()
    processes = []
    for port, name in zip(ports, ("a", "b"), strict=True):
        arguments, env = started_as(port, name, tmp_path)
        processes.append(gunicorn(tmp_path, port, name, *arguments, **instance_env(database_url, simulator), **env))
    try:
        for port, process in zip(ports, processes, strict=True):
            wait_ready(port, process)
        yield [f"http://127.0.0.1:{port}" for port in ports], processes
    finally:
        stop_instances(*processes)


def logged_in_customers(base: str) -> list[Browser]:
    with ThreadPoolExecutor(CUSTOMERS) as pool:
        return list(pool.map(lambda n: log_in_over_http(base, made_up_personnummer(300 + n).replace("-", "")),
                             range(CUSTOMERS)))


def on(browser: Browser, base: str) -> Browser:
    """The same browser (cookie, CSRF token) sending to another instance: sessions live in the
    shared database, so a load balancer may send any request anywhere."""
    return Browser(browser.http, base, csrf=browser.csrf)


def file_once(browser: Browser, form_key: str) -> str:
    """One post of a two-row SITHS order; the ärendenummer of the receipt it is sent to."""
    answer = browser.post(SITHS, siths_order(2, form_key))
    assert answer.status_code == 303 and answer.headers["Location"].endswith(RECEIPT), \
        (answer.status_code, answer.text[:300])
    return answer.headers["Location"].split("/")[2]


def stored_cases(database_url: str) -> list[tuple[str, str]]:
    with closing(psycopg2.connect(database_url)) as connection, connection.cursor() as cursor:
        cursor.execute('SELECT number, form_key FROM "case" ORDER BY number')
        return cursor.fetchall()


def counter(database_url: str, year: int) -> int | None:
    with closing(psycopg2.connect(database_url)) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT last_number FROM casecounter WHERE year = %s", (year,))
        row = cursor.fetchone()
        return row and row[0]


def assert_gapless(numbers: list[str], database_url: str) -> None:
    year = utcnow().year
    assert sorted(numbers) == [f"{year}-{n:05d}" for n in range(1, len(numbers) + 1)]
    assert counter(database_url, year) == len(numbers)


@pytest.fixture
def http_simulator():
    from tests.bankid_fixtures import running_simulator

    with running_simulator() as base_url:
        yield base_url


def test_two_instances_file_at_once_as_many_cases_as_answers_numbers_gapless(tmp_path, postgresql_url,
                                                                             http_simulator):
    with instances(tmp_path, postgresql_url, http_simulator, by_command_line) as (bases, _processes):
        assert {path.parent.name for path in tmp_path.glob("kundportalen-*/gunicorn.pid")} == \
            {"kundportalen-" + base.split("//")[1].replace(":", "-") for base in bases}
        customers = logged_in_customers(bases[0])
        senders = [on(customer, base) for customer in customers for base in bases]
        start = threading.Barrier(len(senders))

        def post_all(sender: Browser) -> list[tuple[str, str]]:
            start.wait()
            keys = [secrets.token_urlsafe(24) for _ in range(POSTS_PER_THREAD)]
            return [(key, file_once(sender, key)) for key in keys]

        started = time.monotonic()
        with ThreadPoolExecutor(len(senders)) as pool:
            acknowledged = list(itertools.chain.from_iterable(pool.map(post_all, senders)))
        seconds = time.monotonic() - started

    stored = stored_cases(postgresql_url)
    print(f"\n{len(acknowledged)} filings from {len(senders)} threads on 2 instances in {seconds:.1f} s")
    assert len(acknowledged) == len(senders) * POSTS_PER_THREAD
    assert len(stored) == len(acknowledged)
    assert sorted(stored) == sorted((number, key) for key, number in acknowledged)
    assert_gapless([number for number, _key in stored], postgresql_url)


def test_an_instance_killed_mid_run_loses_nothing_and_files_nothing_twice(tmp_path, postgresql_url, http_simulator):
    with instances(tmp_path, postgresql_url, http_simulator) as (bases, processes):
        customers = logged_in_customers(bases[0])
        senders = [(on(customer, base), on(customer, bases[1])) for customer in customers for base in bases]
        filed = Counter()  # acknowledged answers so far, by any instance
        killed = threading.Event()
        retried = []

        def post_until_done(pair: tuple[Browser, Browser]) -> list[tuple[str, str]]:
            sender, survivor = pair
            outcome = []
            for _ in range(POSTS_PER_THREAD * 2):
                key = secrets.token_urlsafe(24)
                try:
                    number = file_once(sender, key)
                except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):  # no (whole) answer
                    assert killed.is_set()
                    number = file_once(survivor, key)  # the same form, the same key, elsewhere
                    retried.append((key, number))
                    sender = survivor
                outcome.append((key, number))
                filed["answers"] += 1
            return outcome

        with ThreadPoolExecutor(len(senders)) as pool:
            running = [pool.submit(post_until_done, pair) for pair in senders]
            deadline = time.monotonic() + 60
            while filed["answers"] < len(senders) * 3 and time.monotonic() < deadline:
                time.sleep(0.01)
            killed.set()
            os.killpg(processes[0].pid, signal.SIGKILL)  # master and workers at once, mid-request
            acknowledged = list(itertools.chain.from_iterable(future.result() for future in running))

        # A client whose answer was lost posts the same form again: the same case, not a second.
        key, number = acknowledged[0]
        assert file_once(on(customers[0], bases[1]), key) == number

    stored = stored_cases(postgresql_url)
    print(f"\n{len(acknowledged)} filings, {len(retried)} retried on the other instance after kill -9")
    assert retried, "the kill came after every post: nothing was cut off"
    assert len(stored) == len(acknowledged) == len({key for key, _number in acknowledged})
    assert sorted(stored) == sorted((number, key) for key, number in acknowledged)
    assert_gapless([number for number, _key in stored], postgresql_url)


# --- two outbox workers ----------------------------------------------------------------------

MESSAGE_ID_DOMAIN = "kundportalen.local"


def queued_mails(database_url: str, count: int) -> list[str]:
    """`count` pending mails inserted straight into the outbox (as filings would leave them);
    their Message-IDs."""
    app = portal_app(database_url, "http://127.0.0.1:9")  # migrates the fresh schema
    ids = [f"<outbox-{n:06d}-{secrets.token_hex(4)}@{MESSAGE_ID_DOMAIN}>" for n in range(count)]
    now = utcnow()
    with app.app_context(), db.connection_context():
        rows = [{"recipient": f"kund{n}@example.se", "subject": f"Ärende {n}", "body": "Tack för ditt ärende.",
                 "message_id": message_id, "status": "pending", "attempts": 0, "next_attempt_at": now,
                 "created_at": now} for n, message_id in enumerate(ids)]
        for start in range(0, count, 1000):
            OutboxMail.insert_many(rows[start:start + 1000]).execute()
    return ids


def outbox_worker(database_url: str, smtp_port: int, lease_seconds: int, log) -> subprocess.Popen:
    env = {**os.environ, "PORTAL_ENV": "testing", "PORTAL_SECRET_KEY": "worker-test-" + "k" * 40,
           "PORTAL_DATABASE_URL": database_url, "PORTAL_MAIL_SERVER": "127.0.0.1",
           "PORTAL_MAIL_PORT": str(smtp_port), "PORTAL_MAIL_LEASE_SECONDS": str(lease_seconds),
           "PORTAL_MAIL_MESSAGE_ID_DOMAIN": MESSAGE_ID_DOMAIN}
    return subprocess.Popen([str(VENV_BIN / "flask"), "--app", "app", "outbox", "send", "--loop", "--interval", "0.2"],
                            cwd=ROOT, env=env, stdout=log, stderr=log,  # a file: a full pipe would stop it
                            start_new_session=True)


def outbox_statuses(database_url: str) -> Counter:
    with closing(psycopg2.connect(database_url)) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT status, count(*) FROM outboxmail GROUP BY status")
        return Counter(dict(cursor.fetchall()))


def received_ids(smtp_server) -> Counter:
    return Counter(message["Message-ID"] for message in smtp_server.messages)


def wait_until_all_sent(database_url: str, count: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while outbox_statuses(database_url)["sent"] < count:
        assert time.monotonic() < deadline, outbox_statuses(database_url)
        time.sleep(0.2)


@contextmanager
def workers(database_url: str, smtp_port: int, lease_seconds: int, folder):
    with open(folder / "workers.log", "wb") as log:
        processes = [outbox_worker(database_url, smtp_port, lease_seconds, log) for _ in range(2)]
        try:
            yield processes
        finally:
            for process in processes:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait(timeout=30)


MAILS_IN_TEST = int(os.environ.get("OUTBOX_TEST_MAILS", MAILS))


def test_two_workers_deliver_every_queued_mail_exactly_once(tmp_path, postgresql_url, smtp_server):
    ids = queued_mails(postgresql_url, MAILS_IN_TEST)
    started = time.monotonic()
    with workers(postgresql_url, smtp_server.port, lease_seconds=300, folder=tmp_path):
        wait_until_all_sent(postgresql_url, len(ids), seconds=40 + len(ids) / 50)
        seconds = time.monotonic() - started
    received = received_ids(smtp_server)
    print(f"\n{len(ids)} mails by 2 workers in {seconds:.1f} s ({len(ids) / seconds:.0f}/s)")
    assert set(received) == set(ids)
    assert max(received.values()) == 1, [mid for mid, n in received.items() if n > 1][:5]
    assert outbox_statuses(postgresql_url) == Counter({"sent": len(ids)})


def test_a_worker_killed_mid_run_loses_no_mail(tmp_path, postgresql_url, smtp_server):
    """At-least-once: the killed worker's one claimed row comes back when its lease (3 s) expires and
    goes again with the same Message-ID; if the kill fell between the SMTP server's 250 and the
    row's 'sent', that one mail arrives twice, recognisably."""
    ids = queued_mails(postgresql_url, MAILS_IN_TEST // 4)
    with workers(postgresql_url, smtp_server.port, lease_seconds=3, folder=tmp_path) as (doomed, _survivor):
        deadline = time.monotonic() + 30
        while len(smtp_server.handler.received) < len(ids) // 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.killpg(doomed.pid, signal.SIGKILL)
        killed_at = len(smtp_server.handler.received)
        wait_until_all_sent(postgresql_url, len(ids), seconds=40 + len(ids) / 50)
    received = received_ids(smtp_server)
    twice = [mid for mid, n in received.items() if n > 1]
    print(f"\n{len(ids)} mails, a worker killed after {killed_at} received; delivered twice: {len(twice)}")
    assert killed_at < len(ids), "the kill came after the last mail"
    assert set(received) == set(ids)
    assert len(twice) <= 1 and max(received.values()) <= 2


def test_a_run_longer_than_the_lease_keeps_each_claim_leased(tmp_path, postgresql_url, smtp_server):
    """A lease counts from the claim, not from the start of the worker's run: a run of 50
    mails to a slow server outlasts a short lease, and a lease dated from the run's start would
    be over before its later rows were even sent, so the other worker took them too."""
    smtp_server.set_mode("slow")  # 50 mails a run take over 3 s; the lease is 2 s
    ids = queued_mails(postgresql_url, 160)
    with workers(postgresql_url, smtp_server.port, lease_seconds=2, folder=tmp_path):
        wait_until_all_sent(postgresql_url, len(ids), seconds=40)
    received = received_ids(smtp_server)
    assert set(received) == set(ids)
    assert [mid for mid, n in received.items() if n > 1] == []


# --- PostgreSQL gone in the middle of a filing -------------------------------------------------

SLOW_STATUS_INSERT = """
CREATE FUNCTION slow_status_insert() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN PERFORM pg_sleep(2); RETURN NEW; END $$;
CREATE TRIGGER slow_status_insert BEFORE INSERT ON statuschange FOR EACH ROW EXECUTE FUNCTION slow_status_insert();
"""


def cut_when_filing_waits(database_url: str, relay: TcpRelay, application_name: str) -> None:
    """Stop the relay (PostgreSQL gone) once a filing's transaction is inside the slowed
    status insert: the number taken and the case written, nothing committed. The portal's
    connections carry `application_name` (its statements show as EXECUTE of prepared ones)."""
    with closing(psycopg2.connect(database_url)) as connection, connection.cursor() as cursor:
        connection.autocommit = True
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep' "
                           "AND application_name = %s", (application_name,))
            if cursor.fetchone()[0]:
                relay.stop()
                return
            time.sleep(0.02)


def test_postgresql_gone_mid_filing_quick_503_nothing_half_filed_the_retry_files_once(postgresql_url,
                                                                                       simulator_url):
    relay = TcpRelay(("127.0.0.1", 5432))
    relay.start()
    url = postgresql_url.replace("127.0.0.1:5432", f"127.0.0.1:{relay.port}")
    assert url != postgresql_url, "the test server is expected on 127.0.0.1:5432"
    application_name = f"filing-cut-{secrets.token_hex(4)}"
    url += ("&" if "?" in url else "?") + f"application_name={application_name}"
    app = portal_app(url, simulator_url, database_pool_timeout=1.0)
    client = app.test_client()
    log_in_with_profile(client, CUSTOMER)
    with closing(psycopg2.connect(postgresql_url)) as connection, connection.cursor() as cursor:
        cursor.execute(SLOW_STATUS_INSERT)
        connection.commit()

        key = secrets.token_urlsafe(24)
        cutter = threading.Thread(target=cut_when_filing_waits, args=(postgresql_url, relay, application_name))
        cutter.start()
        started = time.monotonic()
        cut_off = client.post(SITHS, data=siths_order(2, key))
        seconds = time.monotonic() - started
        cutter.join()
        assert cut_off.status_code == 503, cut_off.status_code
        assert "Tjänsten är tillfälligt otillgänglig" in cut_off.get_data(as_text=True)
        assert seconds < 5, seconds
        while_down = client.post(SITHS, data=siths_order(2, key))  # the customer tries again at once
        assert while_down.status_code == 503

        relay.start()
        cursor.execute("DROP TRIGGER slow_status_insert ON statuschange")
        connection.commit()
        with app.app_context(), db.connection_context():
            assert Case.select().count() == 0 and CaseCounter.select().count() == 0  # nothing half-filed
        again = client.post(SITHS, data=siths_order(2, key))  # back, without restarting the portal
        assert again.status_code == 303
        assert again.headers["Location"].endswith(f"/arenden/{utcnow().year}-00001{RECEIPT}")
        assert client.post(SITHS, data=siths_order(2, key)).headers["Location"] == again.headers["Location"]
        with app.app_context(), db.connection_context():
            assert Case.select().count() == 1
            assert [c.to_status for c in Case.get().status_changes] == ["Inskickat"]
