"""Read-through caching for page reads that are expensive and shared.

A page must never fail because the cache is down (Redis unreachable): every
cache error is logged and the value is computed from the database instead.

Each value is stored with the tables its computation read (``hotwave.pagecache``), so a
cached page that shows it depends on them as if it had read them itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.cache import cache

from hotwave import pagecache

logger = logging.getLogger(__name__)


def get_or_compute[T](key: str, compute: Callable[[], T], timeout: int) -> T:
    """The cached value under ``key``, else ``compute()`` stored for ``timeout`` seconds."""
    try:
        value = cache.get(key)
    except Exception:  # noqa: BLE001 - any cache failure falls back to the database
        logger.warning("cache unavailable; computing %s directly", key, exc_info=True)
        return compute()
    if isinstance(value, pagecache.Tracked):
        pagecache.note_read(value.tables)
        return value.value
    if value is not None:  # stored before values carried their tables
        pagecache.note_unknown()
        return value
    with pagecache.track() as tracker:
        value = compute()
    if not tracker.wrote:
        try:
            cache.set(key, pagecache.Tracked(value, frozenset(tracker.tables)), timeout)
        except Exception:  # noqa: BLE001
            logger.warning("cache unavailable; %s not stored", key, exc_info=True)
    return value


def forget(key: str) -> None:
    """Drop ``key`` (a no-op when the cache is down)."""
    try:
        cache.delete(key)
    except Exception:  # noqa: BLE001
        logger.warning("cache unavailable; %s not dropped", key, exc_info=True)
