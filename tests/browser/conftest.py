"""Browser fixtures: the real portal served on a loopback port and Debian's Chromium driven by
Playwright.

Every test gets its own portal (a fresh SQLite file, a random secret, CSRF on, the BankID
simulator mounted in-process at /bankid-simulator and reached by the portal's real BankID client
over HTTP on the same port, e-mail to the `smtp_server` fixture). One Chromium runs for the whole
session; each test opens fresh, isolated browser contexts through `open_page`.

Every context is guarded: a request to any host but 127.0.0.1 is aborted and recorded, and the
test fails at teardown if one was attempted (the portal must load nothing from the internet).
"""
from __future__ import annotations

import os
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from app import create_app
from tests.browser.helpers import DESKTOP

# Playwright must never fetch a browser of its own; we use Debian's.
os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

from playwright.sync_api import sync_playwright  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOOPBACK = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


def pytest_collection_modifyitems(items):
    """Everything under tests/browser is a browser test (`-m "not browser"` skips them)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


class _QuietHandler(WSGIRequestHandler):
    """No access log on stderr: test output stays readable."""

    def log_request(self, *args, **kwargs) -> None:
        pass


@dataclass
class LivePortal:
    """The running portal: `app` for app-context work, `url` for the browser, `smtp` for mail."""
    app: object
    url: str
    smtp: object

    def at(self, path: str) -> str:
        """Absolute URL of a portal path."""
        return self.url + path


@pytest.fixture
def portal_overrides() -> dict:
    """Extra settings for `live_portal`; a test module overrides this fixture to change them."""
    return {}


@pytest.fixture
def live_portal(tmp_path, smtp_server, portal_overrides) -> LivePortal:  # noqa: F811
    """Serve a fresh portal with werkzeug's threaded server on 127.0.0.1 and a random port.

    The server is bound first (port 0) and handed the app afterwards, because the app's own
    BankID settings must name the port the server got.
    """
    holder: dict = {}
    server = make_server(LOOPBACK, 0, lambda environ, start: holder["app"](environ, start),
                         threaded=True, request_handler=_QuietHandler)
    base = f"http://{LOOPBACK}:{server.server_port}"
    app = create_app({
        "env": "testing",
        "secret_key": "browser-" + uuid.uuid4().hex * 2,
        "database_url": f"sqlite:///{tmp_path / 'portal.db'}",
        "bankid_simulator": True,
        "bankid_url": base + "/bankid-simulator/rp/v6.0/",
        "bankid_app_url": base + "/bankid-simulator/app",
        "mail_server": smtp_server.host,
        "mail_port": smtp_server.port,
        "public_base_url": base,
        "wtf_csrf_enabled": True,
        **portal_overrides,
    })
    holder["app"] = app
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="live-portal", daemon=True)
    thread.start()
    yield LivePortal(app=app, url=base, smtp=smtp_server)
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the session: Debian's binary, never a downloaded one.
    Playwright gives every launch a fresh temporary user-data-dir of its own."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make system-deps)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Contexts:
    """Opens isolated browser contexts for one test and records every request they make."""
    browser: object
    contexts: list = field(default_factory=list)
    requests: list = field(default_factory=list)
    blocked: list = field(default_factory=list)

    def open_page(self, *, javascript: bool = True, viewport: dict | None = None):
        """A page in a new context (its own cookies): like a new person at a new computer.

        Requests to anything but 127.0.0.1 are aborted and remembered in `blocked`.
        """
        context = self.browser.new_context(java_script_enabled=javascript, viewport=viewport or DESKTOP,
                                           accept_downloads=True, locale="sv-SE")
        context.set_default_timeout(10_000)
        context.on("request", lambda request: self.requests.append(request.url))
        context.route("**/*", self._only_loopback)
        self.contexts.append(context)
        return context.new_page()

    def _only_loopback(self, route):
        url = route.request.url
        if urlsplit(url).hostname == LOOPBACK or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def browser_session(chromium):
    """Per-test contexts; at teardown, fail if any page tried to reach beyond 127.0.0.1."""
    contexts = Contexts(chromium)
    yield contexts
    contexts.close()
    assert not contexts.blocked, f"requests left 127.0.0.1: {contexts.blocked}"


@pytest.fixture
def open_page(browser_session):
    """`open_page(javascript=True, viewport=DESKTOP)` → a fresh page in its own context."""
    return browser_session.open_page
