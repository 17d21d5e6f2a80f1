"""How far behind the outbox is: the mails not yet sent and the age of the oldest, for the
operator's metrics and alerts (a growing depth or age means the worker is down or the SMTP
server refuses)."""
from __future__ import annotations

from datetime import datetime

from peewee import fn

from app.platform.models import OutboxMail, utcnow

WAITING = ("pending", "sending")


def outbox_backlog() -> tuple[int, float]:
    """(mails waiting, seconds since the oldest of them was queued; 0 when none waits)."""
    depth, oldest = (OutboxMail.select(fn.COUNT(OutboxMail.id), fn.MIN(OutboxMail.created_at))
                     .where(OutboxMail.status.in_(WAITING)).scalar(as_tuple=True))
    if not depth or oldest is None:
        return 0, 0.0
    if isinstance(oldest, str):  # SQLite hands an aggregate's datetime back as text
        oldest = datetime.fromisoformat(oldest)
    return depth, max(0.0, (utcnow() - oldest.replace(tzinfo=None)).total_seconds())
