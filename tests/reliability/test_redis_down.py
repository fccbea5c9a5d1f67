"""Redis down — cache and broker both (issue #8, item 6).

The cache is pointed at a port where nothing listens (``CACHES`` overridden) and
the Celery app's broker likewise (``app.conf.broker_url``, eager mode off), so
every cache read and every ``.delay()`` meets a dead Redis. No live Redis is
needed, so these run everywhere.

Promises checked:

* login, the workbench and every GET page of the access matrix answer (200, or
  their usual redirect) in under ``FAST`` seconds each; the workbench computes
  the to-do counts directly and says the cache is unavailable;
* an action that enqueues work (a task transition → a to-do recount) still
  succeeds, exactly once: one state change, one transition row, one escrow
  journal; repeating the click is refused and writes nothing;
* when Redis is back (cache working again), the scheduled recount fills the
  cache with the same counts and nothing is written twice.
"""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls import reverse

from cooperation.models import Task, TaskState, TaskTransition
from hotwave.celery import app
from settlement.models import Journal, JournalKind, Posting
from tests.access.test_access_matrix import ROUTES, url_names
from tests.access.world import build_world

DEAD = "redis://127.0.0.1:1/0"
FAST = 2.0  # seconds per request with Redis down


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DEAD,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
            "KEY_PREFIX": "hotwave",
        }
    }
    saved = {
        k: app.conf[k] for k in ("broker_url", "task_always_eager", "broker_transport_options")
    }
    app.conf.broker_url = DEAD
    app.conf.task_always_eager = False
    app.conf.broker_transport_options = {
        "socket_connect_timeout": 0.5,
        "socket_timeout": 0.5,
        "max_retries": 0,
    }
    app.conf.task_publish_retry = False
    _reset_connections()
    yield
    app.conf.update(saved)
    app.conf.task_publish_retry = True
    _reset_connections()


def _reset_connections() -> None:
    """Drop the app's broker connections so the next publish uses the current broker_url."""
    from kombu import pools

    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    # kombu keeps a process-wide registry of producer pools keyed by connection:
    # without a reset, later tests would get the pool closed above.
    pools.reset()


def _timed(fn):
    started = time.monotonic()
    response = fn()
    return response, time.monotonic() - started


@pytest.mark.django_db
def test_cache_is_really_down(redis_down):
    from django.core.cache import cache

    with pytest.raises(Exception):  # noqa: B017 - any connection error will do
        cache.get("x")


@pytest.mark.django_db
def test_login_and_workbench_answer_fast_with_counts_computed_directly(redis_down):
    w = build_world()
    client = Client()
    response, took = _timed(
        lambda: client.post(
            reverse("login"), {"username": "acc_creator_in", "password": "pw-hotwave-test"}
        )
    )
    assert response.status_code == 302 and took < FAST, (response.status_code, took)
    response, took = _timed(lambda: client.get(reverse("workbench:home")))
    assert response.status_code == 200 and took < FAST, took
    html = response.content.decode()
    assert "待办事项" in html
    assert 'data-source="live"' in html  # computed now, not from the cache
    assert "缓存暂不可用" in html  # and it says so
    # The task invitation waiting for this creator is counted.
    board = response.context["board"]
    assert board.cache_error and board.source == "live"
    assert sum(item.count for item in board.items) >= 1
    assert w.task.state == TaskState.INVITED


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["merchant", "creator_in", "agency", "other_merchant"])
def test_every_get_page_answers_fast(redis_down, persona):
    w = build_world()
    client = Client(raise_request_exception=False)
    client.force_login(w.users[persona])
    slow, broken = [], []
    for name in url_names():
        route = ROUTES[name]
        if "GET" not in route.methods or persona not in route.insiders:
            continue
        url = reverse(name, kwargs=route.kwargs(w) or None)
        response, took = _timed(lambda url=url: client.get(url))
        if response.status_code >= 400:
            broken.append((name, response.status_code))
        if took >= FAST:
            slow.append((name, round(took, 2)))
    assert not broken, broken
    assert not slow, slow


@pytest.mark.django_db
def test_an_action_that_enqueues_work_succeeds_once(
    redis_down, django_capture_on_commit_callbacks, caplog
):
    w = build_world()
    client = Client()
    client.force_login(w.users["creator_in"])
    url = reverse("cooperation:task_accept", kwargs={"pk": w.task.pk})
    before = (TaskTransition.objects.count(), Journal.objects.count(), Posting.objects.count())
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response, took = _timed(lambda: client.post(url))
    assert response.status_code == 302, response.status_code
    assert took < FAST, took
    # The recount was really enqueued after commit, met the dead broker, and was let go
    # (the scheduled full recount catches up) without undoing the action.
    assert callbacks
    assert "could not enqueue to-do recount" in caplog.text
    task = Task.objects.get(pk=w.task.pk)
    assert task.state == TaskState.ACCEPTED
    assert TaskTransition.objects.count() == before[0] + 1
    holds = Journal.objects.filter(kind=JournalKind.ESCROW_HOLD)
    assert holds.count() == 1
    # The user clicks again (the first answer felt slow): refused, nothing written twice.
    response = client.post(url)
    assert response.status_code == 400
    assert TaskTransition.objects.count() == before[0] + 1
    assert holds.count() == 1
    assert (
        Posting.objects.count() - before[2]
        == Posting.objects.filter(journal__kind=JournalKind.ESCROW_HOLD).count()
    )


@pytest.mark.django_db
def test_when_redis_returns_the_recount_catches_up_without_double_writes(settings):
    """After the outage the cache works again: the beat recount fills it, nothing doubles."""
    from workbench import services
    from workbench.tasks import recount_all_todos

    w = build_world()
    user = w.users["creator_in"]
    live = services.todos_board(user)
    assert live.source == "live"
    journals = Journal.objects.count()
    recount_all_todos.apply()  # what beat runs every 5 minutes
    recount_all_todos.apply()  # twice (beat firing twice): harmless
    cached = services.todos_board(user)
    assert cached.source == "cache"
    assert [(i.key, i.count) for i in cached.items] == [(i.key, i.count) for i in live.items]
    assert Journal.objects.count() == journals
