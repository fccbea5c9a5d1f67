"""Thin Celery tasks: send one outbox email, resume the outbox, queue yesterday's digests."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from notifications import services

# Bounded retries with a growing pause; after the last, the row is left pending
# and ``resume_outbox`` (every minute) tries it until MAX_ATTEMPTS.
RETRIES = 4


@shared_task(
    bind=True,
    name="notifications.deliver_email",
    acks_late=True,  # idempotent: the outbox row is claimed, then marked sent
    max_retries=RETRIES,
    soft_time_limit=60,
    time_limit=90,
)
def deliver_email(self, outbox_id: int) -> bool:
    try:
        return services.outbox_send(outbox_id=outbox_id)
    except services.SendFailed as exc:
        raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc


@shared_task(name="notifications.resume_outbox", soft_time_limit=240, time_limit=300)
def resume_outbox() -> int:
    return services.outbox_resume()


@shared_task(name="notifications.send_digests", soft_time_limit=600, time_limit=900)
def send_digests(day: str | None = None) -> int:
    """Queue the 每日摘要 of ``day`` (default: yesterday in Asia/Shanghai), then send."""
    from datetime import date

    target = date.fromisoformat(day) if day else timezone.localdate() - timedelta(days=1)
    queued = services.digests_queue(day=target)
    services.outbox_resume()
    return queued
