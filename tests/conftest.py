"""Personas and shared fixtures.

Personas mirror the product's parties: ``merchant`` and ``other_merchant``,
``creator`` (individual), ``agency`` with its bound ``agency_creator`` (the
binding itself is created by settlement fixtures when needed), ``other_agency``,
``operator`` and ``anonymous``. Each persona fixture returns the *User*; its
profile is ``user.merchant`` / ``user.creator`` / ….

Markers ``postgres``, ``redis`` and ``celery_worker`` skip when the service is
not configured — unless HOTWAVE_REQUIRE_SERVICES=1 (CI), where a missing
service fails the test instead of skipping it.
"""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.test import Client

from tests.admission.factories import (
    AgencyFactory,
    CreatorFactory,
    MerchantFactory,
    OperatorFactory,
)

REQUIRE_SERVICES = os.environ.get("HOTWAVE_REQUIRE_SERVICES") == "1"


def _missing(marker: str) -> str | None:
    if marker == "postgres" and not settings.IS_POSTGRES:
        return "needs PostgreSQL (set DATABASE_URL=postgres://…)"
    if marker in ("redis", "celery_worker") and not settings.REDIS_URL:
        return "needs Redis (set REDIS_URL=redis://…)"
    return None


def pytest_runtest_setup(item):
    for marker in ("postgres", "redis", "celery_worker"):
        if item.get_closest_marker(marker) is None:
            continue
        reason = _missing(marker)
        if reason:
            if REQUIRE_SERVICES:
                pytest.fail(f"HOTWAVE_REQUIRE_SERVICES=1 but this test {reason}")
            pytest.skip(reason)


@pytest.fixture
def merchant(db):
    return MerchantFactory(user__username="alice_shop", shop_name="爱丽丝的店").user


@pytest.fixture
def other_merchant(db):
    return MerchantFactory(user__username="bob_shop", shop_name="鲍勃的店").user


@pytest.fixture
def creator(db):
    return CreatorFactory(user__username="carol", nickname="卡萝").user


@pytest.fixture
def other_creator(db):
    return CreatorFactory(user__username="dave", nickname="戴夫").user


@pytest.fixture
def agency(db):
    return AgencyFactory(user__username="erin_mcn", name="艾琳传媒").user


@pytest.fixture
def other_agency(db):
    return AgencyFactory(user__username="frank_mcn", name="弗兰克传媒").user


@pytest.fixture
def agency_creator(db):
    """A creator meant to be bound to ``agency`` (bind with settlement's fixtures)."""
    return CreatorFactory(user__username="gina", nickname="吉娜").user


@pytest.fixture
def operator(db):
    return OperatorFactory(username="olivia_ops")


@pytest.fixture
def anonymous():
    return Client()


@pytest.fixture
def client_for(client):
    """``client_for(user)``: a test client logged in as that user."""

    def make(user):
        c = Client()
        c.force_login(user)
        return c

    return make


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language (zh-hans).

    LocaleMiddleware activates a request's language on the thread and leaves
    it there; without this, a test that asserts a Chinese label fails when
    xdist happens to run it after a request made in English.
    """
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache (Redis in CI persists between tests)."""
    import contextlib

    from django.core.cache import cache

    # A test may deliberately point the cache at a dead Redis.
    with contextlib.suppress(Exception):
        cache.clear()
    yield


@pytest.fixture
def celery_worker_process(transactional_db):
    """A real ``celery worker`` process on Redis, consuming a private queue.

    Yields the queue name; the worker uses the test database, so tasks it runs
    see (committed) test data. Eager mode is switched off for the test.
    """
    import subprocess
    import time
    import uuid
    from pathlib import Path

    from hotwave.celery import app
    from tests.workers import worker_command, worker_env

    queue = f"test-{uuid.uuid4().hex[:8]}"
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(
        worker_command(queue, queue),
        cwd=root,
        env=worker_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    was_eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            replies = app.control.ping(destination=[f"{queue}@{os.uname().nodename}"], timeout=0.5)
            if replies:
                break
            if proc.poll() is not None:
                out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                pytest.fail(f"celery worker exited early:\n{out[-2000:]}")
        else:
            pytest.fail("celery worker did not answer ping within 30 s")
        yield queue
    finally:
        app.conf.task_always_eager = was_eager
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


_SUSPENDED_TRIGGERS: list[str] = []


@pytest.fixture(autouse=True)
def _sqlite_flush_vs_append_only_ledger(request, django_db_blocker):
    """Let pytest-django flush SQLite after transactional tests.

    Postings are append-only: a trigger refuses DELETE. Postgres flushes with
    TRUNCATE (no row triggers), SQLite with DELETE, which the trigger refuses.
    For transactional tests on SQLite we suspend the DELETE triggers just
    before the flush and put them back before the next test starts.
    """
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        yield
        return
    from django.db import connection

    if _SUSPENDED_TRIGGERS:
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            for sql in _SUSPENDED_TRIGGERS:
                cursor.execute(sql)
        _SUSPENDED_TRIGGERS.clear()
    transactional = (
        "transactional_db" in request.fixturenames or "live_server" in request.fixturenames
    )
    if transactional:
        # Set up the database first so that our teardown runs before its flush.
        request.getfixturevalue("transactional_db")
    yield
    if transactional:
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%BEFORE DELETE%'"
            )
            for name, sql in cursor.fetchall():
                cursor.execute(f'DROP TRIGGER "{name}"')
                _SUSPENDED_TRIGGERS.append(sql)


# Data that migrations put in every database (categories, agreement v1,
# starter help). A transactional test's flush removes it; the next test that
# touches the database gets it back, as a fresh migrate would leave it.
REFERENCE_DATA = [
    ("admission.starter_content", "create_categories"),
    ("admission.starter_content", "publish_agreement_v1"),
    ("admission.starter_content", "add_agreement_v1_english"),
    ("workbench.starter_content", "create_starter_help"),
]


@pytest.fixture(autouse=True)
def _reference_data_after_flush(request, django_db_blocker):
    uses_db = bool({"db", "transactional_db", "live_server"} & set(request.fixturenames)) or any(
        m.name == "django_db" for m in request.node.iter_markers()
    )
    if uses_db:
        import importlib

        from django.apps import apps
        from django.db import connection

        from admission.models import Category

        # One cheap query: after a flush (by any transactional test, in any
        # order xdist chose) the categories are gone, and so is the rest.
        with django_db_blocker.unblock():
            if not Category.objects.exists():
                for module, func in REFERENCE_DATA:
                    getattr(importlib.import_module(module), func)(apps, connection.schema_editor)
    yield
