"""Shared helpers for the BankID tests: a simulator on a real loopback port (pytest fixtures), an
injectable clock, a reader for the simulator's app-page form, an HTML-403 server and throwaway
certificates made with the openssl CLI. Test personnummer are made-up, Luhn-valid numbers."""
from __future__ import annotations

import contextlib
import http.server
import subprocess
import threading
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests

from app.accounts.bankid import BankIDClient, Order
from app.dev.bankid_simulator import RP_PREFIX, serve_simulator

TOLVAN = "191212121212"        # the classic BankID test identity
OTHER_PERSON = "198112289874"  # made up, Luhn-valid


class FakeClock:
    """Monotonic seconds that only move when a test says so."""

    def __init__(self, start: float = 1000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@contextlib.contextmanager
def running_simulator(settings: dict | None = None, ssl_context=None):
    server, thread, base_url = serve_simulator(settings=settings, ssl_context=ssl_context)
    try:
        yield base_url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class SimHandle:
    base_url: str
    clock: FakeClock

    @property
    def api_url(self) -> str:
        return self.base_url + RP_PREFIX

    def control(self, **changes) -> dict:
        response = requests.post(self.base_url + "/sim/control", json=changes, timeout=5)
        response.raise_for_status()
        return response.json()

    def state(self) -> dict:
        return requests.get(self.base_url + "/sim/state", timeout=5).json()

    def calls(self, endpoint: str) -> int:
        return self.state()["calls"].get(endpoint, 0)


@pytest.fixture
def sim():
    clock = FakeClock()
    with running_simulator({"clock": clock}) as base_url:
        yield SimHandle(base_url, clock)


@pytest.fixture
def bankid(sim):
    with BankIDClient(sim.api_url, timeout=(2, 5), collect_retry_delay=0) as client:
        yield client


# --- the simulator's app page, driven like a browser --------------------------------------------

class FormReader(HTMLParser):
    """Collects the first form: its action and the values a browser would submit."""

    def __init__(self):
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self.buttons: dict[str, str] = {}  # button text -> value
        self.labels: list[str] = []
        self._button: tuple[str, str] | None = None
        self._in_label = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attrs.get("action", "")
        elif tag == "input" and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value") or ""
        elif tag == "button":
            self._button = (attrs.get("name", ""), attrs.get("value", ""))
        elif tag == "label":
            self._in_label = True

    def handle_endtag(self, tag):
        self._in_label = self._in_label and tag != "label"
        self._button = None if tag == "button" else self._button

    def handle_data(self, data):
        if self._button and data.strip():
            self.buttons[data.strip()] = self._button[1]
        if self._in_label and data.strip():
            self.labels.append(data.strip())


def read_form(html: str) -> FormReader:
    reader = FormReader()
    reader.feed(html)
    return reader


def submit_app_form(base_url: str, page: requests.Response, button: str,
                    personnummer: str = "") -> requests.Response:
    """Press `button` ("Verifiera"/"Avbryt") on an app page after typing `personnummer`."""
    form = read_form(page.text)
    assert "Ange personnummer" in form.labels, page.text
    data = {**form.fields, "personnummer": personnummer, "action": form.buttons[button]}
    return requests.post(base_url + form.action, data=data, timeout=5)


def open_app(base_url: str, order: Order) -> requests.Response:
    return requests.get(base_url + "/app", params={"autostarttoken": order.auto_start_token},
                        timeout=5)


def verify_in_app(base_url: str, order: Order, personnummer: str) -> requests.Response:
    page = open_app(base_url, order)
    assert page.status_code == 200, page.text
    return submit_app_form(base_url, page, "Verifiera", personnummer)


# --- a server that answers like a misconfigured proxy -------------------------------------------

class Html403Handler(http.server.BaseHTTPRequestHandler):
    seen_content_types: list[str] = []

    def do_POST(self):
        self.seen_content_types.append(self.headers.get("Content-Type", ""))
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b"<html><body><h1>403 Forbidden</h1></body></html>"
        self.send_response(403)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def html_403_server():
    Html403Handler.seen_content_types = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Html403Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/rp/v6.0/", Html403Handler.seen_content_types
    server.shutdown()
    server.server_close()


# --- throwaway PKI ------------------------------------------------------------------------------

def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def make_ca(directory: Path, name: str) -> tuple[Path, Path]:
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", f"/CN={name}", "-keyout", str(key), "-out", str(cert),
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return cert, key


def make_leaf(directory: Path, name: str, ca: tuple[Path, Path], extensions: str) -> tuple[Path, Path]:
    cert, key, csr = (directory / f"{name}.crt", directory / f"{name}.key",
                      directory / f"{name}.csr")
    ext_file = directory / f"{name}.ext"
    ext_file.write_text(extensions)
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}",
             "-keyout", str(key), "-out", str(csr))
    _openssl("x509", "-req", "-in", str(csr), "-CA", str(ca[0]), "-CAkey", str(ca[1]),
             "-CAcreateserial", "-days", "2", "-extfile", str(ext_file), "-out", str(cert))
    return cert, key


@dataclass
class Pki:
    ca: Path
    other_ca: Path
    server: tuple[Path, Path]
    client: tuple[Path, Path]


def make_pki(directory: Path) -> Pki:
    ca = make_ca(directory, "test-root-ca")
    other_ca = make_ca(directory, "other-root-ca")
    server = make_leaf(directory, "simulator", ca,
                       "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                       "extendedKeyUsage=serverAuth\n")
    client = make_leaf(directory, "relying-party", ca, "extendedKeyUsage=clientAuth\n")
    return Pki(ca=ca[0], other_ca=other_ca[0], server=server, client=client)
