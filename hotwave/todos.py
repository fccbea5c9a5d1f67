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

Fast paths (optional, used by the workbench when present; the counts are the same):

* ``count_expr(role)`` — the source's count for the ``User`` row at
  ``OuterRef("pk")`` as one SQL expression (usually :func:`count_of`). The
  workbench annotates every such source of a role onto ONE statement, compiled
  once per process and run with the user's id (:func:`counts_for`).
* :class:`TodoBatch` — one set-based statement (``GROUP BY`` user with
  ``Count(filter=...)``) counting one or more sources for everyone, ordered by
  user id and streamed; :func:`stream_all` merges the batches (and the plain
  ``count_all`` of sources without one) user by user, so memory stays flat
  however many users there are.
"""

from __future__ import annotations

import datetime
import heapq
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from typing import Any

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
    # count_expr(role) -> SQL expression: the count for the User row at OuterRef("pk").
    # Pure SQL only (Now(), not timezone.now()): the statement is compiled once per process.
    count_expr: Callable[[str], Any] | None = None


@dataclass(frozen=True)
class TodoBatch:
    """One statement counting ``source_keys`` for every user at once.

    ``rows()`` yields ``(user_id, {source_key: n})`` in ascending user id, streamed
    (``.iterator()``); users with only zero counts may be left out or yielded with zeros.
    """

    key: str
    source_keys: tuple[str, ...]
    rows: Callable[[], Iterable[tuple[int, dict[str, int]]]]


_REGISTRY: dict[str, TodoSource] = {}
_BATCHES: dict[str, TodoBatch] = {}
_LISTENERS: list[Callable[[list[int]], None]] = []


def register(source: TodoSource) -> TodoSource:
    """Declare a source (idempotent per key, so module reloads are harmless)."""
    _REGISTRY[source.key] = source
    return source


def unregister(key: str) -> None:
    """Remove a source (tests that register a fake source clean up with this)."""
    _REGISTRY.pop(key, None)


def register_batch(batch: TodoBatch) -> TodoBatch:
    """Declare a set-based statement for several sources (idempotent per key)."""
    _BATCHES[batch.key] = batch
    return batch


_DISCOVERED = False


def autodiscover() -> None:
    """Import every app's ``todos`` module, once per process (re-importing does nothing but
    costs ~0.5 ms per call on the per-user recount path)."""
    global _DISCOVERED
    if _DISCOVERED:
        return
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("todos")
    _DISCOVERED = True


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


# --- Fast paths ------------------------------------------------------------------

STREAM_CHUNK = 2_000


def count_of(qs):
    """``SELECT COUNT(*)`` of ``qs`` as a scalar subquery (always one row), for ``count_expr``."""
    from django.db.models import Func, IntegerField, Subquery

    counted = qs.order_by().annotate(_todo_n=Func(template="COUNT(*)", output_field=IntegerField()))
    return Subquery(counted.values("_todo_n"), output_field=IntegerField())


def _sorted_rows(source: TodoSource) -> Iterator[tuple[int, dict[str, int]]]:
    for user_id, n in sorted(source.count_all().items()):
        yield user_id, {source.key: n}


def stream_all() -> Iterator[tuple[int, dict[str, int]]]:
    """Every user with a non-zero to-do and their non-zero counts, in ascending user id.

    One statement per batch (and one ``count_all`` per source no batch covers), merged
    user by user: memory is bounded by the cursors' chunks, not by the number of users
    (only ``count_all`` dicts of sources without a batch are held whole).
    """
    active = {s.key: s for s in sources()}
    covered: set[str] = set()
    streams: list[Iterable[tuple[int, dict[str, int]]]] = []
    for batch in _BATCHES.values():
        keys = set(batch.source_keys)
        if keys <= active.keys() and not keys & covered:
            covered |= keys
            streams.append(batch.rows())
    for source in active.values():
        if source.key not in covered:
            streams.append(_sorted_rows(source))
    merged = heapq.merge(*streams, key=itemgetter(0))
    for user_id, group in groupby(merged, key=itemgetter(0)):
        counts: dict[str, int] = {}
        for _uid, part in group:
            for key, n in part.items():
                if n:
                    counts[key] = int(n)
        if counts:
            yield int(user_id), counts


# Compiled per-role statements: (db alias, vendor, role, sources) -> (sql, params, user slot,
# the sources themselves: kept referenced so their ids in the key are never reused).
_STATEMENTS: dict[tuple, tuple[str, tuple, int, tuple]] = {}
_USER_SENTINEL = -2_147_000_001  # stands for the user id while compiling (fits int32)


def _role_statement(user, fast: list[TodoSource], using: str) -> tuple[str, list]:
    from django.contrib.auth import get_user_model
    from django.db import connections
    from django.db.models.functions import Coalesce

    vendor = connections[using].vendor
    key = (using, vendor, user.role, tuple((s.key, id(s)) for s in fast))
    cached = _STATEMENTS.get(key)
    if cached is None:

        def compile_once() -> tuple[str, list]:
            qs = (
                get_user_model()
                ._default_manager.using(using)
                .filter(pk=_USER_SENTINEL)
                .annotate(
                    **{
                        f"todo_{i}": Coalesce(s.count_expr(user.role), 0)
                        for i, s in enumerate(fast)
                    }
                )
                .values_list(*[f"todo_{i}" for i in range(len(fast))])
            )
            return qs.query.get_compiler(using=using).as_sql()

        sql, params = compile_once()
        slots = [i for i, p in enumerate(params) if p == _USER_SENTINEL]
        if len(slots) != 1:
            raise RuntimeError(f"to-do statement for {user.role} binds the user {len(slots)}×")
        cached = (sql, tuple(params), slots[0], tuple(fast))
        # A value computed in Python at build time (timezone.now(), a date) would freeze
        # at the first call: reuse the statement only if a second build is identical.
        frozen = any(isinstance(p, datetime.date | datetime.time) for p in params)
        if not frozen and compile_once() == (sql, params):
            _STATEMENTS[key] = cached
    sql, params, slot, _fast = cached
    bound = list(params)
    bound[slot] = user.pk
    return sql, bound


def counts_for(user) -> dict[str, int]:
    """One user's counts for every source of its role: ONE statement for the sources
    with a ``count_expr`` (compiled once, then only executed), ``count_for`` for the rest."""
    from django.contrib.auth import get_user_model
    from django.db import connections, router

    role_sources = sources(user.role)
    fast = [s for s in role_sources if s.count_expr is not None]
    counts: dict[str, int] = {}
    if fast:
        # request.user is a SimpleLazyObject: the model comes from the settings, not type().
        using = router.db_for_read(get_user_model())
        sql, params = _role_statement(user, fast, using)
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        values = row if row is not None else (0,) * len(fast)
        counts.update({s.key: int(n or 0) for s, n in zip(fast, values, strict=True)})
    for source in role_sources:
        if source.count_expr is None:
            counts[source.key] = int(source.count_for(user))
    return {s.key: counts[s.key] for s in role_sources}
