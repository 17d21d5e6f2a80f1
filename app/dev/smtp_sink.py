"""The development SMTP sink: an aiosmtpd server on 127.0.0.1 that prints every e-mail it
receives (headers and the plain-text part) instead of delivering it. `flask outbox sink` runs
it alone; `flask dev` starts it beside the portal."""
from __future__ import annotations

import email
import email.policy
import threading

import click
from aiosmtpd.controller import Controller

from app.messaging.worker import outbox_cli


class PrintingHandler:
    """aiosmtpd handler of the development sink: each mail's headers and text to stdout."""

    async def handle_DATA(self, server, session, envelope):
        click.echo(format_received(envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"


def format_received(raw: bytes) -> str:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    headers = "\n".join(f"{name}: {value}" for name, value in message.items())
    part = message.get_body(preferencelist=("plain",))
    body = part.get_content() if part is not None else "(ingen textdel)"
    return f"{'-' * 72}\n{headers}\n\n{body}\n{'-' * 72}"


def start_sink(port: int) -> Controller:
    controller = Controller(PrintingHandler(), hostname="127.0.0.1", port=port)
    controller.start()
    return controller


@click.command("sink")
@click.option("--port", type=click.IntRange(1, 65535), default=1025, show_default=True)
def sink_command(port: int) -> None:
    """Ta emot e-post på 127.0.0.1 och skriv ut den (för utveckling, `make run`)."""
    controller = start_sink(port)
    click.echo(f"E-postsänkan lyssnar på 127.0.0.1:{port}; avsluta med Ctrl-C.")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


def init_app(app) -> None:
    # `outbox` is one module-level click group; the sink joins it only in a process that
    # imports app.dev, which production never does.
    outbox_cli.add_command(sink_command)
