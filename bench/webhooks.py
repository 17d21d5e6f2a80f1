"""Webhook deliveries per second against the mail outbox, same run, same database.

`python -m bench.webhooks [N]` (default 1 000 events; SQLite in a temporary folder, or
PORTAL_BENCH_DATABASE_URL for PostgreSQL) queues N e-mails and N webhook events, then drains
each outbox with the real worker: the mails to a local SMTP server (aiosmtpd), the webhooks —
signed, address-checked, one fresh connection each — to a local HTTP receiver. Prints
deliveries per second, the webhook/mail ratio, the same with two workers at once, and the cost
of writing an event inside the case's transaction (emit against queue_mail).
"""
from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from app import create_app
from app.messaging import mailer, notifications, webhooks
from app.platform.extensions import db
from app.platform.models import OutboxMail, OutboxWebhook, WebhookSubscription


class CountingReceiver(BaseHTTPRequestHandler):
    received = 0
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with self.lock:
            CountingReceiver.received += 1
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class CountingSink:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def drained(deliver, app, workers: int) -> float:
    """Seconds for `workers` threads running the worker until nothing is due."""
    def work():
        while sum(deliver(app, limit=200).values()):
            pass

    threads = [threading.Thread(target=work) for _ in range(workers)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


def queue_both(count: int) -> tuple[float, float]:
    """Queue `count` mails and `count` events, one transaction each as the case services do;
    returns seconds per mail and per event."""
    start = time.perf_counter()
    for number in range(count):
        with db.atomic():
            notifications.queue_mail("kund@example.se", f"Ärende 2026-{number:05d}", "Hej!\n")
    mails = time.perf_counter() - start
    start = time.perf_counter()
    for number in range(count):
        with db.atomic():
            webhooks.emit("case.filed", {"case_number": f"2026-{number:05d}", "case_type": "ovrigt",
                                         "status": "Inskickat"})
    return mails / count, (time.perf_counter() - start) / count


def clear() -> None:
    OutboxMail.delete().execute()
    OutboxWebhook.delete().execute()


def main(count: int) -> None:
    folder = tempfile.mkdtemp()
    url = os.environ.get("PORTAL_BENCH_DATABASE_URL") or f"sqlite:///{folder}/bench.db"
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), CountingReceiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    sink = Controller(CountingSink(), hostname="127.0.0.1", port=free_port())
    sink.start()
    app = create_app({"env": "testing", "secret_key": "bench-" + "x" * 32, "database_url": url,
                      "mail_server": "127.0.0.1", "mail_port": sink.port,
                      "webhook_allowed_networks": ["127.0.0.0/8"]})
    try:
        with app.app_context(), db.connection_context():
            clear()
            WebhookSubscription.delete().execute()
            WebhookSubscription.create(url=f"http://127.0.0.1:{receiver.server_address[1]}/hook",
                                       events=list(webhooks.EVENT_TYPES), secret=webhooks.new_secret())
            print(f"{count} e-brev och {count} webhook-händelser, {url.split(':')[0]}")
            per_mail, per_event = queue_both(count)
            print(f"skriva i händelsens transaktion: e-brev {per_mail * 1e3:.2f} ms, "
                  f"webhook {per_event * 1e3:.2f} ms (kvot {per_event / per_mail:.2f})")
        for workers in (1, 2):
            if workers == 2:
                with app.app_context(), db.connection_context():
                    clear()
                    queue_both(count)
            mail_seconds = drained(mailer.deliver_due, app, workers)
            hook_seconds = drained(webhooks.deliver_due, app, workers)
            print(f"{workers} arbetare: e-post {count / mail_seconds:.0f}/s, webhooks {count / hook_seconds:.0f}/s "
                  f"(kvot webhooks/e-post {mail_seconds / hook_seconds:.2f})")
        print(f"mottagaren räknade {CountingReceiver.received} leveranser (väntat {2 * count})")
    finally:
        sink.stop()
        receiver.shutdown()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
