"""Races on PostgreSQL (real row locks): two ticks at once, a dispute against auto-completion."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from cooperation.models import Task, TaskEvent, TaskState, TaskTransition
from cooperation.services import disputes
from cooperation.services.clock import cooperation_tick
from settlement.models import Journal, Posting
from tests.cooperation.task_factories import make_task

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(n: int, fn) -> list:
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = fn(i)
        except Exception as exc:  # noqa: BLE001 - the outcome is what we assert
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def _world_snapshot():
    return (
        list(Task.objects.order_by("pk").values_list("state", flat=True)),
        TaskTransition.objects.count(),
        TaskEvent.objects.count(),
        Journal.objects.count(),
    )


def test_two_ticks_at_once_do_the_work_once(merchant, creator, other_creator):
    make_task(merchant=merchant, creator=creator, state=TaskState.ACCEPTED)
    make_task(merchant=merchant, creator=creator, state=TaskState.SHIPPED)
    make_task(merchant=merchant, creator=creator, state=TaskState.LIVE_REPORTED)
    make_task(merchant=merchant, creator=other_creator, state=TaskState.INVITED)
    at = timezone.now() + timedelta(days=30)
    results = _race(2, lambda i: cooperation_tick(now=at))
    assert not [r for r in results if isinstance(r, Exception)], results
    after = _world_snapshot()
    assert cooperation_tick(now=at).changed == 0
    assert _world_snapshot() == after
    assert set(after[0]) <= {TaskState.CANCELLED, TaskState.COMPLETED, TaskState.EXPIRED}
    assert sum(Posting.objects.values_list("amount", flat=True)) == 0


def test_a_dispute_and_the_auto_completion_at_once_one_wins(merchant, creator):
    task = make_task(merchant=merchant, creator=creator, state=TaskState.LIVE_REPORTED)
    Task.objects.filter(pk=task.pk).update(live_reported_at=timezone.now() - timedelta(days=8))

    def go(i):
        if i == 0:
            return cooperation_tick().autocompleted
        return disputes.dispute_open(task=task, actor=merchant, reason="other", statement="没播")

    results = _race(2, go)
    task.refresh_from_db()
    assert task.state in (TaskState.COMPLETED, TaskState.DISPUTED)
    if task.state == TaskState.COMPLETED:
        assert isinstance(results[1], Exception) and task.escrow_released == Decimal("1000.00")
        assert Journal.objects.filter(key=f"escrow:release:task:{task.pk}").count() == 1
    else:
        assert results[0] == 0
        assert not Journal.objects.filter(key__startswith="escrow:release:").exists()
    assert sum(Posting.objects.values_list("amount", flat=True)) == 0
