"""Two clicks at once do one thing: concurrent transitions on PostgreSQL (real row locks)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from admission.models import Creator, User
from cooperation.models import Task, TaskState, TaskTransition
from cooperation.services import tasks as services
from settlement.models import EscrowHold, Journal, JournalKind
from tests.cooperation.task_factories import make_task

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(n: int, fn) -> list:
    """Run ``fn()`` in ``n`` threads released together; each uses its own connection."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = fn()
        except Exception as exc:  # noqa: BLE001 - the outcome is what we assert
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_two_accepts_at_once_accept_once_and_hold_the_fee_once(merchant, creator):
    task = make_task(merchant=merchant, creator=creator)

    def accept():
        user = User.objects.get(pk=creator.pk)
        return services.task_accept(task=Task.objects.get(pk=task.pk), actor=user)

    results = _race(2, accept)
    ok = [r for r in results if isinstance(r, Task)]
    refused = [r for r in results if isinstance(r, services.IllegalTransition)]
    assert (len(ok), len(refused)) == (1, 1), results
    assert Task.objects.get(pk=task.pk).state == TaskState.ACCEPTED
    assert TaskTransition.objects.filter(task=task, action="accept").count() == 1
    assert EscrowHold.objects.filter(key=f"task:{task.pk}").count() == 1
    assert Journal.objects.filter(kind=JournalKind.ESCROW_HOLD).count() == 1


def test_confirm_and_autocomplete_at_once_complete_once(merchant, creator):
    task = make_task(merchant=merchant, creator=creator, state=TaskState.LIVE_REPORTED)
    later = timezone.now() + timedelta(days=8)
    calls = [
        lambda: services.task_confirm_completion(
            task=Task.objects.get(pk=task.pk), actor=User.objects.get(pk=merchant.pk)
        ),
        lambda: services.task_autocomplete(task=task.pk, now=later),
        lambda: services.task_autocomplete(task=task.pk, now=later),
    ]
    counter = iter(range(3))
    lock = threading.Lock()

    def one():
        with lock:
            i = next(counter)
        return calls[i]()

    results = _race(3, one)
    assert sum(isinstance(r, Task) for r in results) == 1, results
    assert all(isinstance(r, (Task, services.IllegalTransition)) for r in results), results
    assert Creator.objects.get(pk=creator.pk).completed_tasks == 1
    assert Journal.objects.filter(kind=JournalKind.ESCROW_RELEASE).count() == 1
    assert TaskTransition.objects.filter(task=task, to_state=TaskState.COMPLETED).count() == 1
