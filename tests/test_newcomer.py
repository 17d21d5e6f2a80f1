"""A newcomer's first steps, as printed: the README's and the admin guide's commands work from the
project folder without an activated virtualenv, and `make run PORT=… SMTP_PORT=…` (`flask dev`)
serves a portal whose BankID login and mail sink use the ports given, not 5000 and 1025."""
from __future__ import annotations

import re
import shlex
import smtplib
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.bankid_fixtures import submit_app_form

ROOT = Path(__file__).resolve().parent.parent
GUIDES = [ROOT / "README.md", ROOT / "forms" / "README.md"]
FLASK_LINE = re.compile(r"^\s*(?P<command>(?:\S*/)?flask --app app [^#`]*?)\s*(?:#.*)?$")
RUN_AS_PRINTED = {("forms", "check"), ("forms", "list")}
CUSTOMER = "191212121212"


def printed_flask_commands() -> list[str]:
    """Every `flask --app app …` line inside the guides' code blocks."""
    commands = []
    for guide in GUIDES:
        in_block = False
        for line in guide.read_text(encoding="utf-8").splitlines():
            if line.strip().startswith("```"):
                in_block = not in_block
                continue
            match = FLASK_LINE.match(line) if in_block else None
            if match:
                commands.append(match.group("command").strip())
    return commands


def plain_shell_env(tmp_path) -> dict:
    """A shell as a newcomer has it: no virtualenv on PATH; the database in a scratch folder."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8",
            "PORTAL_DATABASE_URL": f"sqlite:///{tmp_path / 'portal.db'}"}


def subcommand(words: list[str]) -> list[str]:
    """`forms check [DIR]` → ["forms", "check"]: the words before the first argument."""
    return [word for word in words[3:] if re.fullmatch(r"[a-z][a-z-]*", word)][:2]


def test_the_guides_print_commands_that_run_without_an_activated_venv(tmp_path):
    commands = printed_flask_commands()
    assert len(commands) >= 10
    env = plain_shell_env(tmp_path)
    checked = set()
    for command in commands:
        words = shlex.split(command)
        assert words[0] == ".venv/bin/flask", f"needs an activated venv: {command}"
        path = tuple(subcommand(words))
        if path in checked:
            continue
        checked.add(path)
        argv = words if path in RUN_AS_PRINTED and "[" not in command else [*words[:3], *path, "--help"]
        done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{' '.join(argv)}: {done.stderr[-500:]}"
    assert ("forms", "check") in checked and ("users", "grant-handler") in checked


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"nothing answered on port {port}")


@pytest.fixture
def dev_server(tmp_path):
    """`flask dev` on two free ports (what `make run PORT=… SMTP_PORT=…` starts); nothing listens
    on 5000, so a BankID call there would fail."""
    port, smtp_port = free_port(), free_port()
    env = plain_shell_env(tmp_path)
    process = subprocess.Popen([".venv/bin/flask", "--app", "app", "dev", "--port", str(port),
                                "--smtp-port", str(smtp_port)], cwd=ROOT, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for(port, process)
        wait_for(smtp_port, process)
        yield f"http://127.0.0.1:{port}", smtp_port
    finally:
        process.terminate()
        process.wait(timeout=20)


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_make_run_on_another_port_logs_in_through_that_port(dev_server):
    base, smtp_port = dev_server
    browser = requests.Session()
    token = csrf_token(browser.get(base + "/logga-in", timeout=10).text)
    started = browser.post(base + "/logga-in", data={"device": "this", "csrf_token": token},
                           allow_redirects=False, timeout=20)
    assert started.status_code == 303, started.text  # the BankID client reached this port's simulator
    waiting = browser.get(base + "/logga-in/bankid", timeout=10).text
    link = re.search(r'href="([^"]*autostarttoken=[^"]*)"', waiting).group(1).replace("&amp;", "&")
    assert link.startswith("/bankid-simulator/app?")
    app_page = browser.get(base + link, timeout=10)
    done = submit_app_form(base, app_page, "Verifiera", CUSTOMER)
    assert f'url={base}/logga-in/bankid"' in done.text  # the way back names this port too
    finished = None
    for _ in range(20):
        finished = browser.post(base + "/logga-in/bankid", data={"csrf_token": csrf_token(waiting)},
                                allow_redirects=False, timeout=20)
        if "/logga-in" not in finished.headers.get("Location", "/logga-in"):
            break
        time.sleep(1)
    assert "/logga-in" not in finished.headers["Location"]
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as sink:
        assert sink.noop()[0] == 250
