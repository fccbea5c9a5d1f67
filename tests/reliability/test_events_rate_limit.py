"""The events endpoint is rate limited per client (issue #8, item 11).

``POST /api/events/`` counts every request of a client IP (behind ``PROXY_COUNT``
trusted proxies) in a fixed window in the cache; over ``HOTWAVE_EVENTS_RATE``
it answers 429 with a JSON error and ``Retry-After``, reads nothing and stores
nothing. With the cache down it fails open (logged) so events keep flowing.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import time
import types
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from hotwave import ratelimit
from hotwave.ratelimit import Rate, hit, parse_rate
from settlement.api import sign
from settlement.models import Order, OrderEvent
from tests.settlement.factories import confirmed, paid

pytestmark = pytest.mark.django_db
URL = "/api/events/"
T = "2026-10-05T20:15:00+08:00"
DEAD = "redis://127.0.0.1:1/0"


def post(client: Client, body: bytes, *, signed: bool = True, **extra):
    headers = {"HTTP_X_HOTWAVE_SIGNATURE": sign(body)} if signed else {}
    return client.post(URL, data=body, content_type="application/json", **headers, **extra)


def order_body(merchant, creator, order_id: str) -> bytes:
    return json.dumps(
        [
            paid(order_id, merchant, creator, "100.00", "0.20", T),
            confirmed(order_id, "2026-10-06T10:00:00+08:00"),
        ]
    ).encode()


@pytest.fixture
def clock(monkeypatch):
    """A settable clock for the limiter's windows (only hotwave.ratelimit sees it)."""
    now = {"t": 1_800_000_000.0}  # a window boundary for 60 s and 1 s windows
    monkeypatch.setattr(ratelimit, "time", types.SimpleNamespace(time=lambda: now["t"]))
    return now


def test_the_limit_triggers_with_a_json_429_and_retry_after(settings, merchant, creator, clock):
    settings.HOTWAVE_EVENTS_RATE = "3/m"
    c = Client(REMOTE_ADDR="203.0.113.7")
    clock["t"] += 15  # 15 s into the minute
    for i in range(3):
        r = post(c, order_body(merchant, creator, f"RL{i}"))
        assert r.status_code == 200, r.content
        assert r.json()["accepted"] == 2
    orders, events = Order.objects.count(), OrderEvent.objects.count()
    assert (orders, events) == (3, 6)

    refused = post(c, order_body(merchant, creator, "RL-over"))
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/json"
    assert refused["Retry-After"] == "45"
    assert refused.json() == {
        "error": "rate_limited",
        "message": "over 3 requests per 60 s; retry in 45 s",
    }
    # Nothing stored for the refused request.
    assert (Order.objects.count(), OrderEvent.objects.count()) == (orders, events)
    assert not Order.objects.filter(order_id="RL-over").exists()


def test_unsigned_and_oversized_requests_count_too(settings, merchant, creator, clock):
    """Guessing signatures or flooding big bodies spends the same budget."""
    settings.HOTWAVE_EVENTS_RATE = "2/m"
    settings.HOTWAVE_EVENTS_MAX_BYTES = 10
    c = Client(REMOTE_ADDR="203.0.113.7")
    assert post(c, b"[]", signed=False).status_code == 401
    assert post(c, b"[" + b" " * 20 + b"]").status_code == 413
    assert post(c, b"[]").status_code == 429


def test_the_window_resets(settings, merchant, creator, clock):
    settings.HOTWAVE_EVENTS_RATE = "2/m"
    c = Client(REMOTE_ADDR="203.0.113.7")
    assert [post(c, b"[]").status_code for _ in range(3)] == [200, 200, 429]
    clock["t"] += 59.5
    refused = post(c, b"[]")
    assert refused.status_code == 429 and refused["Retry-After"] == "1"
    clock["t"] += 0.5  # the next minute
    assert post(c, order_body(merchant, creator, "RL-next")).status_code == 200
    assert Order.objects.filter(order_id="RL-next").exists()
    assert post(c, b"[]").status_code == 200
    assert post(c, b"[]").status_code == 429


def test_each_client_has_its_own_budget(settings, clock):
    settings.HOTWAVE_EVENTS_RATE = "1/m"
    a, b = Client(REMOTE_ADDR="203.0.113.7"), Client(REMOTE_ADDR="198.51.100.9")
    assert post(a, b"[]").status_code == 200
    assert post(a, b"[]").status_code == 429
    assert post(b, b"[]").status_code == 200


def test_behind_a_proxy_the_budget_is_the_real_clients(settings, clock):
    """Two senders behind one proxy are two clients; a forged header buys nothing."""
    settings.HOTWAVE_EVENTS_RATE = "1/m"
    settings.PROXY_COUNT = 1
    proxy = "10.0.0.2"
    c = Client(REMOTE_ADDR=proxy)
    assert post(c, b"[]", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 200
    assert post(c, b"[]", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    # The same sender forging an extra left-most entry is still 203.0.113.7 to the proxy.
    forged = post(c, b"[]", HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.7")
    assert forged.status_code == 429
    assert post(c, b"[]", HTTP_X_FORWARDED_FOR="198.51.100.9").status_code == 200


def test_without_a_proxy_the_forwarded_header_is_ignored(settings, clock):
    settings.HOTWAVE_EVENTS_RATE = "1/m"
    settings.PROXY_COUNT = 0
    c = Client(REMOTE_ADDR="203.0.113.7")
    assert post(c, b"[]", HTTP_X_FORWARDED_FOR="192.0.2.1").status_code == 200
    assert post(c, b"[]", HTTP_X_FORWARDED_FOR="192.0.2.2").status_code == 429


def test_an_empty_rate_means_no_limit(settings):
    settings.HOTWAVE_EVENTS_RATE = ""
    c = Client()
    assert {post(c, b"[]").status_code for _ in range(20)} == {200}


def test_the_production_default_is_600_a_minute():
    from hotwave import settings as production

    assert parse_rate(production.HOTWAVE_EVENTS_RATE) == Rate(600, 60)


@pytest.mark.parametrize(
    ("value", "rate"),
    [("600/m", Rate(600, 60)), ("10/s", Rate(10, 1)), ("100/5m", Rate(100, 300)),
     (" 5 / h ", Rate(5, 3600)), ("1/d", Rate(1, 86400)), ("", None)],
)  # fmt: skip
def test_rates_parse(value, rate):
    assert parse_rate(value) == rate


@pytest.mark.parametrize("value", ["600", "0/m", "-1/m", "10/w", "ten/m", "1.5/m", "600/m/x"])
def test_bad_rates_are_refused(value):
    with pytest.raises(ImproperlyConfigured):
        parse_rate(value)


def test_a_bad_rate_stops_the_start_with_one_line():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=Path(__file__).resolve().parents[2],
        env={"PATH": "/usr/bin:/bin", "DEBUG": "1", "HOTWAVE_EVENTS_RATE": "lots"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip().startswith(
        "hotwave: configuration error: HOTWAVE_EVENTS_RATE: rate 'lots' is not"
    )
    assert "Traceback" not in result.stderr


@pytest.fixture
def cache_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DEAD,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


def test_with_the_cache_down_events_still_flow_and_a_warning_is_logged(
    settings, cache_down, merchant, creator, caplog
):
    settings.HOTWAVE_EVENTS_RATE = "2/m"
    c = Client(REMOTE_ADDR="203.0.113.7")
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="hotwave.ratelimit"):
        answers = [post(c, order_body(merchant, creator, f"DOWN{i}")).status_code for i in range(4)]
    elapsed = time.monotonic() - started
    assert answers == [200] * 4  # over the limit, but the limit can't be counted: fail open
    assert Order.objects.filter(order_id__startswith="DOWN").count() == 4
    assert OrderEvent.objects.filter(order__order_id__startswith="DOWN").count() == 8
    warnings = [r for r in caplog.records if "cache unavailable" in r.getMessage()]
    assert len(warnings) == 4
    # Bounded by the short socket timeouts: no request hangs on the dead cache.
    assert elapsed < 4 * 2.0, elapsed


@pytest.mark.django_db(transaction=True)
def test_the_counter_is_exact_under_concurrent_requests():
    """Threads hitting one key at once: exactly ``count`` allowed (atomic INCR on Redis, one
    atomic upsert in the database without it). Transactional: without Redis the threads
    write the counter on their own connections, which a test transaction would block."""
    rate = Rate(50, 60)
    now = 1_800_000_010.0
    allowed = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def worker():
        barrier.wait()
        for _ in range(10):
            ok = hit("test-concurrent", "203.0.113.7", rate, now=now) is None
            with lock:
                allowed.append(ok)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(allowed) == 80
    assert allowed.count(True) == 50
