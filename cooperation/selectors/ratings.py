"""Reads of ratings (评价): a task's two ratings as its parties see them, a party's ratings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from cooperation.models import RATING_EDIT_WINDOW, RATING_WINDOW, Party, Rating, Task, TaskState
from cooperation.services.ratings import rating_window_open


@dataclass(frozen=True)
class TaskRatings:
    party: str | None  # the viewer's side
    mine: Rating | None
    theirs: Rating | None
    can_rate: bool
    can_edit: bool
    rate_by: datetime | None  # when the window closes

    @property
    def shown(self) -> bool:
        return self.party is not None and (
            self.mine is not None or self.theirs is not None or self.can_rate
        )


def task_ratings(*, task: Task, actor, now: datetime | None = None) -> TaskRatings:
    """Both ratings of ``task`` for one of its parties (one query)."""
    now = now or timezone.now()
    party = task.party_of(actor)
    if party is None:
        return TaskRatings(None, None, None, False, False, None)
    by_side = {r.rater_party: r for r in Rating.objects.filter(task=task)}
    other = Party.CREATOR if party == Party.MERCHANT else Party.MERCHANT
    mine, theirs = by_side.get(party), by_side.get(other)
    rate_by = None
    if task.state == TaskState.COMPLETED and task.completed_at is not None:
        rate_by = task.completed_at + RATING_WINDOW
    return TaskRatings(
        party=party,
        mine=mine,
        theirs=theirs,
        can_rate=mine is None and rating_window_open(task, now),
        can_edit=mine is not None and now < mine.created_at + RATING_EDIT_WINDOW,
        rate_by=rate_by,
    )


def ratings_of_creator(*, creator_id: int, limit: int = 10) -> QuerySet[Rating]:
    """Ratings merchants gave a creator, newest first, with the task's products for the category."""
    return (
        Rating.objects.filter(creator_id=creator_id, rater_party=Party.MERCHANT)
        .select_related("merchant")
        .prefetch_related("task__items__product__category")
        .order_by("-created_at", "-pk")[:limit]
    )


def ratings_of_merchant(*, merchant_id: int, limit: int = 10) -> QuerySet[Rating]:
    """Ratings creators gave a merchant, newest first."""
    return (
        Rating.objects.filter(merchant_id=merchant_id, rater_party=Party.CREATOR)
        .select_related("creator")
        .prefetch_related("task__items__product__category")
        .order_by("-created_at", "-pk")[:limit]
    )
