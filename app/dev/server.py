"""`flask --app app dev`: the whole development setup in one process — the portal (with the
BankID simulator mounted), a local SMTP sink that prints every e-mail, and the outbox worker
delivering to it every few seconds. What `make run` starts."""
from __future__ import annotations

import threading

import click
from flask import current_app
from werkzeug.serving import run_simple

from app.dev.smtp_sink import start_sink
from app.messaging.mailer import loop_once

WORKER_INTERVAL = 3.0


def start_worker(app, stop: threading.Event) -> threading.Thread:
    def run():
        while not stop.is_set():
            with app.app_context():
                loop_once(app)
            stop.wait(WORKER_INTERVAL)

    thread = threading.Thread(target=run, name="outbox-worker", daemon=True)
    thread.start()
    return thread


@click.command("dev")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
def dev_command(host: str, port: int) -> None:
    """Serve the portal with the e-mail sink and the outbox worker beside it."""
    app = current_app._get_current_object()
    sink = start_sink(int(app.config.get("MAIL_PORT", 1025)))
    stop = threading.Event()
    start_worker(app, stop)
    click.echo(f"Kundportalen: http://{host}:{port}/  (e-post skrivs ut här nedan)")
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        stop.set()
        sink.stop()


def init_app(app) -> None:
    app.cli.add_command(dev_command)
