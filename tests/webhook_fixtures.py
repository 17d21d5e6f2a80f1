"""A real webhook receiver for the tests: an HTTP server on a loopback port, in a thread, that
verifies every delivery's signature with the standardwebhooks library and deduplicates by
webhook-id as the Standard Webhooks spec asks receivers to. Tests script its answers."""
from __future__ import annotations

import json
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


@dataclass
class Delivery:
    path: str
    headers: dict
    body: bytes
    verified: bool

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def payload(self) -> dict:
        return json.loads(self.body)


@dataclass
class Answer:
    status: int = 204
    headers: dict = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering


class WebhookReceiver:
    def __init__(self):
        self.secret: str | None = None
        self.deliveries: list[Delivery] = []
        self.processed: dict[str, dict] = {}  # webhook-id -> payload, the receiver's dedupe store
        self.answers: list[Answer] = []        # answered in turn; then `default`
        self.default = Answer()
        self.on_receive = None                 # called with each Delivery before the answer
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler_class())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def url(self) -> str:
        return f"{self.origin}/hooks/kundportalen?kanal=test"

    def serve_tls(self, cert, key, host: str = "localhost") -> None:
        """Answer https on the same port with this certificate; called before start()."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert), str(key))
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.origin = f"https://{host}:{self.server.server_address[1]}"

    def verified(self, body: bytes, headers: dict) -> bool:
        try:
            Webhook(self.secret).verify(body, headers)
            return True
        except WebhookVerificationError:
            return False

    def receive(self, path: str, headers: dict, body: bytes) -> Answer:
        delivery = Delivery(path, headers, body, self.verified(body, headers))
        with self.lock:
            self.deliveries.append(delivery)
            if delivery.verified:
                self.processed.setdefault(delivery.webhook_id, delivery.payload)
            answer = self.answers.pop(0) if self.answers else self.default
        if self.on_receive is not None:
            self.on_receive(delivery)
        time.sleep(answer.delay)
        return answer

    def handler_class(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {name.lower(): value for name, value in self.headers.items()}
                answer = receiver.receive(self.path, headers, body)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST  # noqa: N815 - a followed redirect would arrive here

            def log_message(self, *args):
                pass

        return Handler

    def start(self):
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook_receiver():
    receiver = WebhookReceiver()
    receiver.start()
    yield receiver
    receiver.stop()
