"""Celery tasks of settlement: thin wrappers around one service."""

from __future__ import annotations

from datetime import date, timedelta

from celery import shared_task
from django.utils import timezone

from settlement.services.settle import settle_through


# settle_through is idempotent, so redelivery is harmless: acknowledge only after
# the run, and requeue it when the process running it dies (SIGKILL, OOM).
@shared_task(acks_late=True, reject_on_worker_lost=True)
def settle_yesterday(business_date: str | None = None) -> str:
    """The nightly run (beat, 02:00 Asia/Shanghai): settle through yesterday, or a given day."""
    day = (
        date.fromisoformat(business_date)
        if business_date
        else timezone.localdate() - timedelta(days=1)
    )
    return str(settle_through(business_date=day))
