"""The operator's tools (issue 15): the health and readiness probes, the request id in logs,
headers and error pages, Prometheus metrics scraped as Prometheus would, and the portal under
the real gunicorn with gunicorn.conf.py (workers' metrics summed, an instance's own control
socket, workers that stop when their master is killed, the development key refused)."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from app.messaging.notifications import queue_mail
from app.platform.extensions import db
from tests.conftest import POSTGRES_URL, ROOT, make_app
from tests.login_helpers import CUSTOMER, portal_app

VENV_BIN = Path(sys.executable).parent


# --- helpers -----------------------------------------------------------------------------------

def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def samples(text: str) -> dict:
    """{(metric sample name, frozenset(labels)): value} from a Prometheus text page."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found: dict, name: str, **labels) -> float:
    return sum(v for (sample, sample_labels), v in found.items()
               if sample == name and set(labels.items()) <= set(sample_labels))


class TcpRelay:
    """A loopback TCP relay in front of PostgreSQL that can be stopped (every connection cut,
    new ones refused, as when the server goes down) and started again on the same port."""

    def __init__(self, target: tuple[str, int]):
        self.target, self.port = target, free_port()
        self.sockets: list[socket.socket] = []
        self.listener: socket.socket | None = None

    def start(self):
        self.listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        threading.Thread(target=self.accept, args=(self.listener,), daemon=True).start()

    def accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def pump(source, sink):
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with closing(end):
                    pass

    def stop(self):
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept (close alone does not, on Linux)
        self.listener.close()
        for sock in self.sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        self.sockets.clear()


# --- probes ------------------------------------------------------------------------------------

def test_health_answers_without_a_database_and_readiness_says_the_database_is_gone(tmp_path):
    app = make_app(f"postgresql://postgres@127.0.0.1:{free_port()}/test", create_tables=False,
                   database_pool_timeout=1.0)
    client = app.test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    started = time.monotonic()
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["databas"] == "svarar inte"
    page = client.get("/")
    assert time.monotonic() - started < 5
    assert page.status_code == 503
    text = page.get_data(as_text=True)
    assert "Tjänsten är tillfälligt otillgänglig" in text
    assert f"Felkod: {page.headers['X-Request-ID']}" in text


def test_readiness_names_missing_tables(sqlite_url):
    app = make_app(sqlite_url)
    with app.app_context(), db.connection_context():
        db.execute_sql('DROP TABLE "auditentry"')
    answer = app.test_client().get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json()["saknade"] == ["auditentry"]


@pytest.mark.skipif(not POSTGRES_URL, reason="PORTAL_TEST_DATABASE_URL is not set (CI sets it; see README)")
def test_postgresql_stopped_and_back_unready_then_ready_without_a_restart(postgresql_url):
    relay = TcpRelay(("127.0.0.1", 5432))
    relay.start()
    url = postgresql_url.replace("127.0.0.1:5432", f"127.0.0.1:{relay.port}")
    assert url != postgresql_url, "the test server is expected on 127.0.0.1:5432"
    app = make_app(url, database_pool_timeout=1.0)
    client = app.test_client()
    assert client.get("/readyz").status_code == 200
    assert client.get("/").status_code == 200

    relay.stop()
    started = time.monotonic()
    answers = [client.get("/readyz").status_code, client.get("/").status_code, client.get("/readyz").status_code]
    assert answers == [503, 503, 503]
    assert time.monotonic() - started < 5, "503s must be quick"

    relay.start()
    assert client.get("/readyz").status_code == 200
    assert client.get("/").status_code == 200


@pytest.mark.skipif(not POSTGRES_URL, reason="PORTAL_TEST_DATABASE_URL is not set (CI sets it; see README)")
def test_a_pooled_connection_is_pinged_only_after_lying_unused(postgresql_url):
    """No `SELECT 1` round trip when a request takes a connection given back a moment ago: if
    the server dropped it meanwhile, that one request fails quickly and the next gets a fresh
    connection; one that lay unused over PostgresqlPool.PING_AFTER is asked first."""
    import psycopg2

    from app.platform.database import PostgresqlPool

    app = make_app(postgresql_url)
    client = app.test_client()

    def drop_the_pooled_connection():
        pids = [conn.get_backend_pid() for _ts, _counter, conn in db.obj._connections]
        assert len(pids) == 1
        with closing(psycopg2.connect(POSTGRES_URL)) as admin, admin.cursor() as cursor:
            admin.autocommit = True
            cursor.execute("SELECT pg_terminate_backend(%s)", pids)
        time.sleep(0.2)  # the server has closed it

    assert client.get("/readyz").status_code == 200
    drop_the_pooled_connection()
    assert client.get("/readyz").status_code == 503  # not pinged: it was given back just now
    assert client.get("/readyz").status_code == 200  # the broken one was dropped
    drop_the_pooled_connection()
    time.sleep(PostgresqlPool.PING_AFTER)
    assert client.get("/readyz").status_code == 200  # pinged after lying unused, and replaced


# --- request id --------------------------------------------------------------------------------

def test_request_id_is_echoed_logged_and_shown_on_error_pages(sqlite_url, capfd):
    app = make_app(sqlite_url, log_format="json", access_log=True)
    client = app.test_client()
    mine = client.get("/finns-inte", headers={"X-Request-ID": "lb-0123456789abcdef"})
    assert mine.status_code == 404
    assert mine.headers["X-Request-ID"] == "lb-0123456789abcdef"
    assert "Felkod: lb-0123456789abcdef" in mine.get_data(as_text=True)
    forged = client.get("/finns-inte", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert forged.headers["X-Request-ID"] != "<script>alert(1)</script>"
    assert len(forged.headers["X-Request-ID"]) == 16

    lines = [json.loads(line) for line in capfd.readouterr().err.splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "kundportalen.access"]
    assert {line["request_id"] for line in access} == {"lb-0123456789abcdef", forged.headers["X-Request-ID"]}
    assert all(line["status"] == 404 and "finns-inte" not in json.dumps(line) for line in access)


# --- metrics -----------------------------------------------------------------------------------

def test_metrics_scraped_as_prometheus_would(sqlite_url, simulator_url):
    from tests.login_helpers import log_in

    app = portal_app(sqlite_url, simulator_url, metrics_token="skrapa-" + "x" * 30)
    client = app.test_client()
    # The counters live in the process (as in a gunicorn worker): other tests count too, so
    # what this test did is the difference between two scrapes.
    before = samples(client.get("/metrics").get_data(as_text=True))
    for _ in range(3):
        client.get("/")
    log_in(client, CUSTOMER)
    with app.app_context(), db.connection_context():
        for number in range(4):
            queue_mail("tolvan@example.se", f"Ärende {number}", "text")

    scraped = client.get("/metrics")
    assert scraped.status_code == 200
    assert scraped.content_type.startswith("text/plain")
    after = samples(scraped.get_data(as_text=True))

    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("kundportalen_request_seconds_count", route="public.start", method="GET", status="2xx") == 3
    assert grew("kundportalen_logins_total", outcome="complete") == 1
    assert value(after, "kundportalen_outbox_depth", channel="e-post") == 4  # read from this app's database
    assert value(after, "kundportalen_outbox_depth", channel="webhook") == 0
    assert value(after, "kundportalen_outbox_oldest_seconds", channel="e-post") >= 0

    outsider = {"REMOTE_ADDR": "203.0.113.7"}
    assert client.get("/metrics", environ_base=outsider).status_code == 404
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 404
    assert client.get("/metrics", environ_base=outsider,
                      headers={"Authorization": "Bearer skrapa-" + "x" * 30}).status_code == 200
    assert client.get("/metrics", environ_base=outsider, headers={"Authorization": "Bearer fel"}).status_code == 404


# --- under gunicorn ------------------------------------------------------------------------------

def gunicorn(tmp_path: Path, port: int, instance: str, *arguments: str, **env: str | None) -> subprocess.Popen:
    settings = {
        **os.environ,
        "PORTAL_ENV": "testing",
        "PORTAL_SECRET_KEY": "gunicorn-test-" + "k" * 40,
        "PORTAL_DATABASE_URL": f"sqlite:///{tmp_path / 'portal.db'}",
        "PORTAL_GUNICORN_BIND": f"127.0.0.1:{port}",
        "PORTAL_GUNICORN_WORKERS": "2",
        "PORTAL_GUNICORN_INSTANCE": instance,
        "PORTAL_GUNICORN_STATE_DIR": str(tmp_path / instance),
        **env,
    }
    settings = {key: text for key, text in settings.items() if text is not None and key != "PROMETHEUS_MULTIPROC_DIR"}
    return subprocess.Popen([str(VENV_BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), *arguments], cwd=ROOT,
                            env=settings, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)


def wait_ready(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read().decode(errors="replace")
        try:
            if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):  # still booting
            time.sleep(0.2)
    raise AssertionError("gunicorn did not become ready")


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "State:\tZ" not in status.read_text()


def test_two_instances_under_gunicorn_sum_their_workers_metrics_and_die_with_their_master(tmp_path):
    first_port, second_port = free_port(), free_port()
    first = gunicorn(tmp_path, first_port, "a")
    second = gunicorn(tmp_path, second_port, "b")
    try:
        wait_ready(first_port, first)
        wait_ready(second_port, second)
        # Each instance its own control socket (gunicorn's default is one per user).
        assert (tmp_path / "a" / "gunicorn.ctl").exists() and (tmp_path / "b" / "gunicorn.ctl").exists()

        for _ in range(40):  # a new connection each: both workers answer some
            assert requests.get(f"http://127.0.0.1:{first_port}/healthz", timeout=5).status_code == 200
        scraped = samples(requests.get(f"http://127.0.0.1:{first_port}/metrics", timeout=5).text)
        assert value(scraped, "kundportalen_request_seconds_count", route="health.healthz") == 40

        workers = worker_pids(first.pid)
        assert len(workers) == 2
        os.kill(first.pid, signal.SIGKILL)  # the master only
        deadline = time.monotonic() + 10
        while any(map(alive, workers)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(map(alive, workers)), "workers went on serving without their master"
        assert requests.get(f"http://127.0.0.1:{second_port}/healthz", timeout=5).status_code == 200
    finally:
        stop_instances(first, second)


def stop_instances(*processes) -> None:
    """SIGTERM to each gunicorn's process group (master and workers), waited for; one already
    gone (killed by the test) is fine."""
    for process in processes:
        with closing(process.stdout):
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            process.wait(timeout=30)


def test_production_start_refuses_the_development_key(tmp_path):
    port = free_port()
    process = gunicorn(tmp_path, port, "prod", PORTAL_ENV="production", PORTAL_SECRET_KEY=None)  # config.toml's
    try:
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode != 0
    assert "SECRET_KEY är utvecklingsnyckeln" in output.decode()
