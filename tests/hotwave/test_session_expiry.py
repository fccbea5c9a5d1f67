"""Session expiry, idle and absolute (issue #8, item 11).

The clock is moved for everything that reads it: ``time.time`` (the idle
middleware, cookie ages) and ``django.utils.timezone.now`` (the session
backend's ``expire_date``), so a session row can expire as it would in real life.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.test import Client, override_settings
from django.utils import timezone

pytestmark = pytest.mark.django_db
HOUR = 3600


@pytest.fixture
def clock(monkeypatch):
    now = {"t": time.time()}
    monkeypatch.setattr(time, "time", lambda: now["t"])
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime.fromtimestamp(now["t"], tz=dt.UTC))
    return now


def _logged_in(c: Client) -> bool:
    response = c.get("/")
    return response.status_code == 200


def _login(merchant) -> Client:
    c = Client()
    response = c.post(
        "/accounts/login/", {"username": merchant.username, "password": "pw-hotwave-test"}
    )
    assert response.status_code == 302
    return c


@override_settings(SESSION_COOKIE_AGE=12 * HOUR, SESSION_IDLE_TIMEOUT=2 * HOUR)
def test_an_active_session_still_ends_after_the_absolute_lifetime(merchant, clock):
    """Busy all day (a request every 30 min): logged out once 12 h have passed since login."""
    c = _login(merchant)
    started = clock["t"]
    while clock["t"] - started < 12 * HOUR - 30 * 60:
        clock["t"] += 30 * 60
        assert _logged_in(c), f"logged out early, after {(clock['t'] - started) / HOUR:.1f} h"
    clock["t"] = started + 12 * HOUR + 60
    assert not _logged_in(c)
    response = c.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@override_settings(SESSION_COOKIE_AGE=12 * HOUR, SESSION_IDLE_TIMEOUT=2 * HOUR)
def test_an_idle_session_ends_after_the_idle_timeout(merchant, clock):
    c = _login(merchant)
    clock["t"] += 1 * HOUR
    assert _logged_in(c)
    clock["t"] += 2 * HOUR + 60  # idle for just over 2 h
    assert not _logged_in(c)


@override_settings(SESSION_COOKIE_AGE=12 * HOUR, SESSION_IDLE_TIMEOUT=2 * HOUR)
def test_logging_in_again_starts_a_new_lifetime(merchant, clock):
    c = _login(merchant)
    clock["t"] += 12 * HOUR + 60
    assert not _logged_in(c)
    c = _login(merchant)
    clock["t"] += 1 * HOUR
    assert _logged_in(c)


def test_production_defaults():
    from hotwave import settings as production

    assert production.SESSION_COOKIE_AGE == 12 * HOUR
    assert production.SESSION_IDLE_TIMEOUT == 2 * HOUR
    assert production.SESSION_COOKIE_HTTPONLY is True
