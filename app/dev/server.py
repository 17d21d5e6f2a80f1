"""`flask --app app dev`: the whole development setup in one process — the portal (with the
BankID simulator mounted), a local SMTP sink that prints every e-mail, and the outbox worker
delivering to it every few seconds. What `make run` starts (`make run PORT=5123 SMTP_PORT=2525`).

An empty `public_base_url` or `bankid_url` (config.toml's development values) follows the
address this command serves, so another port needs no other setting; explicit values are kept."""
from __future__ import annotations

import threading

import click
from flask import current_app
from werkzeug.serving import run_simple

from app.dev.simulator_mount import MOUNT_POINT
from app.dev.smtp_sink import start_sink
from app.messaging.worker import loop_once

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


def follow_served_address(config, base_url: str) -> None:
    """Fill the addresses left empty from the one being served: e-mail links, and the BankID
    client's calls to the simulator mounted on this same server."""
    config["PUBLIC_BASE_URL"] = config.get("PUBLIC_BASE_URL") or base_url
    if config.get("BANKID_SIMULATOR") and not config.get("BANKID_URL"):
        config["BANKID_URL"] = f"{base_url}{MOUNT_POINT}/rp/v6.0/"


@click.command("dev")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--smtp-port", default=None, type=click.IntRange(1, 65535),
              help="The e-mail sink's port (default: mail_port in the configuration).")
def dev_command(host: str, port: int, smtp_port: int | None) -> None:
    """Serve the portal with the e-mail sink and the outbox worker beside it."""
    app = current_app._get_current_object()
    follow_served_address(app.config, f"http://{host}:{port}")
    if smtp_port is not None:
        app.config["MAIL_PORT"] = smtp_port  # the worker reads it on every run
    sink = start_sink(int(app.config.get("MAIL_PORT", 1025)))
    stop = threading.Event()
    start_worker(app, stop)
    click.echo(f"Kundportalen: http://{host}:{port}/  (e-post till 127.0.0.1:{app.config['MAIL_PORT']} skrivs ut här nedan)")
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        stop.set()
        sink.stop()


def init_app(app) -> None:
    app.cli.add_command(dev_command)
