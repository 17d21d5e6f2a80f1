"""gunicorn's settings for the portal in production (`make serve`, deploy/kundportalen.service).

Each setting can be changed by an environment variable of the same name in upper case with
the prefix PORTAL_GUNICORN_ (e.g. PORTAL_GUNICORN_WORKERS=4), so one file serves every host.
"""
import ctypes
import os
import signal
import sys
import tempfile
from pathlib import Path


def setting(name: str, default: str) -> str:
    return os.environ.get(f"PORTAL_GUNICORN_{name.upper()}", default)


def command_line_bind(arguments: list[str]) -> str | None:
    """The first -b/--bind given on gunicorn's command line, which overrides `bind` below: the
    instance's state folder must follow it, or two instances started by hand with -b would
    share one pid file and control socket, and the second would refuse to start."""
    for position, argument in enumerate(arguments):
        if argument in ("-b", "--bind") and position + 1 < len(arguments):
            return arguments[position + 1]
        if argument.startswith("--bind="):
            return argument.split("=", 1)[1]
        if argument.startswith("-b") and not argument.startswith("--") and len(argument) > 2:
            return argument[2:]
    return None


bind = setting("bind", "127.0.0.1:8000")
listening = command_line_bind(sys.argv[1:]) or bind
# Sync workers: a request is a few milliseconds of Python and one database transaction; two per
# core keep both busy while one waits on PostgreSQL or a PDF.
workers = int(setting("workers", str(2 * (os.cpu_count() or 1))))
worker_class = "sync"
timeout = int(setting("timeout", "60"))  # above pdf_timeout (20 s), below a proxy's usual 60-120 s
graceful_timeout = 20
# A worker is replaced now and then, so a slow leak never grows unbounded. Not every 2 000
# requests: at several hundred requests/s that restarted each worker every few seconds, and each
# restart costs a fork, a fresh import of the app, new pooled connections and cold caches (the
# kept form drawings, prepared statements). 20 000 is every minute or so at full load; the jitter
# keeps the two workers from being replaced at the same moment.
max_requests = int(setting("max_requests", "20000"))
max_requests_jitter = int(setting("max_requests_jitter", "2000"))
wsgi_app = "app:create_app()"
accesslog = None  # the portal writes its own access lines (route names, no addresses with ids)
errorlog = "-"

# Each instance its own state folder: two instances on one host must not share gunicorn's
# control socket (the default is one per user) nor the metrics files.
instance = setting("instance", listening.replace(":", "-").replace("/", "_"))
state_dir = Path(setting("state_dir", str(Path(tempfile.gettempdir()) / f"kundportalen-{instance}")))
state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
control_socket = str(state_dir / "gunicorn.ctl")
pidfile = str(state_dir / "gunicorn.pid")

# prometheus-client's multiprocess mode: every worker writes its samples here, /metrics sums
# them. Emptied at start so a restarted instance does not report its predecessor's counts.
metrics_dir = state_dir / "metrics"
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(metrics_dir))


def on_starting(server):
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()


PR_SET_PDEATHSIG = 1


def post_fork(server, worker):
    """A worker whose master is killed (kill -9) must not go on serving unsupervised: Linux
    sends it SIGTERM when the master dies."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:  # not Linux: gunicorn's own check of the parent's pid remains
        pass


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
