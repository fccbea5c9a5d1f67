"""Workbench Celery tasks: to-do recounts (thin; the work is in workbench.services)."""

from __future__ import annotations

from celery import shared_task

from workbench import services


@shared_task(name="workbench.tasks.recount_all_todos", acks_late=True, ignore_result=True)
def recount_all_todos() -> dict:
    """Beat, every 5 minutes: the set-based counts (one statement per batch of sources,
    streamed user by user) into a new cache generation.

    Idempotent (a rerun writes a newer generation), hence ``acks_late``.
    """
    return services.todos_recount_all()


@shared_task(name="workbench.tasks.recount_user_todos", acks_late=True, ignore_result=True)
def recount_user_todos(user_id: int) -> None:
    """After a change: one user's counts (one statement for its role) into the cache.
    Idempotent."""
    services.todos_recount_user(user_id=user_id)
