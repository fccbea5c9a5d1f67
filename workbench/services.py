"""Workbench writes: to-do counts into the cache.

How to-do counts flow (SPEC §5 待办事项):

* Every 5 minutes Celery beat runs ``workbench.tasks.recount_all_todos``:
  one set-based statement per batch of sources (``GROUP BY`` user, ordered,
  streamed; a source without a batch runs its ``count_all()``), merged user
  by user (``hotwave.todos.stream_all``) and written to the cache in chunks
  under a new *generation* — memory stays flat however many users — then
  the generation pointer moves (readers see either the whole old or the
  whole new generation). Users with no to-dos get no entry: within a known
  generation, "no entry" means zero.
* After a change, the app that made it calls ``hotwave.todos.changed(ids)``;
  the listener registered here enqueues ``recount_user_todos`` on commit,
  which writes that one user's entry (with its own time): one query for the
  user, ONE precompiled statement for all its role's counts
  (``hotwave.todos.counts_for``).
* The page (:func:`todos_board`) takes the fresher of the two
  (``workbench.selectors.todos``, which also owns the cache's layout), and when
  the cache is down, cold or older than ``TODO_MAX_AGE`` computes the user's
  counts directly and stores them — never failing the page.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from hotwave import pagecache, todos
from workbench.selectors.todos import (
    COUNTS_VERSION,
    GEN_KEY,
    TODO_MAX_AGE,  # noqa: F401 - the cache's layout, importable from here too
    TODO_TTL,
    TodoBoard,
    cached_counts,
    counts_version_of,
    gen_user_key,
    role_counts,
    todo_board,
    user_key,
)

logger = logging.getLogger(__name__)

SET_MANY_BATCH = 2_000


def todos_recount_all() -> dict:
    """Recount every source for all users (one statement per batch of sources, streamed)
    into a new cache generation.

    Returns a summary ``{"generation", "users", "sources", "seconds"}``. Raises the
    cache backend's error if the cache is down (the task logs and retries next period).
    """
    started = time.monotonic()
    at = timezone.now()
    gen = f"{at.timestamp():.6f}"
    users = 0
    chunk: dict[str, dict[str, int]] = {}

    def flush() -> None:
        # Entries outlive their pointer, so a live pointer never points at expired entries.
        cache.set_many(chunk, timeout=TODO_TTL + 10 * 60)
        chunk.clear()

    for user_id, counts in todos.stream_all():
        chunk[gen_user_key(gen, user_id)] = counts
        users += 1
        if len(chunk) >= SET_MANY_BATCH:
            flush()
    if chunk:
        flush()
    # Move the pointer last: a reader never sees a half-written generation.
    cache.set(GEN_KEY, {"gen": gen, "at": at.isoformat()}, timeout=TODO_TTL)
    pagecache.bump([COUNTS_VERSION])  # cached pages showing counts are computed again
    return {
        "generation": gen,
        "users": users,
        "sources": len(todos.sources()),
        "seconds": round(time.monotonic() - started, 3),
    }


def todos_compute_user(user) -> dict[str, int]:
    """One user's counts, straight from the database: one precompiled statement for the
    role's sources (``hotwave.todos.counts_for``), the same numbers as each ``count_for``."""
    return todos.counts_for(user)


def todos_store_user(*, user_id: int, counts: dict[str, int], at: datetime) -> None:
    """Write one user's counts (with the time computed) to the cache."""
    cache.set(user_key(user_id), {"at": at.isoformat(), "counts": counts}, timeout=TODO_TTL)
    pagecache.bump([counts_version_of(user_id)])


def todos_board(user) -> TodoBoard:
    """The user's 待办事项: the cached counts when fresh, otherwise counted now (one
    statement for the role) and stored for the next page.

    Never raises because of the cache: a dead Redis means "compute directly", and the
    board says so (``cache_error``).
    """
    cache_error = False
    try:
        cached = cached_counts(user.pk)
    except Exception:  # noqa: BLE001 - any cache failure falls back to the database
        logger.warning(
            "to-do cache unavailable; computing user %s directly", user.pk, exc_info=True
        )
        cached, cache_error = None, True
    if cached is not None:
        counts, at = cached
        return todo_board(user, counts, computed_at=at, source="cache")
    at = timezone.now()
    counts = role_counts(user.role, todos_compute_user(user))
    if not cache_error:
        try:
            todos_store_user(user_id=user.pk, counts=counts, at=at)
        except Exception:  # noqa: BLE001
            cache_error = True
    return todo_board(user, counts, computed_at=at, source="live", cache_error=cache_error)


def todos_recount_user(*, user_id: int) -> dict[str, int] | None:
    """Recount one user into the cache; None if the user no longer exists."""
    from admission.models import User

    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return None
    at = timezone.now()
    counts = todos_compute_user(user)
    todos_store_user(user_id=user_id, counts=counts, at=at)
    return counts


def todos_recount_user_later(user_id: int) -> None:
    """Enqueue a recount of one user after the current transaction commits."""
    from workbench.tasks import recount_user_todos

    recount_user_todos.delay_on_commit(user_id)


def _on_todos_changed(user_ids: list[int]) -> None:
    # Registered with hotwave.todos.on_change in WorkbenchConfig.ready(): lower
    # apps call hotwave.todos.changed(ids) without importing the workbench.
    def enqueue() -> None:
        from workbench.tasks import recount_user_todos

        for uid in user_ids:
            try:
                recount_user_todos.delay(uid)
            except Exception:  # noqa: BLE001 - broker down: the scheduled recount catches up
                logger.warning("could not enqueue to-do recount for user %s", uid, exc_info=True)

    transaction.on_commit(enqueue)


# --- Starter content ------------------------------------------------------------


@transaction.atomic
def help_seed_starter() -> int:
    """Create the missing starter help categories and articles (by slug); returns how many
    articles were created. Never overwrites an operator's edits."""
    from django.apps import apps

    from workbench.starter_content import create_starter_help

    return create_starter_help(apps)


@transaction.atomic
def cases_seed_starter() -> int:
    """Create the missing starter success cases (published, with figures); returns how many."""
    from workbench.models import CaseFigure, SuccessCase
    from workbench.starter_content import SUCCESS_CASES

    created = 0
    for data in SUCCESS_CASES:
        fields = {k: v for k, v in data.items() if k not in ("slug", "figures")}
        case, made = SuccessCase.objects.get_or_create(
            slug=data["slug"], defaults={**fields, "published": True}
        )
        if made:
            CaseFigure.objects.bulk_create(
                CaseFigure(case=case, label_zh=zh, label_en=en, value=value, position=i)
                for i, (zh, en, value) in enumerate(data["figures"])
            )
            created += 1
    return created
