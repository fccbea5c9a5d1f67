"""Celery tasks of cooperation: thin wrappers that call one service each.

The services lock each task and re-check its state and deadline, so running a
job twice, or twice at once, changes nothing the second time (hence acks_late).
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from cooperation.services import clock, sales, scorecards
from cooperation.services import tasks as services


@shared_task(name="cooperation.tasks.cooperation_tick", acks_late=True, time_limit=240)
def cooperation_tick() -> int:
    """Every time-driven rule of cooperation (beat: every 5 minutes); returns how many changed."""
    return clock.cooperation_tick().changed


@shared_task(name="cooperation.tasks.expire_invitations", acks_late=True)
def expire_invitations() -> int:
    """Expire invitations unanswered for 72 h (part of the tick; kept for callers by name)."""
    return services.tasks_expire_due()


@shared_task(name="cooperation.tasks.autocomplete_tasks", acks_late=True)
def autocomplete_tasks() -> int:
    """Complete tasks whose live report is 7 days old (part of the tick; kept for callers)."""
    return services.tasks_autocomplete_due()


@shared_task(
    name="cooperation.tasks.recompute_scorecards",
    acks_late=True,
    soft_time_limit=540,
    time_limit=600,
)
def recompute_scorecards() -> int:
    """Every creator's and merchant's scorecard, set-based (beat: nightly at 03:30), the
    creators spread over ``SCORECARD_WORKERS`` connections of this worker."""
    done = scorecards.scorecards_recompute(workers=getattr(settings, "SCORECARD_WORKERS", 1))
    return done.creators + done.merchants


@shared_task(
    name="cooperation.tasks.refresh_scorecards", acks_late=True, soft_time_limit=50, time_limit=60
)
def refresh_scorecards(creator_id: int, merchant_id: int) -> int:
    """A task ended: recompute its two parties' scorecards (enqueued on commit)."""
    done = scorecards.scorecards_refresh_parties(creator_id=creator_id, merchant_id=merchant_id)
    return done.creators + done.merchants


@shared_task(
    name="cooperation.tasks.refresh_product_sales",
    acks_late=True,
    soft_time_limit=240,
    time_limit=280,
)
def refresh_product_sales() -> str:
    """Every product's 近 7 天订单 for the product square (beat: every 5 minutes); returns
    the moment counted."""
    return sales.refresh_product_sales().computed_at.isoformat()
