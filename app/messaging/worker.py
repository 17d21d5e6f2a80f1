"""The outbox worker, `flask outbox send [--loop]`: one process delivers every outbox channel,
the e-mails (app.messaging.mailer) and the webhooks (app.messaging.webhooks), each run after
the other. Any number of workers may run at once: app.messaging.outbox claims rows safely.
"""
from __future__ import annotations

import logging
import time

import click
from flask import current_app
from flask.cli import AppGroup

from app.messaging import mailer, webhooks
from app.messaging.outbox import BATCH_LIMIT, OUTCOMES

log = logging.getLogger(__name__)

# The channel's name in the worker's output, and its run (app, **options) -> counts per outcome.
CHANNELS = {
    "e-post": lambda app: mailer.deliver_due(app),
    "webhooks": lambda app: webhooks.deliver_due(app),
}

outbox_cli = AppGroup("outbox", help="Utkorgen: skicka väntande e-brev och webhooks.")


def summary(results: dict) -> str:
    return "; ".join(f"{channel}: " + ", ".join(f"{name} {counts[name]}" for name in OUTCOMES)
                     for channel, counts in results.items())


def run_channel(app, channel: str) -> dict:
    """One run of one channel: a failing run (database down, a bug) is logged by class name
    only, since exception texts may carry personal data, and the other channels still run."""
    try:
        return CHANNELS[channel](app)
    except Exception as exc:
        log.error("Utkorgen (%s): körningen avbröts (%s)", channel, type(exc).__name__)
        return dict.fromkeys(OUTCOMES, 0)


def loop_once(app) -> dict:
    """One run of every channel; counts per channel."""
    return {channel: run_channel(app, channel) for channel in CHANNELS}


def busy(results: dict) -> bool:
    """A full batch on any channel means more may be waiting: go on at once."""
    return any(sum(counts.values()) >= BATCH_LIMIT for counts in results.values())


@outbox_cli.command("send")
@click.option("--loop", "keep_going", is_flag=True, help="Fortsätt tills du avbryter (Ctrl-C).")
@click.option("--interval", type=click.FloatRange(min=0.1), default=10.0, show_default=True,
              help="Sekunder mellan körningar med --loop.")
def send_command(keep_going: bool, interval: float) -> None:
    """Skicka de e-brev och webhooks i utkorgen som står på tur."""
    app = current_app._get_current_object()
    if not keep_going:
        click.echo(summary({channel: CHANNELS[channel](app) for channel in CHANNELS}))
        return
    click.echo(f"Utkorgen skickas var {interval:g}:e sekund; avsluta med Ctrl-C.")
    while True:
        results = loop_once(app)
        if any(any(counts.values()) for counts in results.values()):
            click.echo(summary(results))
        if not busy(results):
            time.sleep(interval)


def init_app(app) -> None:
    mailer.init_app(app)
    webhooks.init_app(app)
    app.cli.add_command(outbox_cli)
