"""How far behind the outbox is, per channel (e-mail, webhooks): the rows not yet delivered and
the age of the oldest, for the operator's metrics and alerts (a growing depth or age means the
worker is down or a receiver refuses)."""
from __future__ import annotations

from datetime import datetime

from peewee import fn

from app.platform.models import OutboxMail, OutboxWebhook, utcnow

CHANNELS = {"e-post": OutboxMail, "webhook": OutboxWebhook}
WAITING = ("pending", "sending")


def backlog_of(table) -> tuple[int, float]:
    """(rows waiting, seconds since the oldest of them was queued; 0 when none waits)."""
    depth, oldest = (table.select(fn.COUNT(table.id), fn.MIN(table.created_at))
                     .where(table.status.in_(WAITING)).scalar(as_tuple=True))
    if not depth or oldest is None:
        return 0, 0.0
    if isinstance(oldest, str):  # SQLite hands an aggregate's datetime back as text
        oldest = datetime.fromisoformat(oldest)
    return depth, max(0.0, (utcnow() - oldest.replace(tzinfo=None)).total_seconds())


def outbox_backlog() -> dict[str, tuple[int, float]]:
    return {channel: backlog_of(table) for channel, table in CHANNELS.items()}
