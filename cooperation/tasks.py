"""Celery tasks of cooperation: thin wrappers that call one service each.

The services lock each task and re-check its state and deadline, so running a
job twice, or twice at once, changes nothing the second time (hence acks_late).
"""

from __future__ import annotations

from celery import shared_task

from cooperation.services import clock
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
