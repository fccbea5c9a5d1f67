"""Celery tasks of cooperation: thin wrappers that call one service each.

Both services lock each task and re-check its state and deadline, so running a
job twice, or twice at once, changes nothing the second time (hence acks_late).
"""

from __future__ import annotations

from celery import shared_task

from cooperation.services import tasks as services


@shared_task(name="cooperation.tasks.expire_invitations", acks_late=True)
def expire_invitations() -> int:
    """Expire invitations unanswered for 72 h (beat: every 10 minutes)."""
    return services.tasks_expire_due()


@shared_task(name="cooperation.tasks.autocomplete_tasks", acks_late=True)
def autocomplete_tasks() -> int:
    """Complete tasks whose live report is 7 days old and unconfirmed (beat: every 10 minutes)."""
    return services.tasks_autocomplete_due()
