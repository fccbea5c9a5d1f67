"""A fixed-window request counter shared by every process of the site.

``hit(scope, who, rate)`` counts one request of ``who`` in the current window
and answers ``None`` (allowed) or the seconds until the window ends (refused).

Where the count lives decides whether the limit holds across processes (gunicorn
workers, several hosts), so it is never a process's own memory:

* with a shared cache (Redis: ``REDIS_URL``), ``cache.add`` (SET NX with the
  window's expiry) then ``cache.incr`` (INCRBY), atomic on Redis;
* otherwise (the embedded default, a local-memory cache per process) the
  database: one atomic ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` per
  request into ``hotwave.RateCounter`` (PostgreSQL and SQLite alike); windows
  that ended are deleted as new ones start.

It fails open: if the store is down the request is allowed and a warning is
logged. The endpoints it guards must keep working without Redis (issue #8,
item 6); a limit that disappears for the minutes Redis is away is the lesser
harm than refusing every sender.
"""

from __future__ import annotations

import logging
import math
import re
import time
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")


@dataclass(frozen=True)
class Rate:
    count: int
    period: int  # seconds


def parse_rate(value: str) -> Rate | None:
    """``"600/m"`` → 600 per 60 s; ``"100/5m"`` → 100 per 300 s; ``""`` → no limit.

    Raises ImproperlyConfigured for anything else.
    """
    if not value or not value.strip():
        return None
    match = _RATE.match(value)
    if not match or int(match[1]) < 1:
        raise ImproperlyConfigured(
            f"rate {value!r} is not N/s, N/m, N/h or N/d (or N/<k>m: per k minutes), N ≥ 1"
        )
    return Rate(int(match[1]), int(match[2] or 1) * _UNITS[match[3]])


_PROCESS_LOCAL = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


def counts_in_database() -> bool:
    """Whether the counters live in the database (the cache is not shared by processes)."""
    from django.conf import settings

    return settings.CACHES["default"]["BACKEND"] in _PROCESS_LOCAL


_UPSERT = """
INSERT INTO hotwave_ratecounter (key, count, expires_at) VALUES (%s, 1, %s)
ON CONFLICT (key) DO UPDATE SET count = hotwave_ratecounter.count + 1
RETURNING count
"""


def _count_in_database(key: str, expires_at: float, now: float) -> int:
    from django.db import OperationalError, connection, transaction

    for attempt in range(50):
        try:
            # A savepoint when called inside a transaction: a failure must not break it.
            with transaction.atomic(), connection.cursor() as cursor:
                # One statement: atomic on both databases, whatever other processes do.
                cursor.execute(_UPSERT, [key, expires_at])
                (count,) = cursor.fetchone()
                if count == 1:  # a new window began: forget the ones that ended
                    cursor.execute("DELETE FROM hotwave_ratecounter WHERE expires_at < %s", [now])
            return count
        except OperationalError as exc:
            # SQLite's shared-cache table lock (an in-memory database shared by threads)
            # fails at once instead of waiting like the busy timeout: wait and retry.
            if connection.vendor != "sqlite" or "locked" not in str(exc) or attempt == 49:
                raise
            time.sleep(0.01)
    raise AssertionError("unreachable")


def _count_in_cache(key: str, timeout: int) -> int:
    from django.core.cache import cache  # here: settings.py imports parse_rate from this module

    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1


def _window(scope: str, who: str, rate: Rate, now: float) -> tuple[int, str]:
    window = int(now // rate.period)
    return window, f"ratelimit:{scope}:{who}:{window}"[:250]


def spent(scope: str, who: str, rate: Rate, *, now: float | None = None) -> int | None:
    """Without counting: ``None`` if ``who`` may go on, else seconds until the window resets.

    For limits counted on outcomes (failed logins): check first, ``hit`` on failure.
    """
    now = time.time() if now is None else now
    window, key = _window(scope, who, rate, now)
    try:
        if counts_in_database():
            from hotwave.models import RateCounter

            count = RateCounter.objects.filter(key=key).values_list("count", flat=True).first() or 0
        else:
            from django.core.cache import cache

            count = cache.get(key) or 0
    except Exception:  # noqa: BLE001 - fail open, as hit() does
        logger.warning("rate limit %s: store unavailable, request allowed", scope, exc_info=True)
        return None
    if count < rate.count:
        return None
    return max(1, math.ceil((window + 1) * rate.period - now))


def hit(scope: str, who: str, rate: Rate, *, now: float | None = None) -> int | None:
    """Count a request; ``None`` if allowed, else seconds until the window resets (≥ 1)."""
    now = time.time() if now is None else now
    window, key = _window(scope, who, rate, now)
    # Expire a little after the window ends; the window number in the key makes
    # the next window a fresh counter even if clocks or expiry drift.
    in_database = counts_in_database()
    try:
        if in_database:
            count = _count_in_database(key, (window + 1) * rate.period + 5, now)
        else:
            count = _count_in_cache(key, rate.period + 5)
    except Exception:  # noqa: BLE001 - any store failure: fail open, loudly
        store = "database" if in_database else "cache"
        logger.warning(
            "rate limit %s: %s unavailable, request allowed", scope, store, exc_info=True
        )
        return None
    if count <= rate.count:
        return None
    return max(1, math.ceil((window + 1) * rate.period - now))
