"""A real SMTP server for the outbox tests: aiosmtpd's Controller on a free 127.0.0.1 port,
recording what it accepts, with a behaviour the test switches at any time:

  accept          250 for every mail
  451-then-250    the first DATA gets 451 (try again later), later ones are accepted
  550             every DATA is refused for good
  550-rcpt        every recipient is refused for good (smtplib's SMTPRecipientsRefused)
  hang            DATA is never answered until the test ends (or release() is called)
  slow            every DATA is accepted after SLOW_SECONDS (a server busy with other work)

stop() and start() keep the port, so a test can take the server down and bring it back.
"""
from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading

import pytest
from aiosmtpd.controller import Controller

HOST = "127.0.0.1"
SLOW_SECONDS = 0.06


def free_port() -> int:
    """A port nobody listens on now (aiosmtpd's Controller cannot bind port 0 and report it)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class SwitchableHandler:
    def __init__(self):
        self.mode = "accept"
        self.received: list[bytes] = []
        self.data_calls = 0
        self.released = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.mode == "550-rcpt":
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_calls += 1
        return await DATA_BEHAVIOURS[self.mode](self, envelope)

    async def accept(self, envelope):
        self.received.append(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"

    async def transient_once(self, envelope):
        if self.data_calls == 1:
            return "451 4.3.0 Try again later"
        return await self.accept(envelope)

    async def slowly(self, envelope):
        await asyncio.sleep(SLOW_SECONDS)
        return await self.accept(envelope)

    async def refuse(self, envelope):
        return "550 5.7.1 Message rejected"

    async def hang(self, envelope):
        # Sleep in small steps on the server's loop, so stopping the controller still works.
        while not self.released.is_set():
            await asyncio.sleep(0.05)
        return "451 4.3.0 Too late"  # the client gave up long ago; nothing is delivered


DATA_BEHAVIOURS = {
    "accept": SwitchableHandler.accept,
    "451-then-250": SwitchableHandler.transient_once,
    "550": SwitchableHandler.refuse,
    "550-rcpt": SwitchableHandler.accept,  # refused at RCPT already; DATA is never reached
    "hang": SwitchableHandler.hang,
    "slow": SwitchableHandler.slowly,
}


class SmtpServer:
    def __init__(self):
        self.host = HOST
        self.port = free_port()
        self.handler = SwitchableHandler()
        self.controller: Controller | None = None

    def start(self) -> None:
        # A stopped Controller has closed its event loop; a new one takes the same port.
        self.controller = Controller(self.handler, hostname=self.host, port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.handler.released.set()
            self.controller.stop()
            self.controller = None
            self.handler.released.clear()

    def set_mode(self, mode: str) -> None:
        assert mode in DATA_BEHAVIOURS, mode
        self.handler.mode = mode

    def release(self) -> None:
        self.handler.released.set()

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(raw, policy=email.policy.default) for raw in self.handler.received]


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()
