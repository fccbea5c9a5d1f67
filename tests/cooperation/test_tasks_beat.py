"""Beat jobs: invitations expire after 72 h, reported lives complete after 7 days."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from admission.models import Creator
from cooperation import tasks as jobs
from cooperation.models import Task, TaskState
from cooperation.services import tasks as services
from settlement.models import EscrowHold, EscrowStatus, Journal, JournalKind
from tests.cooperation.task_factories import make_task

pytestmark = pytest.mark.django_db


def _age(task, **delta):
    Task.objects.filter(pk=task.pk).update(created_at=timezone.now() - timedelta(**delta))


def _age_report(task, **delta):
    Task.objects.filter(pk=task.pk).update(live_reported_at=timezone.now() - timedelta(**delta))


def test_the_beat_schedule_runs_the_tick_every_five_minutes():
    entries = {e["task"]: e for e in settings.CELERY_BEAT_SCHEDULE.values()}
    tick = entries[jobs.cooperation_tick.name]
    assert tick["schedule"].minute == set(range(0, 60, 5))
    # The tick runs expiry and auto-completion: no second schedule for them.
    assert jobs.expire_invitations.name not in entries
    assert jobs.autocomplete_tasks.name not in entries


def test_the_beat_schedule_counts_the_squares_7_day_orders_every_five_minutes():
    entries = {e["task"]: e for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert entries[jobs.refresh_product_sales.name]["schedule"].minute == set(range(0, 60, 5))


def test_expire_invitations_takes_only_those_unanswered_for_72_hours(
    merchant, creator, other_creator
):
    old = make_task(merchant=merchant, creator=creator)
    fresh = make_task(merchant=merchant, creator=other_creator)
    _age(old, hours=72, minutes=1)
    _age(fresh, hours=71, minutes=50)
    assert jobs.expire_invitations.delay().get() == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.state, fresh.state) == (TaskState.EXPIRED, TaskState.INVITED)
    t = old.transitions.last()
    assert (t.action, t.actor_id, t.from_state) == ("expire", None, TaskState.INVITED)
    # Running again changes nothing.
    assert jobs.expire_invitations.delay().get() == 0
    assert old.transitions.count() == 2


def test_an_answered_invitation_never_expires(merchant, creator):
    task = make_task(merchant=merchant, creator=creator, state=TaskState.ACCEPTED)
    _age(task, days=10)
    assert services.tasks_expire_due() == 0
    task.refresh_from_db()
    assert task.state == TaskState.ACCEPTED
    with pytest.raises(services.DomainError):
        services.task_expire(task=make_task(merchant=merchant, creator=creator))  # not due yet


def test_autocomplete_after_seven_days_releases_the_fee_and_counts_the_task(merchant, creator):
    due = make_task(merchant=merchant, creator=creator, state=TaskState.LIVE_REPORTED)
    early = make_task(merchant=merchant, creator=creator, state=TaskState.LIVE_REPORTED)
    _age_report(due, days=7, minutes=1)
    _age_report(early, days=6, hours=23)
    assert jobs.autocomplete_tasks.delay().get() == 1
    due.refresh_from_db()
    early.refresh_from_db()
    assert (due.state, early.state) == (TaskState.COMPLETED, TaskState.LIVE_REPORTED)
    assert due.transitions.last().action == "autocomplete"
    assert due.transitions.last().actor_id is None
    assert EscrowHold.objects.get(key=f"task:{due.pk}").status == EscrowStatus.RELEASED
    assert EscrowHold.objects.get(key=f"task:{early.pk}").status == EscrowStatus.HELD
    assert Creator.objects.get(pk=creator.pk).completed_tasks == 1
    assert jobs.autocomplete_tasks.delay().get() == 0
    assert Creator.objects.get(pk=creator.pk).completed_tasks == 1
    assert Journal.objects.filter(kind=JournalKind.ESCROW_RELEASE).count() == 1


def test_a_merchant_confirming_first_wins_over_the_job(merchant, creator):
    task = make_task(merchant=merchant, creator=creator, state=TaskState.LIVE_REPORTED)
    _age_report(task, days=8)
    services.task_confirm_completion(task=task, actor=merchant)
    assert services.tasks_autocomplete_due() == 0
    assert Creator.objects.get(pk=creator.pk).completed_tasks == 1
    assert task.transitions.filter(action="autocomplete").count() == 0


def test_one_failing_task_does_not_stop_the_others(merchant, creator, other_creator, monkeypatch):
    a = make_task(merchant=merchant, creator=creator, state=TaskState.LIVE_REPORTED)
    b = make_task(merchant=merchant, creator=other_creator, state=TaskState.LIVE_REPORTED)
    _age_report(a, days=9)
    _age_report(b, days=8)
    real = services.escrow_split

    def flaky(*, key, creator_part, at=None):
        if key == f"task:{a.pk}":
            raise RuntimeError("ledger hiccup")
        return real(key=key, creator_part=creator_part, at=at)

    monkeypatch.setattr(services, "escrow_split", flaky)
    assert services.tasks_autocomplete_due() == 1
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.state, b.state) == (TaskState.LIVE_REPORTED, TaskState.COMPLETED)
    assert Creator.objects.get(pk=creator.pk).completed_tasks == 0  # rolled back with a
    assert Decimal(b.slot_fee) > 0
