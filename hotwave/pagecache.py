"""Exact page cache: a signed-in user's GET page is answered again, without running its
view, for as long as nothing the page read has changed — and for at most a minute.

How it stays exact
------------------
* **Writes move versions.** Every statement sent through Django's connections passes
  :func:`_observe` (an execute wrapper put on each new connection). A write — anything
  but ``SELECT``, ``SAVEPOINT`` and the like — names the tables it touches; once its
  transaction has committed (at once in autocommit), each of those tables' *version*,
  a counter in the shared cache, moves on. The writes that go around Django's cursor
  (psycopg ``COPY`` in ``settlement.services``) call :func:`wrote` themselves; a value
  other code keeps in the cache for pages to show (the workbench's to-do counts) has a
  version of its own, moved by :func:`bump` after it is written and read by
  :func:`note_value` before it is read.
* **A page remembers what it read.** While a :func:`cached_page` view runs, every table
  its statements read is recorded, and so are the tables behind any ``readcache`` value
  it used (stored with the value). The page is stored with the versions those tables had
  *before* its first statement, and served again only while all of them still have them.
  A version moves after its commit, so a page computed from a snapshot without that
  commit was stored under the version before it.
* **Every other input is in the key:** the database, the user and every field of their
  row but ``last_login``, language, time zone, host and scheme, the full path with its
  query, the htmx headers, and the current minute — so whatever a page derives from the
  clock (``3 分钟前``, ``剩余 5 小时``) is at most a minute old, and no entry outlives
  its minute.
* **Never stored:** anything but a 200 HTML response; a response setting cookies; a page
  that wrote, showed a flash message or used a cached value of unknown origin; a request
  on a connection with uncommitted writes (it would show them) — such requests are not
  even looked up.
* The CSRF token is rendered as a placeholder and replaced, on every answer, with this
  request's own token, exactly as the page would have rendered it.
* A cache error never fails a page: it is computed as if there were no cache, and a
  write whose version could not be moved is shown stale for at most that minute.

``PAGE_CACHE`` (settings, default on) turns it off; it is only ever on with a cache all
processes share (Redis): the demo, on local memory, computes every page.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache, caches
from django.db import connections
from django.http import HttpResponse
from django.utils import timezone, translation

logger = logging.getLogger(__name__)


_READ_HEADS = (
    "SELECT",
    "SAVEPOINT",
    "RELEASE",
    "ROLLBACK",
    "SET ",
    "SHOW",
    "EXPLAIN",
    "BEGIN",
    "COMMIT",
    "PRAGMA",
    "VALUES",
    "DECLARE",  # a server-side cursor (iterator()): DECLARE … CURSOR FOR SELECT …
    "FETCH",
    "CLOSE",
)
_WRITE_WORDS = re.compile(r"\b(?:INSERT|UPDATE|DELETE|MERGE|TRUNCATE)\b", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HTML = "text/html"
_local = threading.local()


@dataclass(eq=False)
class _Tracker:
    tables: set[str] = field(default_factory=set)
    values: dict[str, object] = field(default_factory=dict)  # cached values: their versions
    wrote: bool = False
    unknown: bool = False  # used something whose inputs it cannot name


@dataclass(frozen=True)
class Tracked:
    """A value kept in the cache with the tables it was computed from (``readcache``)."""

    value: object
    tables: frozenset[str]


class _Pending:
    """The tables a transaction wrote; registered with ``on_commit`` to move their versions."""

    def __init__(self) -> None:
        self.tables: set[str] = set()

    def __call__(self) -> None:
        bump(self.tables)


# --- which tables a statement names -----------------------------------------------------


@functools.cache
def _known_tables() -> frozenset[str]:
    from django.apps import apps

    return frozenset(m._meta.db_table for m in apps.get_models(include_auto_created=True))


@functools.lru_cache(maxsize=4096)  # a page's statements repeat (their values are parameters)
def tables_in(sql: str) -> frozenset[str]:
    """The model tables ``sql`` names (quoted or not)."""
    return _known_tables().intersection(_WORD.findall(sql))


def is_read(sql: str) -> bool:
    head = sql[:24].lstrip()[:9].upper()
    if head.startswith(_READ_HEADS):
        return True
    if head.startswith("WITH"):
        return _WRITE_WORDS.search(sql) is None
    return False


def _trackers() -> list[_Tracker]:
    stack = getattr(_local, "trackers", None)
    if stack is None:
        stack = _local.trackers = []
    return stack


def _observe(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    if is_read(sql):
        stack = _trackers()
        if stack:
            found = tables_in(sql)
            for tracker in stack:
                tracker.tables |= found
    else:
        wrote(tables_in(sql), using=context["connection"].alias)
    return result


def install(sender=None, connection=None, **kwargs) -> None:
    """``connection_created`` receiver: observe every statement of ``connection``.

    First in the list (the outermost wrapper): Django's ``execute_wrapper()`` context
    pops the *last* one on exit, which must stay the caller's own.
    """
    if connection is not None and _observe not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, _observe)


# --- writes: versions move after the commit ---------------------------------------------


def wrote(tables: Iterable[str], *, using: str = "default") -> None:
    """``tables`` were written on connection ``using``: their versions move when it commits."""
    tables = set(tables)
    if not tables:
        return
    for tracker in _trackers():
        tracker.wrote = True
    if not _shared_cache():  # no page is cached, so no version is read
        return
    conn = connections[using]
    if not conn.in_atomic_block:
        bump(tables)
        return
    pending = getattr(conn, "_hw_pending", None)
    if pending is None or not _registered(conn, pending):
        pending = conn._hw_pending = _Pending()
        conn.on_commit(pending, robust=True)  # another hook's failure must not skip it
    pending.tables |= tables


def _registered(conn, pending: _Pending) -> bool:
    # A rolled-back transaction (or savepoint) takes its callbacks, and so its writes, along.
    return any(func is pending for _, func, _ in conn.run_on_commit)


def pending_writes(using: str = "default") -> bool:
    """Whether ``using`` holds uncommitted writes (a page computed now would show them)."""
    conn = connections[using]
    pending = getattr(conn, "_hw_pending", None)
    return bool(conn.in_atomic_block and pending is not None and _registered(conn, pending))


def _vkey(table: str) -> str:
    return f"pcv:{_db_identity()}:{table}"


@functools.cache
def _db_identity() -> str:
    db = settings.DATABASES["default"]
    return hashlib.sha256(
        f"{db.get('ENGINE')}|{db.get('HOST')}|{db.get('PORT')}|{db.get('NAME')}".encode()
    ).hexdigest()[:16]


def _shared_cache() -> bool:
    """Whether the cache is one all processes share (Redis): the only one pages are kept in."""
    from django.core.cache.backends.redis import RedisCache

    return isinstance(caches["default"], RedisCache)  # ``cache`` is a proxy to it


def _redis_client():
    return caches["default"]._cache.get_client(write=True)


@functools.cache
def _all_version_keys() -> tuple[tuple[str, str], ...]:
    return tuple((t, _vkey(t)) for t in sorted(_known_tables()))


BUMP_PAUSE_SECONDS = 5
_bump_paused_until = [0.0]


def bump(tables: Iterable[str]) -> None:
    """Move the versions of ``tables`` (a new version starts at the clock, never at 1:
    a version lost to eviction must not come back to a value an old page was stored with)."""
    keys = [_vkey(t) for t in set(tables)]
    if not keys or time.monotonic() < _bump_paused_until[0] or not _shared_cache():
        return
    try:
        pipe = _redis_client().pipeline(transaction=False)
        for key in keys:
            raw = cache.make_and_validate_key(key)
            pipe.set(raw, time.time_ns(), nx=True)
            pipe.incr(raw)
        pipe.execute()
    except Exception:  # noqa: BLE001 - a write never fails for the cache; pages stale ≤ 1 min
        # Not again for a few seconds: each try waits for the socket's timeout, and no page
        # is stored or served while the cache is down (an entry outlives no minute).
        _bump_paused_until[0] = time.monotonic() + BUMP_PAUSE_SECONDS
        logger.warning("cache unavailable; versions of %s not moved", sorted(tables), exc_info=True)


# --- reads: what a computation used ------------------------------------------------------


@contextmanager
def track() -> Iterator[_Tracker]:
    """Record the tables read (and whether anything was written) inside the block."""
    tracker = _Tracker()
    stack = _trackers()
    stack.append(tracker)
    try:
        yield tracker
    finally:
        stack.remove(tracker)


def note_read(tables: Iterable[str]) -> None:
    """The computation in progress used values derived from ``tables``."""
    for tracker in _trackers():
        tracker.tables.update(tables)


def note_value(*names: str) -> None:
    """The computation in progress is about to read the cached values ``names`` (each one's
    writer calls ``bump(names)`` after writing it): their versions are read first, so a page
    showing an older value is never stored under a newer version."""
    stack = _trackers()
    if not stack:
        return
    found = cache.get_many([_vkey(n) for n in names])  # a cache error: the caller's to handle
    for tracker in stack:
        for name in names:
            tracker.values.setdefault(name, found.get(_vkey(name)))


def note_unknown() -> None:
    """The computation in progress used a value whose tables are not known: not stored."""
    for tracker in _trackers():
        tracker.unknown = True


# --- the page cache ---------------------------------------------------------------------


def _enabled() -> bool:
    # Only with a cache every process shares: a version moved in one process's local
    # memory would leave another's pages stale (the demo, on local memory, goes without).
    return (
        getattr(settings, "PAGE_CACHE", True)
        and not getattr(_local, "off", False)
        and _shared_cache()
    )


@contextmanager
def disabled() -> Iterator[None]:
    """Compute pages inside the block without the cache (the bench's query counts)."""
    before = getattr(_local, "off", False)
    _local.off = True
    try:
        yield
    finally:
        _local.off = before


def _minute() -> int:
    return int(time.time() // 60)


@functools.cache
def csrf_placeholder() -> str:
    # Not guessable, so no text a user writes can be taken for it.
    return "hwcsrf" + hashlib.sha256(f"csrf|{settings.SECRET_KEY}".encode()).hexdigest()


def csrf(request) -> dict:
    """Context processor: the placeholder for ``{% csrf_token %}`` while a page is cached."""
    if getattr(request, "_hw_page_csrf", False):
        return {"csrf_token": csrf_placeholder()}
    return {}


def _page_key(request, minute: int) -> str:
    user = request.user
    row = tuple(
        getattr(user, f.attname) for f in user._meta.concrete_fields if f.attname != "last_login"
    )
    htmx = tuple(sorted((k, v) for k, v in request.headers.items() if k.lower().startswith("hx-")))
    parts = (
        _db_identity(),
        user.pk,
        row,
        translation.get_language(),
        timezone.get_current_timezone_name(),
        request.scheme,
        request.get_host(),
        request.get_full_path(),
        htmx,
    )
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    return f"pc:{minute}:{digest}"


def _messages_waiting(request) -> bool:
    storage = getattr(request, "_messages", None)
    return storage is not None and bool(storage._queued_messages or storage._loaded_messages)


def _lookup(key: str):
    entry = cache.get(key)
    if entry is None:
        return None
    tables, versions, headers, body = entry
    keys = [_vkey(t) for t in tables]
    current = cache.get_many(keys)
    if tuple(current.get(k) for k in keys) != versions:
        return None
    return headers, body


def _answer(request, headers, body: bytes) -> HttpResponse:
    response = HttpResponse(_with_token(request, body))
    for name, value in headers:
        response[name] = value
    return response


def _with_token(request, body: bytes) -> bytes:
    marker = csrf_placeholder().encode()
    if marker in body:
        from django.middleware.csrf import get_token

        body = body.replace(marker, get_token(request).encode())
    return body


def cached_page(view):
    """Serve ``view``'s page from the cache while nothing it read has changed (module doc)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if (
            request.method != "GET"
            or not request.user.is_authenticated
            or not _enabled()
            or pending_writes()
            or _messages_waiting(request)
        ):
            return view(request, *args, **kwargs)
        key = _page_key(request, _minute())
        try:
            hit = _lookup(key)
            if hit is not None:
                return _answer(request, *hit)
            every = _all_version_keys()
            found = cache.get_many([k for _, k in every])
            before = {t: found.get(k) for t, k in every}
        except Exception:  # noqa: BLE001 - the page is computed as without a cache
            logger.warning("cache unavailable; page computed directly", exc_info=True)
            return view(request, *args, **kwargs)
        request._hw_page_csrf = True
        try:
            with track() as tracker:
                response = view(request, *args, **kwargs)
                if hasattr(response, "render") and not response.is_rendered:
                    response.render()
        finally:
            request._hw_page_csrf = False
        if isinstance(response, HttpResponse) and not response.streaming:
            body = response.content
            if _storable(request, response, tracker):
                seen = {t: before.get(t) for t in tracker.tables} | tracker.values
                tables = tuple(sorted(seen))
                versions = tuple(seen[t] for t in tables)
                headers = [(k, v) for k, v in response.items() if k.lower() != "content-length"]
                try:
                    cache.set(key, (tables, versions, headers, body), 61 - int(time.time() % 60))
                except Exception:  # noqa: BLE001
                    logger.warning("cache unavailable; page not stored", exc_info=True)
            response.content = _with_token(request, body)
        return response

    return wrapper


def _storable(request, response: HttpResponse, tracker: _Tracker) -> bool:
    storage = getattr(request, "_messages", None)
    return (
        response.status_code == 200
        and response.get("Content-Type", "").startswith(_HTML)
        and not response.cookies
        and not tracker.wrote
        and not tracker.unknown
        and not pending_writes()
        and not (storage is not None and storage._queued_messages)
    )
