"""PDF engines behind one function: ``render_pdf(html, engine=...) -> bytes``.

This module owns turning finished HTML into PDF bytes, and the hardening of both engines
(security checklist §F, findings 1-4). It knows nothing about Flask, the database or forms.
The HTML comes from our autoescaped templates, but both engines are configured so that even
hostile raw HTML can neither read local files (F1) nor make network requests (F2), cannot
smuggle command-line flags into wkhtmltopdf (F3), and cannot hang a worker (F4).

Public API
    render_pdf(html, *, engine="weasyprint", static_dir=None, timeout=20.0) -> bytes
    configure(*, max_concurrent=None, wkhtmltopdf_path=None, busy_wait=None)
    get_settings() -> PdfSettings
    ENGINES            engine name -> render function
    PdfRenderError     any failure; subclasses PdfTimeout and PdfBusy

Concurrency cap (F4)
    At most ``max_concurrent`` renders run at once in this process (a BoundedSemaphore; with
    several gunicorn workers the machine-wide cap is workers x max_concurrent). A caller that
    finds every slot busy waits at most ``busy_wait`` seconds, then gets ``PdfBusy`` so a view
    can answer 503 quickly instead of queueing unbounded work.

WeasyPrint (default engine)
    * Resources go through ``StaticOnlyFetcher``. It serves files under ``static_dir`` and
      nothing else. Templates address static files by **relative URL** (``pdf.css``,
      ``img/logo.png``), which resolve against the pseudo-origin ``STATIC_BASE_URL``
      (``https://static.kundportalen.invalid/``). That origin is only a name: the fetcher maps it
      to ``static_dir`` and never opens a socket (``.invalid`` cannot resolve either, RFC 2606).
      Paths are resolved (symlinks, ``..``, %-escapes) and must stay inside ``static_dir``.
    * Refused: ``file:`` (any path, even inside static_dir: one way in only, and no server
      paths end up in the PDF), ``http(s):`` to any other origin, ``ftp:`` and every other
      scheme. Allowed: ``data:`` URLs, because decoding them does no I/O, their bytes are
      already in the HTML, and inline images (e.g. QR codes) need them.
    * A refused URL is logged by WeasyPrint as a warning and the render continues without it.
    * Time limit: WeasyPrint has no JavaScript, but layout cost is unbounded (a 5000-row table
      takes ~8 s here; big images and fonts cost memory and time too), and a page-count limit
      would only act after the cost was paid. So renders run in long-lived worker processes
      (``python -I -c ...``, WeasyPrint imported once; framed requests on stdin, PDFs on
      stdout), each in its own process group; a render that overruns ``timeout`` kills its
      worker's group (``PdfTimeout``), exactly like wkhtmltopdf below, and the next render
      starts a fresh worker. A subprocess rather than multiprocessing: fork from a threaded
      web worker is unsafe, and spawn/forkserver children re-import ``__main__`` (for
      ``python -m flask`` that re-runs the CLI). Keeping workers alive saves the ~0.5 s import
      per render; a worker is replaced after 200 renders.

wkhtmltopdf (via pdfkit, one config line away)
    * The command is built by ``pdfkit.PDFKit(html, "string", options=..., configuration=...)``
      with a random per-process ``meta_tag_prefix``: pdfkit turns ``<meta name="<prefix>X"
      content="Y">`` in the HTML into ``--X Y`` (finding 3); the default prefix ``pdfkit-``
      would let injected HTML add ``--allow /`` or ``--cookie-jar``.
    * The argv is then checked against an allow-list (``ALLOWED_WKHTMLTOPDF_FLAGS``) and the
      required hardening flags (``REQUIRED_WKHTMLTOPDF_FLAGS``); anything else raises before
      the binary runs.
    * Hardening flags: ``--disable-local-file-access`` (blocks file: only), a dead loopback
      ``--proxy`` plus ``--proxy-hostname-lookup`` so no HTTP request and no DNS lookup leaves
      (``--disable-local-file-access`` does nothing against SSRF, finding 2),
      ``--disable-javascript``, ``--disable-plugins``.
    * We run the command ourselves (pdfkit's ``communicate()`` has no timeout) in a new
      session/process group, with a minimal environment and a throw-away working directory;
      on timeout the whole group is SIGKILLed and the leader reaped.
    * The binary version (>= 0.12.6) is checked once per path, lazily, on first use.
    * ``static_dir`` is ignored: local file access is off and ``--allow`` is forbidden, so
      templates for this engine must inline their CSS and use ``data:`` images.
"""

from __future__ import annotations

import atexit
import contextlib
import mimetypes
import os
import re
import secrets
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlsplit

import pdfkit
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

__all__ = [
    "ENGINES",
    "PdfBusy",
    "PdfRenderError",
    "PdfSettings",
    "PdfTimeout",
    "STATIC_BASE_URL",
    "configure",
    "get_settings",
    "render_pdf",
]


class PdfRenderError(RuntimeError):
    """The PDF could not be produced."""


class PdfTimeout(PdfRenderError):
    """The engine ran longer than the time limit and was killed."""


class PdfBusy(PdfRenderError):
    """Every render slot stayed busy for ``busy_wait`` seconds; retry later (HTTP 503)."""


# --------------------------------------------------------------------------- settings

@dataclass(frozen=True)
class PdfSettings:
    max_concurrent: int = 2
    wkhtmltopdf_path: str = shutil.which("wkhtmltopdf") or "/usr/bin/wkhtmltopdf"
    busy_wait: float = 2.0


_settings = PdfSettings()
_render_slots = threading.BoundedSemaphore(_settings.max_concurrent)
_settings_lock = threading.Lock()


def configure(*, max_concurrent: int | None = None, wkhtmltopdf_path: str | os.PathLike | None = None,
              busy_wait: float | None = None) -> PdfSettings:
    """Change the settings given (None keeps the current value); return the new settings.

    A new ``max_concurrent`` takes effect for renders that start afterwards; renders already
    running release the slot they took from the old semaphore.
    """
    global _settings, _render_slots
    changes = {"max_concurrent": max_concurrent, "busy_wait": busy_wait,
               "wkhtmltopdf_path": None if wkhtmltopdf_path is None else os.fspath(wkhtmltopdf_path)}
    changes = {name: value for name, value in changes.items() if value is not None}
    if changes.get("max_concurrent", 1) < 1:
        raise ValueError("max_concurrent must be at least 1")
    if changes.get("busy_wait", 0) < 0:
        raise ValueError("busy_wait must not be negative")
    with _settings_lock:
        _settings = replace(_settings, **changes)
        if "max_concurrent" in changes:
            _render_slots = threading.BoundedSemaphore(_settings.max_concurrent)
        return _settings


def get_settings() -> PdfSettings:
    return _settings


# --------------------------------------------------------------------------- public entry

def render_pdf(html: str, *, engine: str = "weasyprint", static_dir: Path | None = None,
               timeout: float = 20.0) -> bytes:
    """Render ``html`` to PDF bytes with the named engine (see ``ENGINES``).

    Raises ValueError for an unknown engine or a non-positive timeout, PdfBusy when no render
    slot frees up within ``busy_wait``, PdfTimeout after ``timeout`` seconds, and
    PdfRenderError for any other engine failure.
    """
    render = _engine_named(engine)
    if not timeout > 0:
        raise ValueError(f"timeout must be positive, got {timeout!r}")
    with _render_slot():
        pdf = render(html, static_dir=None if static_dir is None else Path(static_dir), timeout=timeout)
    if not pdf.startswith(b"%PDF-"):
        raise PdfRenderError(f"{engine} returned something that is not a PDF")
    return pdf


def _engine_named(engine: str) -> Callable[..., bytes]:
    try:
        return ENGINES[engine]
    except KeyError:
        known = ", ".join(sorted(ENGINES))
        raise ValueError(f"unknown PDF engine {engine!r}; choose one of: {known}") from None


@contextlib.contextmanager
def _render_slot():
    slots, wait = _render_slots, _settings.busy_wait  # keep the semaphore we acquire from
    if not slots.acquire(timeout=wait):
        raise PdfBusy(f"all PDF render slots busy for {wait:g} s")
    try:
        yield
    finally:
        slots.release()


# --------------------------------------------------------------------------- WeasyPrint

STATIC_BASE_URL = "https://static.kundportalen.invalid/"


class URLRefused(ValueError):
    """A resource URL outside what the PDF may load. WeasyPrint logs it and skips it."""


class StaticOnlyFetcher(URLFetcher):
    """WeasyPrint URL fetcher: files under ``static_dir`` via ``STATIC_BASE_URL``, and data: URLs.

    Never touches the network or any file outside ``static_dir``; everything else is refused.
    """

    def __init__(self, static_dir: Path | None):
        # No redirects and errors are non-fatal; the parent's urllib opener is never used.
        super().__init__(allow_redirects=False, fail_on_errors=False)
        self.static_root = None if static_dir is None else Path(static_dir).resolve(strict=True)
        self._loaders = {"https": self._load_static_file, "data": self._load_data_url}

    def fetch(self, url, headers=None):
        scheme = url.partition(":")[0].lower()
        load = self._loaders.get(scheme, self._refuse)
        return load(url)

    def open(self, url, data=None, timeout=None):
        # OpenerDirector.open would reach urllib's handlers; route everything through fetch.
        return self.fetch(url if isinstance(url, str) else url.full_url)

    def _refuse(self, url: str):
        raise URLRefused(f"PDF resources may only come from static files or data: URLs: {url[:200]}")

    def _load_static_file(self, url: str) -> URLFetcherResponse:
        if self.static_root is None or not url.startswith(STATIC_BASE_URL):
            self._refuse(url)
        relative = unquote(urlsplit(url).path).removeprefix(urlsplit(STATIC_BASE_URL).path)
        path = (self.static_root / relative).resolve()
        if not path.is_relative_to(self.static_root) or not path.is_file():
            self._refuse(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})

    def _load_data_url(self, url: str) -> URLFetcherResponse:
        decoded = urllib.request.DataHandler().data_open(urllib.request.Request(url))  # noqa: S310 -- data: only, no I/O
        return URLFetcherResponse(url, decoded.read(), {"Content-Type": decoded.headers["Content-Type"]})


PDF_VARIANT = "pdf/ua-1"


def _weasyprint_pdf(html: str, static_dir: Path | None) -> bytes:
    """Render in this process, no time limit. Used inside the worker process."""
    base_url = STATIC_BASE_URL if static_dir is not None else None
    document = HTML(string=html, base_url=base_url, url_fetcher=StaticOnlyFetcher(static_dir))
    # PDF/UA-1: a tagged PDF (structure tree, reading order, table headers, language, title)
    # that screen readers can follow. wkhtmltopdf cannot tag; this engine can.
    return document.write_pdf(pdf_variant=PDF_VARIANT)


# The worker imports this module from the project root, in isolated mode (-I: no PYTHONPATH,
# no user site-packages, no current directory on sys.path).
_PROJECT_ROOT = str(Path(__file__).resolve().parents[1])
_WEASYPRINT_WORKER_CODE = (
    "import sys; sys.path.insert(0, sys.argv.pop(1)); "
    "from renderers.pdf import _weasyprint_worker_main; _weasyprint_worker_main()"
)
# Frames on the worker's pipes: requests are two 8-byte lengths (static_dir, html) and the two
# texts; answers are one status byte (1 ok, 0 error), an 8-byte length and the PDF or message.
_LENGTH = struct.Struct(">Q")
_RENDERS_PER_WORKER = 200  # then a fresh process, so a slow leak cannot grow without bound


def _weasyprint_worker_main() -> None:
    """Worker entry point: render request after request until stdin closes."""
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    while True:
        sizes = requests.read(2 * _LENGTH.size)
        if len(sizes) < 2 * _LENGTH.size:
            return
        static_size, html_size = _LENGTH.unpack(sizes[:8])[0], _LENGTH.unpack(sizes[8:])[0]
        static_text = requests.read(static_size).decode("utf-8")
        html = requests.read(html_size).decode("utf-8")
        try:
            status, payload = b"\x01", _weasyprint_pdf(html, Path(static_text) if static_text else None)
        except Exception as error:  # the parent turns it into PdfRenderError
            status, payload = b"\x00", f"{type(error).__name__}: {error}".encode("utf-8", "replace")
        answers.write(status + _LENGTH.pack(len(payload)) + payload)
        answers.flush()


class _WeasyPrintWorker:
    """A long-lived child with WeasyPrint already imported, rendering one document at a time.

    Starting Python and importing WeasyPrint costs about half a second; paying it per render
    would dwarf the render itself. The child still runs in its own process group with a
    minimal environment, and a render that overruns its time is ended by killing the group.
    """

    def __init__(self):
        self.workdir = tempfile.mkdtemp(prefix="kp-pdf-")
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-c", _WEASYPRINT_WORKER_CODE, _PROJECT_ROOT],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            cwd=self.workdir, env=_minimal_environment(self.workdir), start_new_session=True, close_fds=True)
        self.renders = 0

    @property
    def reusable(self) -> bool:
        return self.process.returncode is None and self.process.poll() is None and self.renders < _RENDERS_PER_WORKER

    def render(self, html: str, static_dir: Path | None, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        static_text = b"" if static_dir is None else str(static_dir.resolve()).encode("utf-8")
        body = html.encode("utf-8")
        try:
            self.process.stdin.write(_LENGTH.pack(len(static_text)) + _LENGTH.pack(len(body)) + static_text + body)
            self.process.stdin.flush()
            status = self._read(1, deadline)
            payload = self._read(_LENGTH.unpack(self._read(_LENGTH.size, deadline))[0], deadline)
        except (BrokenPipeError, EOFError) as gone:
            self.close()
            raise PdfRenderError(f"WeasyPrint worker ended unexpectedly: {gone}") from None
        self.renders += 1
        if status != b"\x01":
            raise PdfRenderError(f"WeasyPrint failed: {payload.decode('utf-8', 'replace')[-500:]}")
        return payload

    def _read(self, size: int, deadline: float) -> bytes:
        chunks, stream = [], self.process.stdout
        while size:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([stream], [], [], remaining)[0]:
                self.close()
                raise PdfTimeout("WeasyPrint did not finish in time")
            chunk = os.read(stream.fileno(), min(size, 1 << 20))
            if not chunk:
                raise EOFError("no answer")
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        _kill_process_group(self.process)
        shutil.rmtree(self.workdir, ignore_errors=True)


_idle_workers: list[_WeasyPrintWorker] = []
_workers_lock = threading.Lock()


def _take_worker() -> _WeasyPrintWorker:
    with _workers_lock:
        while _idle_workers:
            worker = _idle_workers.pop()
            if worker.reusable:
                return worker
            worker.close()
    return _WeasyPrintWorker()


def _give_back(worker: _WeasyPrintWorker) -> None:
    if not worker.reusable:
        worker.close()
        return
    with _workers_lock:
        _idle_workers.append(worker)


def shutdown_workers() -> None:
    """End every idle WeasyPrint worker (at exit, and in tests that count processes)."""
    with _workers_lock:
        workers, _idle_workers[:] = list(_idle_workers), []
    for worker in workers:
        worker.close()


atexit.register(shutdown_workers)


def _render_weasyprint(html: str, *, static_dir: Path | None, timeout: float) -> bytes:
    if static_dir is not None and not static_dir.is_dir():
        raise PdfRenderError(f"static_dir is not a directory: {static_dir}")
    worker = _take_worker()
    try:
        return worker.render(html, static_dir, timeout)
    finally:
        _give_back(worker)


# --------------------------------------------------------------------------- wkhtmltopdf

# Blackhole proxy: nothing listens on the discard port, so every http(s) load fails locally.
DEAD_PROXY = "http://127.0.0.1:9"

# Random per process: injected HTML cannot guess it, so pdfkit finds no meta-tag options.
# Only [0-9a-z-]: pdfkit puts the prefix into a regular expression unescaped.
META_TAG_PREFIX = f"kp{secrets.token_hex(12)}-"

MINIMUM_WKHTMLTOPDF_VERSION = (0, 12, 6)

REQUIRED_WKHTMLTOPDF_FLAGS = {
    "--disable-local-file-access": None,
    "--disable-javascript": None,
    "--disable-plugins": None,
    "--proxy": DEAD_PROXY,
    "--proxy-hostname-lookup": None,  # hostnames go to the dead proxy too: no DNS lookups
    "--quiet": None,
    "--encoding": "utf-8",
}

PRINT_FLAGS = {
    "--page-size": "A4",
    "--orientation": "Portrait",
    "--margin-top": "15mm",
    "--margin-bottom": "15mm",
    "--margin-left": "15mm",
    "--margin-right": "15mm",
    # A blocked resource must not abort the document (it only means hostile input).
    "--load-error-handling": "ignore",
    "--load-media-error-handling": "ignore",
}

WKHTMLTOPDF_OPTIONS = {flag: "" if value is None else value
                       for flag, value in {**REQUIRED_WKHTMLTOPDF_FLAGS, **PRINT_FLAGS}.items()}

# flag -> number of values it takes. Anything not listed here is refused before running.
ALLOWED_WKHTMLTOPDF_FLAGS = {flag: 0 if value is None else 1
                             for flag, value in {**REQUIRED_WKHTMLTOPDF_FLAGS, **PRINT_FLAGS}.items()}

STDIN_TO_STDOUT = ["-", "-"]


def build_wkhtmltopdf_command(html: str, wkhtmltopdf_path: str | None = None) -> list[str]:
    """The argv pdfkit builds for ``html``, checked against the allow-list."""
    binary = wkhtmltopdf_path or _settings.wkhtmltopdf_path
    configuration = pdfkit.configuration(wkhtmltopdf=binary, meta_tag_prefix=META_TAG_PREFIX)
    argv = pdfkit.PDFKit(html, "string", options=WKHTMLTOPDF_OPTIONS, configuration=configuration).command()
    check_wkhtmltopdf_command(argv, binary)
    return argv


def check_wkhtmltopdf_command(argv: list[str], binary: str) -> None:
    """Raise PdfRenderError unless argv is exactly: binary, allowed flags, required flags, "- -"."""
    if argv[:1] != [binary] or argv[-2:] != STDIN_TO_STDOUT:
        raise PdfRenderError(f"unexpected wkhtmltopdf command shape: {argv!r}")
    flags = _parse_flags(argv[1:-2])
    wrong = {flag: value for flag, value in REQUIRED_WKHTMLTOPDF_FLAGS.items()
             if flag not in flags or flags[flag] != value}
    if wrong:
        raise PdfRenderError(f"wkhtmltopdf hardening flags missing or changed: {sorted(wrong)}")


def _parse_flags(tokens: list[str]) -> dict[str, str | None]:
    flags: dict[str, str | None] = {}
    remaining = list(tokens)
    while remaining:
        flag = remaining.pop(0)
        if flag not in ALLOWED_WKHTMLTOPDF_FLAGS or flag in flags:
            raise PdfRenderError(f"wkhtmltopdf argument not allowed here: {flag!r}")
        arity = ALLOWED_WKHTMLTOPDF_FLAGS[flag]
        values, remaining = remaining[:arity], remaining[arity:]
        if len(values) != arity or any(value.startswith("-") for value in values):
            raise PdfRenderError(f"wkhtmltopdf flag {flag} has a bad value: {values!r}")
        flags[flag] = values[0] if values else None
    return flags


_checked_versions: dict[str, tuple[int, ...]] = {}
_version_lock = threading.Lock()


def _ensure_supported_version(binary: str) -> None:
    """Check ``binary --version`` >= 0.12.6 the first time a path is used."""
    with _version_lock:
        if binary in _checked_versions:
            return
        returncode, stdout, stderr = _run_in_process_group([binary, "--version"], b"", timeout=10)
        match = re.search(rb"wkhtmltopdf (\d+)\.(\d+)\.(\d+)", stdout + stderr)
        version = tuple(int(part) for part in match.groups()) if match else None
        if version is None or version < MINIMUM_WKHTMLTOPDF_VERSION:
            raise PdfRenderError(f"{binary} is not wkhtmltopdf >= 0.12.6: {(stdout + stderr)[:200]!r}")
        _checked_versions[binary] = version


def _render_wkhtmltopdf(html: str, *, static_dir: Path | None, timeout: float) -> bytes:
    binary = _settings.wkhtmltopdf_path
    argv = build_wkhtmltopdf_command(html, binary)
    _ensure_supported_version(binary)
    returncode, pdf, stderr = _run_in_process_group(argv, html.encode("utf-8"), timeout=timeout)
    # wkhtmltopdf exits 1 after writing a complete PDF when a (blocked) resource failed.
    if pdf.startswith(b"%PDF-") and returncode in (0, 1):
        return pdf
    message = stderr.decode("utf-8", "replace").strip()[-500:]
    raise PdfRenderError(f"wkhtmltopdf exited with {returncode}: {message}")


def _run_in_process_group(argv: list[str], stdin: bytes, *, timeout: float) -> tuple[int, bytes, bytes]:
    """Run argv in a new process group; on timeout SIGKILL the whole group and reap the leader."""
    with tempfile.TemporaryDirectory(prefix="kp-pdf-") as workdir:
        process = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            cwd=workdir, env=_minimal_environment(workdir), start_new_session=True, close_fds=True)
        try:
            stdout, stderr = process.communicate(stdin, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise PdfTimeout(f"{Path(argv[0]).name} did not finish within {timeout:g} s") from None
        finally:
            _kill_process_group(process)
        return process.returncode, stdout, stderr


def _kill_process_group(process: subprocess.Popen) -> None:
    if process.returncode is None:
        # The unreaped leader keeps its pid, so the group id cannot have been reused yet.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def _minimal_environment(workdir: str) -> dict[str, str]:
    # No inherited proxy, credential or config variables; caches go to the throw-away dir.
    return {"PATH": "/usr/bin:/bin", "HOME": workdir, "XDG_RUNTIME_DIR": workdir,
            "TMPDIR": workdir, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}


# --------------------------------------------------------------------------- registry

ENGINES: dict[str, Callable[..., bytes]] = {
    "weasyprint": _render_weasyprint,
    "wkhtmltopdf": _render_wkhtmltopdf,
}
