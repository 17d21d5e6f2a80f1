"""Prometheus metrics (prometheus-client): what an operator graphs and alerts on.

- `kundportalen_request_seconds` — latency per route (the endpoint's name, never the address,
  which may hold an id), method and status class;
- `kundportalen_pdf_render_seconds` — time to render a case's PDF, per engine;
- `kundportalen_logins_total` — BankID logins by outcome;
- `kundportalen_outbox_depth` / `kundportalen_outbox_oldest_seconds` — e-mails and webhooks
  (`channel`) waiting to be delivered and the age of the oldest, read from the database when
  scraped, so they are right whichever process (or instance) queued them.

Under gunicorn several worker processes answer: with `PROMETHEUS_MULTIPROC_DIR` set (gunicorn.conf.py
sets it) each process writes its samples to files there and a scrape sums them
(prometheus-client's multiprocess mode). `/metrics` answers a scraper on the host itself (a
loopback address, with no proxy's forwarding header) or one presenting `metrics_token` as a
Bearer token; everyone else gets 404.
"""
from __future__ import annotations

import hmac
import ipaddress
import os
import time
from contextlib import contextmanager

from flask import Response, abort, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

REQUEST_SECONDS = Histogram("kundportalen_request_seconds", "Svarstid per route", ["route", "method", "status"],
                            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
PDF_RENDER_SECONDS = Histogram("kundportalen_pdf_render_seconds", "Tid att skapa ett ärendes PDF", ["engine"],
                               buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 40))
LOGINS = Counter("kundportalen_logins_total", "BankID-inloggningar per utfall", ["outcome"])


@contextmanager
def timed_pdf(engine: str):
    started = time.perf_counter()
    try:
        yield
    finally:
        PDF_RENDER_SECONDS.labels(engine).observe(time.perf_counter() - started)


def count_login(outcome: str) -> None:
    LOGINS.labels(outcome).inc()


class OutboxCollector:
    """The outbox as the database holds it now, asked at scrape time, per channel."""

    def collect(self):
        from app.messaging.backlog import outbox_backlog

        depth = GaugeMetricFamily("kundportalen_outbox_depth", "Utkorgens rader som väntar på att levereras",
                                  labels=["channel"])
        age = GaugeMetricFamily("kundportalen_outbox_oldest_seconds", "Ålder på den äldsta väntande raden",
                                labels=["channel"])
        for channel, (waiting, oldest_seconds) in outbox_backlog().items():
            depth.add_metric([channel], waiting)
            age.add_metric([channel], oldest_seconds)
        yield depth
        yield age


def scrape_registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:  # one process: its own samples (the default registry's process metrics stay out)
        for collector in (REQUEST_SECONDS, PDF_RENDER_SECONDS, LOGINS):
            registry.register(collector)
    registry.register(OutboxCollector())
    return registry


def may_scrape(config) -> bool:
    token = config.get("METRICS_TOKEN") or ""
    offered = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
        return True
    if "X-Forwarded-For" in request.headers or "Forwarded" in request.headers:
        return False  # through a proxy on this host: loopback is the proxy, not the operator
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def init_app(app) -> None:
    @app.before_request
    def _start_clock():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response):
        started = g.get("metrics_started")
        if started is not None and request.endpoint != "metrics":
            REQUEST_SECONDS.labels(request.endpoint or "okänd", request.method,
                                   f"{response.status_code // 100}xx").observe(time.perf_counter() - started)
        return response

    @app.get("/metrics", endpoint="metrics")
    def metrics():
        if not may_scrape(app.config):
            abort(404)
        return Response(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)
