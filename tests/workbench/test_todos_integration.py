"""The real to-do sources of the other apps: the number on the workbench equals the
number of items on the page it links to, from the Celery recount and from a direct count."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.paginator import Page

from cooperation.models import TaskState
from tests.cooperation.task_factories import make_task
from workbench import services, tasks

# One open invitation per pair: the invited task comes last.
STATES = [
    TaskState.ACCEPTED,
    TaskState.ACCEPTED,
    TaskState.SHIPPED,
    TaskState.RECEIVED,
    TaskState.LIVE_REPORTED,
    TaskState.LIVE_REPORTED,
    TaskState.LIVE_REPORTED,
    TaskState.COMPLETED,
    TaskState.INVITED,
]


def page_count(response) -> int:
    for ctx in response.context:
        for value in ctx.flatten().values():
            if isinstance(value, Page):
                return value.paginator.count
    raise AssertionError("the linked page lists no items")


@pytest.fixture
def world(merchant, other_merchant, creator, other_creator):
    for state in STATES:
        make_task(merchant=merchant, creator=creator, state=state)
    # Someone else's tasks must not be counted for our two users.
    make_task(merchant=other_merchant, creator=other_creator, state=TaskState.ACCEPTED)
    make_task(merchant=other_merchant, creator=creator, state=TaskState.SHIPPED)
    return merchant, creator


@pytest.mark.parametrize("path", ["cache", "live"])
def test_task_todo_counts_equal_the_items_on_the_linked_page(world, client_for, path):
    merchant, creator = world
    if path == "cache":
        tasks.recount_all_todos.delay()
    else:
        cache.clear()
    checked = 0
    for user in (merchant, creator):
        board = services.todos_board(user)
        assert board.source == path
        client = client_for(user)
        for item in board.items:
            if not item.key.startswith("cooperation."):
                continue
            assert page_count(client.get(item.url)) == item.count, item
            checked += 1
    # six by state, 待答复的议价, 即将到期 for each side, plan applications, sample
    # requests and rate cuts (0 here)
    assert checked == 12
    counts = {i.key: i.count for i in services.todos_board(merchant).items}
    assert counts["cooperation.merchant_to_ship"] == 2
    assert counts["cooperation.merchant_to_confirm"] == 3
    counts = {i.key: i.count for i in services.todos_board(creator).items}
    assert counts["cooperation.creator_to_receive"] == 2  # one from the other merchant


def test_recount_all_matches_direct_counts_for_every_user(world, other_merchant, other_creator):
    tasks.recount_all_todos.delay()
    for user in world + (other_merchant, other_creator):
        cached = {i.key: i.count for i in services.todos_board(user).items}
        cache.clear()
        live = {i.key: i.count for i in services.todos_board(user).items}
        assert cached == live
        tasks.recount_all_todos.delay()


def test_a_task_transition_moves_the_workbench_count_after_commit(world, client_for):
    from cooperation.models import Task
    from cooperation.services import tasks as task_services

    merchant, creator = world
    tasks.recount_all_todos.delay()
    task = Task.objects.filter(merchant__user=merchant, state=TaskState.ACCEPTED).first()
    before = {i.key: i.count for i in services.todos_board(merchant).items}
    task_services.task_ship_sample(task=task, actor=merchant, carrier="顺丰速运", tracking_no="SF1")
    cache.clear()  # whatever the cooperation service does about recounting, the page is right
    after = {i.key: i.count for i in services.todos_board(merchant).items}
    assert after["cooperation.merchant_to_ship"] == before["cooperation.merchant_to_ship"] - 1


def test_full_recount_is_one_set_based_pass_whatever_the_number_of_users(merchant, creator):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from hotwave import todos
    from tests.admission.factories import CreatorFactory

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            tasks.recount_all_todos.delay()
        return len(ctx.captured_queries)

    make_task(merchant=merchant, creator=creator, state=TaskState.ACCEPTED)
    few = queries()
    for _ in range(12):
        make_task(merchant=merchant, creator=CreatorFactory().user, state=TaskState.INVITED)
    assert queries() == few
    # One query per source (a source may use one UNION statement), never one per user.
    assert few <= len(todos.sources())


@pytest.mark.redis
def test_counts_round_trip_through_redis(world):
    from django.conf import settings

    merchant, _creator = world
    assert "redis" in settings.CACHES["default"]["BACKEND"].lower()
    summary = tasks.recount_all_todos.delay().get()
    assert summary["users"] >= 2
    board = services.todos_board(merchant)
    assert board.source == "cache"
    assert {i.key: i.count for i in board.items}["cooperation.merchant_to_confirm"] == 3


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_recounts_into_the_cache(celery_worker_process, merchant, creator):
    make_task(merchant=merchant, creator=creator, state=TaskState.ACCEPTED)
    cache.clear()
    import time

    tasks.recount_all_todos.apply_async(queue=celery_worker_process)  # results are ignored
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and cache.get("wb:todos:gen") is None:
        time.sleep(0.2)
    board = services.todos_board(merchant)
    assert board.source == "cache"
    assert {i.key: i.count for i in board.items}["cooperation.merchant_to_ship"] == 1
