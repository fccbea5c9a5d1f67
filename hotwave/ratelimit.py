"""A fixed-window request counter in the Django cache (Redis in production).

``hit(scope, who, rate)`` counts one request of ``who`` in the current window
and answers ``None`` (allowed) or the seconds until the window ends (refused).
The counter is ``cache.add`` (SET NX with the window's expiry) then
``cache.incr`` (INCRBY): atomic on Redis, shared by every worker process.

It fails open: if the cache is down the request is allowed and a warning is
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


def hit(scope: str, who: str, rate: Rate, *, now: float | None = None) -> int | None:
    """Count a request; ``None`` if allowed, else seconds until the window resets (≥ 1)."""
    from django.core.cache import cache  # here: settings.py imports parse_rate from this module

    now = time.time() if now is None else now
    window = int(now // rate.period)
    key = f"ratelimit:{scope}:{who}:{window}"
    # Expire a little after the window ends; the window number in the key makes
    # the next window a fresh counter even if clocks or expiry drift.
    try:
        cache.add(key, 0, timeout=rate.period + 5)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=rate.period + 5)
            count = 1
    except Exception:  # noqa: BLE001 - any cache failure: fail open, loudly
        logger.warning("rate limit %s: cache unavailable, request allowed", scope, exc_info=True)
        return None
    if count <= rate.count:
        return None
    return max(1, math.ceil((window + 1) * rate.period - now))
