"""`make loadtest`: the portal under load as an operator would run it, against a floor measured
in the same run (benchmarks are not tests).

It creates a fresh PostgreSQL database on the local server, makes the tables with
`flask init-db`, starts the BankID simulator, the portal under gunicorn (`-w 2`, sync workers)
and the floor app (bench/floor_app.py: one query and a Jinja page of the same size), logs in
customers and a handler through the simulator over HTTP, seeds cases in bulk (a customer with
1 000 cases, 100 000 in all), then drives each scenario of the user guide's mix with wrk and
prints requests/s, p50/p95/p99, errors and the ratio to the floor. The database is dropped at
the end.

    python -m bench.loadtest [--duration 10] [--connections 8] [--portal-dir DIR]

--portal-dir runs another checkout of the portal (a "before" run) with the same driver.
LOADTEST_DATABASE_URL names the server (default postgresql://postgres@127.0.0.1:5432/postgres).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import psycopg2
import psycopg2.extras
import requests

from app.dev.bankid_simulator import RP_PREFIX, serve_simulator
from tests.login_helpers import PROFILE_FORM, approve_in_app, start_url
from tests.request_cost_helpers import SITHS, made_up_personnummer, siths_order

ROOT = Path(__file__).resolve().parent.parent
LUA = Path(__file__).resolve().parent / "wrk" / "scenario.lua"
ADMIN_URL = os.environ.get("LOADTEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
HANDLER = "194108207210"  # made up, Luhn-valid (as in the tests)
BIG_CUSTOMER = "191212121212"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
FORM_KEY = re.compile(r'name="form_key" value="([^"]+)"')
COOKIE = "kundportalen_session"

# The goals of issue 15, as ratios to the floor.
GOALS = {"filing": 0.25, "mina sidor (1 000 cases)": 0.4}
GET_GOAL = 0.5


# --- processes -------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException):
            requests.get(url, timeout=2)
            return
        time.sleep(0.2)
    raise RuntimeError(f"{url} svarade inte")


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    url: str
    master: int

    def tree_cpu_seconds(self) -> float:
        """CPU time of the master and every worker, living or gone: each live process's own time
        plus that of its children it has reaped, so a worker gunicorn replaced during a run
        (max_requests, a timeout) still counts, through its master."""
        return sum(own + reaped for own, reaped in process_times([self.master, *descendants(self.master)]).values())


def descendants(pid: int) -> list[int]:
    found = []
    with contextlib.suppress(OSError):
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            found += [int(child), *descendants(int(child))]
    return found


def process_times(pids) -> dict:
    """Per process: (its own user + system CPU seconds, those of its reaped children); processes
    gone by now are left out."""
    times = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            utime, stime, cutime, cstime = (int(value) / CLOCK_TICKS for value in fields[11:15])
            times[pid] = (utime + stime, cutime + cstime)
    return times


class BackendClock:
    """CPU time of the database's PostgreSQL backends during a run. A backend that ends during
    it (its worker replaced) is in no reaped time we may read (the postmaster serves every
    database on the server), so the backends are sampled every `every` seconds and each one's
    last sample counts: at most that long of a departing backend's time is missed."""

    def __init__(self, database_url: str, every: float = 0.25):
        self.database_url, self.every = database_url, every
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.stop = threading.Event()

    def sample(self, cursor, running: bool) -> None:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid()")
        for pid, (own, reaped) in process_times([row[0] for row in cursor.fetchall()]).items():
            self.first.setdefault(pid, 0.0 if running else own + reaped)  # one born during the run counts from birth
            self.last[pid] = own + reaped

    def __enter__(self):
        self.connection = psycopg2.connect(self.database_url)
        self.connection.autocommit = True
        self.sample(self.connection.cursor(), running=False)
        self.thread = threading.Thread(target=self.keep_sampling, daemon=True)
        self.thread.start()
        return self

    def keep_sampling(self) -> None:
        cursor = self.connection.cursor()
        while not self.stop.wait(self.every):
            self.sample(cursor, running=True)

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.sample(self.connection.cursor(), running=True)
        self.connection.close()

    @property
    def seconds(self) -> float:
        return sum(self.last[pid] - self.first[pid] for pid in self.last)


@contextlib.contextmanager
def gunicorn(app_spec: str, port: int, cwd: Path, env: dict, config: Path, workers: int = 2):
    """`gunicorn -w 2` with sync workers, as the issue's measurements were made (`--workers 1`
    measures one worker, what one core serves); the portal with its own gunicorn.conf.py (as an
    operator runs it), the floor with an empty one."""
    command = [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", str(config), "-w", str(workers), "-k", "sync",
               "-b", f"127.0.0.1:{port}", "--log-level", "warning", app_spec]
    process = subprocess.Popen(command, cwd=cwd, env={**os.environ, **env})  # noqa: S603
    try:
        wait_for(f"http://127.0.0.1:{port}/")
        yield Server(f"http://127.0.0.1:{port}", process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextlib.contextmanager
def fresh_database():
    """A database of its own on the local server, dropped afterwards."""
    name = f"kp_loadtest_{secrets.token_hex(4)}"
    admin = psycopg2.connect(ADMIN_URL)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(ADMIN_URL)
    try:
        yield urlunsplit(parts._replace(path="/" + name))
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def portal_config(folder: Path, database_url: str, simulator: str) -> Path:
    limits = ("cases_per_user", "messages_per_user", "status_changes_per_user", "searches_per_user",
              "pdfs_per_user", "login_start_per_ip", "login_start_per_session", "login_poll_per_ip",
              "login_poll_per_session", "login_qr_per_session")
    lines = ['env = "testing"', f'secret_key = "{secrets.token_hex(32)}"', f'database_url = "{database_url}"',
             "form_preview = false", "bankid_simulator = false", f'bankid_url = "{simulator}{RP_PREFIX}"',
             f'bankid_app_url = "{simulator}/app"', 'public_base_url = "https://kundportal.example.se"',
             *(f"{key} = 1000000000" for key in limits)]
    path = folder / "portal.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def flask_command(portal_dir: Path, config: Path, *args: str) -> None:
    subprocess.run([str(ROOT / ".venv" / "bin" / "flask"), "--app", "app", *args], cwd=portal_dir,  # noqa: S603
                   env={**os.environ, "PORTAL_CONFIG": str(config)}, check=True, capture_output=True)


# --- browsers --------------------------------------------------------------------------------

@dataclass
class Browser:
    """A logged-in person: the session cookie and CSRF token wrk sends, and their filed case."""
    http: requests.Session
    base: str
    csrf: str = ""
    case: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def cookie(self) -> str:
        return f"{COOKIE}={self.http.cookies.get(COOKIE)}"

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.base + path, allow_redirects=False, timeout=60)

    def post(self, path: str, data: dict) -> requests.Response:
        return self.http.post(self.base + path, data={**data, "csrf_token": self.csrf}, allow_redirects=False,
                              timeout=60)


def log_in(base: str, personnummer: str) -> Browser:
    """The whole BankID login over HTTP: the portal's client talks to the simulator, and this
    plays the person in the app."""
    browser = Browser(requests.Session(), base)
    browser.csrf = CSRF.search(browser.get("/logga-in").text).group(1)
    browser.post("/logga-in", {"device": "this"})
    approve_in_app(start_url(browser.get("/logga-in/bankid").text), personnummer)
    for _ in range(20):
        time.sleep(1.05)  # the portal asks BankID at most once a second per login
        done = browser.post("/logga-in/bankid", {})
        if "/logga-in" not in done.headers.get("Location", "/logga-in"):
            break
    else:
        raise RuntimeError("inloggningen blev inte klar")
    if "/mina-uppgifter" in done.headers.get("Location", ""):
        browser.csrf = CSRF.search(browser.get("/mina-uppgifter").text).group(1)
        assert browser.post("/mina-uppgifter", PROFILE_FORM).status_code == 303
    browser.csrf = CSRF.search(browser.get(SITHS).text).group(1)
    return browser


def file_order(browser: Browser, rows: int = 10) -> str:
    key = FORM_KEY.search(browser.get(SITHS).text).group(1)
    response = browser.post(SITHS, siths_order(rows, key))
    assert response.status_code == 303, response.text[:500]
    return response.headers["Location"].split("/")[2]


def customer(base: str, n: int) -> Browser:
    browser = log_in(base, made_up_personnummer(200 + n).replace("-", ""))
    browser.case = file_order(browser)
    assert browser.get(f"/arenden/{browser.case}/pdf").status_code == 200  # rendered once, stored
    browser.extra["replied_case"] = file_order(browser)  # the replies go here: the pages read stay the same size
    return browser


# --- seeding ---------------------------------------------------------------------------------

def seed_cases(database_url: str, owner_personnummer: str, own: int, total: int) -> None:
    """`own` cases for one customer, then everyone else's up to `total`, by bulk inserts (the
    customer's are the oldest: Mina sidor must not walk the others to find them)."""
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    statuses = ("Inskickat", "Under handläggning", "Avslutat")
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute('INSERT INTO "user" (personnummer, name, role, active, created_at) '
                       "VALUES ('198001019999', 'Alla andra', 'customer', true, %s) RETURNING id", (now,))
        others = cursor.fetchone()[0]
        cursor.execute('SELECT id FROM "user" WHERE personnummer = %s', (owner_personnummer,))
        owner = cursor.fetchone()[0]
        rows = [(f"B-{n:07d}", owner if n < own else others, f"bulk{n}", "ovrigt", "Övrigt", "{}", "0" * 64, "{}", "{}",
                 f"Region {n % 500}", f"23{n % 500:04d}-0016", statuses[n % 3], 1, now, now,
                 now if n % 3 == 2 else None) for n in range(total)]
        psycopg2.extras.execute_values(
            cursor, 'INSERT INTO "case" (number, owner_id, form_key, case_type_slug, case_type_title, schema_text, '
                    "schema_sha256, data, orderer, organisation_name, organisation_number, status, version, "
                    "created_at, updated_at, closed_at) VALUES %s", rows, page_size=5000)
    with psycopg2.connect(database_url) as connection:
        connection.autocommit = True
        connection.cursor().execute('ANALYZE')  # what autovacuum does soon after a bulk load


def floor_table(database_url: str) -> None:
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("CREATE TABLE floor_item (id integer PRIMARY KEY, name text NOT NULL)")
        cursor.execute("INSERT INTO floor_item SELECT n, 'Golvet ' || n FROM generate_series(1, 100) AS n")


# --- scenarios -------------------------------------------------------------------------------

@dataclass
class Scenario:
    name: str
    browsers: list
    paths: list
    method: str = "GET"
    bodies: list | None = None
    expect: int = 200

    def lua(self, key_prefix: str) -> str:
        table = {"cookies": [b.cookie for b in self.browsers], "paths": self.paths, "method": self.method,
                 "bodies": self.bodies or [""] * len(self.paths), "key_prefix": key_prefix}
        return "scenario = " + lua_value(table) + "\n" + LUA.read_text(encoding="utf-8")


def lua_value(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key} = {lua_value(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "{" + ", ".join(lua_value(item) for item in value) + "}"
    return json.dumps(value)  # a JSON string is a Lua string for these characters


def body(browser: Browser, data: dict) -> str:
    return urlencode({**data, "csrf_token": browser.csrf, "form_key": "FORMKEY"})


def scenarios(customers: list, big: Browser, handler: Browser) -> list:
    cases = [c.case for c in customers]
    return [
        Scenario("start (logged in)", customers, ["/"] * len(customers)),
        Scenario("form page", customers, [SITHS] * len(customers)),
        Scenario("filing 10 rows", customers, [SITHS] * len(customers), "POST",
                 [body(c, {k: v for k, v in siths_order(10, "x").items() if k != "form_key"}) for c in customers], 303),
        Scenario("mina sidor (1 000 cases)", [big], ["/mina-sidor"]),
        Scenario("case detail", customers, [f"/arenden/{n}" for n in cases]),
        Scenario("pdf (stored)", customers, [f"/arenden/{n}/pdf" for n in cases]),
        Scenario("mina uppgifter", customers, ["/mina-uppgifter"] * len(customers)),
        Scenario("bell", customers, ["/notiser"] * len(customers)),
        Scenario("handler queue (100 000)", [handler], ["/handlaggare/arenden"]),
        Scenario("handler case", [handler] * len(cases), [f"/handlaggare/arenden/{n}" for n in cases]),
        Scenario("handler reply", [handler] * len(cases),
                 [f"/handlaggare/arenden/{c.extra['replied_case']}/meddelanden" for c in customers],
                 "POST", [body(handler, {"meddelande": "Tack, vi återkommer."})] * len(cases), 303),
    ]


def check(scenario: Scenario) -> None:
    """One request the way wrk will send it: the expected answer, not a login page."""
    browser, path = scenario.browsers[0], scenario.paths[0]
    if scenario.method == "POST":
        response = browser.http.post(browser.base + path, allow_redirects=False, timeout=60,
                                     data=scenario.bodies[0].replace("FORMKEY", "check" + secrets.token_hex(8)),
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    else:
        response = browser.get(path)
    if response.status_code != scenario.expect or "/logga-in" in response.headers.get("Location", ""):
        raise RuntimeError(f"{scenario.name}: {response.status_code} {response.headers.get('Location', '')}")


def run_wrk(server: Server, database_url: str, lua: str, args, folder: Path, name: str) -> dict:
    """One wrk run, and the CPU time the server's processes and their PostgreSQL backends spent
    on it: per request, that is what the page costs whatever else the machine is doing."""
    script = folder / (re.sub(r"\W+", "_", name) + ".lua")
    script.write_text(lua, encoding="utf-8")
    before = server.tree_cpu_seconds()
    with BackendClock(database_url) as backends:
        output = subprocess.run(["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{args.duration}s",  # noqa: S603, S607
                                 "--latency", "-s", str(script), server.url], capture_output=True, text=True,
                                check=True).stdout
    workers = server.tree_cpu_seconds() - before
    result = json.loads(output.split("RESULT ", 1)[1].splitlines()[0])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["cpu_ms"] = 1000 * (workers + backends.seconds) / max(result["requests"], 1)
    result["database_cpu_ms"] = 1000 * backends.seconds / max(result["requests"], 1)  # of cpu_ms
    result["load"] = os.getloadavg()[0]
    return result


def goal_of(name: str):
    if name.startswith("floor"):
        return None
    if name.startswith(("filing", "handler reply")):  # writes with their notifications
        return GOALS["filing"]
    return GOALS.get(name, GET_GOAL)


@dataclass
class Measured:
    """One scenario's run and the floor runs just before and after it."""
    name: str
    result: dict
    floors: tuple

    @property
    def ratio(self) -> float:
        return self.result["rps"] / statistics.mean(floor["rps"] for floor in self.floors)

    @property
    def cpu_ratio(self) -> float:
        floor_ms = statistics.mean(floor["cpu_ms"] for floor in self.floors)
        return floor_ms / self.result["cpu_ms"] if self.result["cpu_ms"] else float("nan")


def verdict(name: str, ratio: float, cpu_ratio: float) -> str:
    goal = goal_of(name)
    if goal is None:
        return ""
    return "ok" if min(ratio, cpu_ratio) >= goal else "ok (cpu)" if cpu_ratio >= goal else "UNDER"


HEADER = (f"{'scenario':<26} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'err':>6} "
          f"{'cpu ms':>7} {'× floor':>8} {'cpu ×':>6} {'goal':>5} {'load':>5}")


def line(name: str, result: dict, ratio: float, cpu_ratio: float) -> str:
    goal = goal_of(name)
    errors = f"{result['status_errors']}/{result['socket_errors']}"  # 4xx-5xx answers / broken connections
    return (f"{name:<26} {result['rps']:7.0f} {result['p50_us'] / 1000:7.1f} {result['p95_us'] / 1000:7.1f} "
            f"{result['p99_us'] / 1000:7.1f} {errors:>6} {result['cpu_ms']:7.2f} {ratio:8.2f} {cpu_ratio:6.2f} "
            f"{'' if goal is None else goal:>5} {result['load']:5.1f} {verdict(name, ratio, cpu_ratio)}")


def median_result(results: list) -> dict:
    keys = ("rps", "p50_us", "p95_us", "p99_us", "cpu_ms", "load")
    medians = {key: statistics.median(result[key] for result in results) for key in keys}
    medians.update({key: sum(result[key] for result in results) for key in ("status_errors", "socket_errors")})
    return medians


def report(rounds: list) -> None:
    """Per round, then the medians over the rounds. Each scenario runs between two floor runs and
    is divided by their mean, so the ratio compares runs made under the same load; two ratios:
    requests/s (what the issue's goals are written in) and CPU time per request (the same on an
    idle machine, and still meaningful when other work shares it). `load` is the 1-minute load
    average as the run ended."""
    for number, measured in enumerate(rounds, 1):
        floors = [m.floors[0] for m in measured] + [measured[-1].floors[1]]
        print(f"\nRunda {number}\n{HEADER}")
        print(line("floor (median)", median_result(floors), 1.0, 1.0))
        for m in measured:
            print(line(m.name, m.result, m.ratio, m.cpu_ratio))
    if len(rounds) > 1:
        print(f"\nMedian över {len(rounds)} rundor (kvoterna är medianer av varje rundas kvoter)\n{HEADER}")
        all_floors = [m.floors[0] for measured in rounds for m in measured]
        print(line("floor (median)", median_result(all_floors), 1.0, 1.0))
        for index, first in enumerate(rounds[0]):
            same = [measured[index] for measured in rounds]
            print(line(first.name, median_result([m.result for m in same]),
                       statistics.median(m.ratio for m in same), statistics.median(m.cpu_ratio for m in same)))
    load = os.getloadavg()[0]
    print(f"\nload average at the end: {load:.1f} on {os.cpu_count()} cores"
          + ("  (the machine is shared: judge by 'cpu ×')" if load > (os.cpu_count() or 1) else ""))


def stop_on_term(_signum, _frame):
    raise KeyboardInterrupt  # so every `with` above cleans up: servers stopped, database dropped


def main() -> None:
    signal.signal(signal.SIGTERM, stop_on_term)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario (default 10)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of the portal and the floor")
    parser.add_argument("--customers", type=int, default=8)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--big", type=int, default=1_000, help="the Mina sidor customer's cases")
    parser.add_argument("--portal-dir", type=Path, default=ROOT)
    parser.add_argument("--only", default="", help="run only the scenarios whose name contains this")
    parser.add_argument("--rounds", type=int, default=1, help="run the scenarios this many times; medians at the end")
    parser.add_argument("--json", type=Path, help="also write every run's figures to this file")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk saknas: apt-get install wrk (make loadtest installerar det som root)")
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as temp, fresh_database() as database_url:
        folder = Path(temp)
        server, _thread, simulator = serve_simulator()
        try:
            config = portal_config(folder, database_url, simulator)
            flask_command(args.portal_dir, config, "init-db")
            flask_command(args.portal_dir, config, "users", "grant-handler", HANDLER)
            floor_table(database_url)
            portal_env = {"PORTAL_CONFIG": str(config)}
            portal_conf = args.portal_dir / "gunicorn.conf.py"
            empty_conf = folder / "floor.conf.py"
            empty_conf.write_text("", encoding="utf-8")
            with gunicorn("app:create_app()", free_port(), args.portal_dir, portal_env,
                          portal_conf if portal_conf.exists() else empty_conf, args.workers) as portal_server:
                portal = portal_server.url
                with ThreadPoolExecutor(8) as pool:
                    customers = list(pool.map(lambda n: customer(portal, n), range(args.customers)))
                    big, handler = pool.map(lambda pnr: log_in(portal, pnr), (BIG_CUSTOMER, HANDLER))
                page_bytes = len(customers[0].get(SITHS).content)
                seed_cases(database_url, BIG_CUSTOMER, args.big, args.cases)
                flask_command(args.portal_dir, config, "init-db")  # recounts the statuses after the bulk load
                print(f"Förberett på {time.monotonic() - started:.0f} s: {args.cases} + {args.customers} ärenden, "
                      f"{args.customers} kunder, 1 handläggare; formulärsidan {page_bytes} byte; "
                      f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s; {args.workers} worker(s); "
                      f"portal {args.portal_dir}; load average {os.getloadavg()[0]:.1f}", flush=True)
                floor_env = {"FLOOR_DATABASE_URL": database_url, "FLOOR_PAGE_BYTES": str(page_bytes)}
                with gunicorn("bench.floor_app:create_app()", free_port(), ROOT, floor_env, empty_conf,
                              args.workers) as floor_server:
                    floor_lua = Scenario("floor", [customers[0]], ["/"]).lua("f")

                    def floor_run() -> dict:
                        return run_wrk(floor_server, database_url, floor_lua, args, folder, "floor")

                    rounds = []
                    for _ in range(args.rounds):
                        measured, before = [], floor_run()
                        for scenario in scenarios(customers, big, handler):
                            if args.only and args.only not in scenario.name:
                                continue
                            check(scenario)
                            result = run_wrk(portal_server, database_url, scenario.lua(f"w{len(rounds)}{len(measured)}"),
                                             args, folder, scenario.name)
                            after = floor_run()
                            measured.append(Measured(scenario.name, result, (before, after)))
                            print(line(scenario.name, result, measured[-1].ratio, measured[-1].cpu_ratio), flush=True)
                            before = after
                        rounds.append(measured)
        finally:
            server.shutdown()
            server.server_close()
    report(rounds)
    if args.json:
        args.json.write_text(json.dumps([[{"name": m.name, "result": m.result, "floors": m.floors, "ratio": m.ratio,
                                           "cpu_ratio": m.cpu_ratio} for m in measured] for measured in rounds],
                                        indent=1), encoding="utf-8")
    print(f"\n{time.monotonic() - started:.0f} s i allt")


if __name__ == "__main__":
    main()
