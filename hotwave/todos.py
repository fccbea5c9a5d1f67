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

After a change that moves someone's to-dos (a task accepted, a sample
shipped, a binding proposed), the app that made it calls
:func:`changed` with the affected user ids. The workbench registers a
listener (:func:`on_change`) that recounts those users after the
transaction commits; with no listener registered the call does nothing, so
lower apps can call it freely and never import the workbench.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.utils.functional import Promise

logger = logging.getLogger(__name__)


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
_LISTENERS: list[Callable[[list[int]], None]] = []


def register(source: TodoSource) -> TodoSource:
    """Declare a source (idempotent per key, so module reloads are harmless)."""
    _REGISTRY[source.key] = source
    return source


def unregister(key: str) -> None:
    """Remove a source (tests that register a fake source clean up with this)."""
    _REGISTRY.pop(key, None)


def autodiscover() -> None:
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("todos")


def sources(role: str | None = None) -> list[TodoSource]:
    autodiscover()
    found = [s for s in _REGISTRY.values() if role is None or role in s.roles]
    return sorted(found, key=lambda s: (s.order, s.key))


def on_change(listener: Callable[[list[int]], None]) -> Callable[[list[int]], None]:
    """Register ``listener(user_ids)``, called by :func:`changed` (the workbench does this)."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


def changed(user_ids: Iterable[int | None]) -> None:
    """Tell the workbench these users' to-dos may have moved; safe inside a transaction.

    Listeners defer their work to ``transaction.on_commit``; a failing listener is
    logged and never breaks the caller's write (the scheduled full recount catches up).
    """
    ids = sorted({int(uid) for uid in user_ids if uid is not None})
    if not ids:
        return
    for listener in list(_LISTENERS):
        try:
            listener(ids)
        except Exception:  # noqa: BLE001 - a to-do recount must never undo a business write
            logger.exception("to-do change listener %r failed for %s", listener, ids)
