"""The to-do registry (SPEC §5 待办事项).

Each app declares its own sources in ``<app>/todos.py`` by calling
:func:`register`; the workbench discovers those modules (``autodiscover``),
computes counts with Celery and caches them. Lower apps never import the
workbench: they only import this module.

A source must give:

* ``count_all()`` — ONE set-based query returning ``{user_id: count}`` for
  every user with a non-zero count (no loop over users);
* ``count_for(user)`` — a bounded query (one or two) for one user;
* ``url(user)`` — the page filtered to exactly the counted items, so the
  number on the workbench equals the number of items on that page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.functional import Promise


@dataclass(frozen=True)
class TodoSource:
    key: str  # stable id, "<app>.<what>", used as cache key part
    roles: tuple[str, ...]  # roles this source applies to
    title: Promise | str  # lazy-translated label shown on the workbench
    url: Callable[..., str]  # url(user) -> link to the filtered page
    count_all: Callable[[], dict[int, int]]
    count_for: Callable[..., int]  # count_for(user) -> int
    order: int = 100
    description: Promise | str = field(default="")


_REGISTRY: dict[str, TodoSource] = {}


def register(source: TodoSource) -> TodoSource:
    """Declare a source (idempotent per key, so module reloads are harmless)."""
    _REGISTRY[source.key] = source
    return source


def autodiscover() -> None:
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("todos")


def sources(role: str | None = None) -> list[TodoSource]:
    autodiscover()
    found = [s for s in _REGISTRY.values() if role is None or role in s.roles]
    return sorted(found, key=lambda s: (s.order, s.key))
