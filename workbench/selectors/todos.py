"""待办事项: a user's to-do board, read from the cache the workbench's services fill.

The counts get into the cache through ``workbench.services``: the recount of
every user every 5 minutes, one user's recount after a change, and the live
count of a page that found nothing fresh (``services.todos_board``). This
module owns the cache's layout and reads it; it never writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.utils import timezone

from hotwave import pagecache, todos

# Entries older than this are not trusted (two beat periods plus slack).
TODO_MAX_AGE = 12 * 60
# Cache entries live a little longer than they are trusted, then vanish.
TODO_TTL = TODO_MAX_AGE + 3 * 60
GEN_KEY = "wb:todos:gen"


def gen_user_key(gen: str, user_id: int) -> str:
    return f"wb:todos:g{gen}:{user_id}"


def user_key(user_id: int) -> str:
    return f"wb:todos:u:{user_id}"


# The versions of these values for the page cache (hotwave.pagecache.note_value): every
# user's counts of a recount, one user's counts.
COUNTS_VERSION = "wb:todos"


def counts_version_of(user_id: int) -> str:
    return f"wb:todos:{user_id}"


@dataclass(frozen=True)
class TodoItem:
    key: str
    title: str
    description: str
    count: int
    url: str


@dataclass(frozen=True)
class TodoBoard:
    items: list[TodoItem]
    computed_at: datetime
    # "cache": from the Celery-computed cache; "live": computed for this request
    # (cache down, cold or too old).
    source: str
    cache_error: bool = False

    @property
    def total(self) -> int:
        return sum(i.count for i in self.items)


def cached_counts(user_id: int) -> tuple[dict[str, int], datetime] | None:
    """The freshest trusted cache entry for a user, or None (cold or too old).

    Raises the cache backend's error when the cache is down.
    """
    pagecache.note_value(COUNTS_VERSION, counts_version_of(user_id))
    found = cache.get_many([GEN_KEY, user_key(user_id)])
    candidates: list[tuple[datetime, dict[str, int]]] = []
    gen = found.get(GEN_KEY)
    if gen:
        counts = cache.get(gen_user_key(gen["gen"], user_id)) or {}
        candidates.append((datetime.fromisoformat(gen["at"]), counts))
    mine = found.get(user_key(user_id))
    if mine:
        candidates.append((datetime.fromisoformat(mine["at"]), mine["counts"]))
    if not candidates:
        return None
    at, counts = max(candidates, key=lambda c: c[0])
    if (timezone.now() - at).total_seconds() > TODO_MAX_AGE:
        return None
    return counts, at


def role_counts(role: str, counts: dict) -> dict[str, int]:
    """``counts`` for exactly the role's sources (0 where missing)."""
    return {s.key: int(counts.get(s.key, 0)) for s in todos.sources(role)}


def todo_board(
    user, counts: dict, *, computed_at: datetime, source: str, cache_error: bool = False
) -> TodoBoard:
    """The board of the user's role's sources with these counts (no queries)."""
    counts = role_counts(user.role, counts)
    items = [
        TodoItem(
            key=s.key,
            title=str(s.title),
            description=str(s.description),
            count=counts[s.key],
            url=s.url(user),
        )
        for s in todos.sources(user.role)
    ]
    return TodoBoard(items=items, computed_at=computed_at, source=source, cache_error=cache_error)
