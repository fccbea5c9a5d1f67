"""Deadlines at every stage (SPEC §7): set on entry, reminded 24 h ahead, met or breached."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from cooperation.models import Task, TaskEvent, TaskEventKind, TaskState
from cooperation.services import tasks as services
from cooperation.services.clock import cooperation_tick
from cooperation.todos import CREATOR_DUE_SOON, MERCHANT_DUE_SOON
from settlement.models import EscrowHold, EscrowStatus, Journal, JournalKind, Posting
from tests.cooperation.task_factories import make_task

pytestmark = pytest.mark.django_db


def _ledger_total():
    return sum(Posting.objects.values_list("amount", flat=True), Decimal("0"))


def test_each_stage_sets_its_deadline_on_the_timeline(merchant, creator):
    task = make_task(merchant=merchant, creator=creator, state=TaskState.SHIPPED, ship_days=5)
    sets = list(
        task.events.filter(kind=TaskEventKind.DEADLINE_SET).values_list("deadline", "due_at")
    )
    assert [k for k, _ in sets] == ["respond", "ship", "receipt"]
    assert sets[1][1] == task.accepted_at + timedelta(days=5)
    assert sets[2][1] == task.shipped_at + timedelta(days=10)
    # The merchant shipped in time: met, on its party.
    met = task.events.get(kind=TaskEventKind.DEADLINE_MET, deadline="ship")
    assert met.party == "merchant"


def test_deadline_days_are_refused_outside_their_bounds(merchant, creator):
    with pytest.raises(services.DomainError) as exc:
        make_task(merchant=merchant, creator=creator, ship_days=0)
    assert exc.value.code == "task.bad_ship_days"
    with pytest.raises(services.DomainError):
        make_task(merchant=merchant, creator=creator, receipt_days=99)
    assert not Task.objects.exists()


def test_creator_cancels_after_a_missed_shipping_deadline(merchant, creator):
    task = make_task(merchant=merchant, creator=creator, state=TaskState.ACCEPTED)
    with pytest.raises(services.DomainError) as exc:  # not yet passed
        services.task_cancel_late(task=task, actor=creator)
    assert exc.value.code == "task.deadline_not_passed"
    later = task.ship_by + timedelta(minutes=1)
    services.task_cancel_late(task=task, actor=creator, reason="没寄", now=later)
    task.refresh_from_db()
    assert task.state == TaskState.CANCELLED
    assert (task.escrow_released, task.escrow_returned) == (Decimal("0"), Decimal("1000.00"))
    breach = task.events.get(kind=TaskEventKind.DEADLINE_BREACHED)
    assert (breach.party, breach.deadline) == ("merchant", "ship")
    assert EscrowHold.objects.get(key=f"task:{task.pk}").status == EscrowStatus.RETURNED
    assert Journal.objects.filter(kind=JournalKind.ESCROW_RETURN).count() == 1
    assert _ledger_total() == 0
    with pytest.raises(services.IllegalTransition):  # once
        services.task_cancel_late(task=task, actor=creator, now=later)
    assert Journal.objects.filter(kind=JournalKind.ESCROW_RETURN).count() == 1


def test_merchant_cancels_after_a_missed_live_deadline(merchant, creator):
    task = make_task(merchant=merchant, creator=creator, state=TaskState.RECEIVED)
    with pytest.raises(services.IllegalTransition):  # the creator may not
        services.task_cancel_late(
            task=task, actor=creator, action="cancel_late_live", now=task.live_by
        )
    services.task_cancel_late(task=task, actor=merchant, now=task.live_by)
    task.refresh_from_db()
    assert task.state == TaskState.CANCELLED and task.escrow_returned == Decimal("1000.00")
    assert task.events.get(kind=TaskEventKind.DEADLINE_BREACHED).party == "creator"


def test_tick_auto_receives_reminds_breaches_and_autocancels_once(merchant, creator):
    shipped = make_task(merchant=merchant, creator=creator, state=TaskState.SHIPPED)
    accepted = make_task(merchant=merchant, creator=creator, state=TaskState.ACCEPTED)
    # 24 h before the shipping deadline: a reminder to the merchant, a to-do.
    r = cooperation_tick(now=accepted.ship_by - timedelta(hours=23))
    assert r.reminders == 1
    assert MERCHANT_DUE_SOON.count_for(merchant) == 1
    assert CREATOR_DUE_SOON.count_for(creator) == 0
    assert cooperation_tick(now=accepted.ship_by - timedelta(hours=23)).changed == 0
    # Past it: a breach on the merchant, once.
    r = cooperation_tick(now=accepted.ship_by + timedelta(hours=1))
    assert r.breaches == 1
    assert cooperation_tick(now=accepted.ship_by + timedelta(hours=1)).changed == 0
    # 10 days after shipping the sample is received by itself.
    r = cooperation_tick(now=shipped.auto_receipt_at)
    shipped.refresh_from_db()
    assert r.auto_received == 1 and shipped.state == TaskState.RECEIVED
    assert shipped.transitions.last().action == "auto_receipt"
    # A week after the breach nobody acted: cancelled, the fee back to the merchant.
    cooperation_tick(now=accepted.ship_by + timedelta(days=7, minutes=1))
    accepted.refresh_from_db()
    assert accepted.state == TaskState.CANCELLED
    assert accepted.transitions.last().action == "auto_cancel"
    assert accepted.escrow_returned == Decimal("1000.00")
    assert TaskEvent.objects.filter(task=accepted, kind="deadline_breached").count() == 1
    assert _ledger_total() == 0


def test_command_prints_the_escrow_summary_last(merchant, creator):
    make_task(merchant=merchant, creator=creator, state=TaskState.ACCEPTED)
    make_task(merchant=merchant, creator=creator, state=TaskState.DISPUTED)
    out = StringIO()
    call_command("cooperation_tick", "--at", timezone.now().isoformat(), stdout=out)
    last = out.getvalue().strip().splitlines()[-1]
    assert last == "escrow held: 2 tasks, ¥2,000.00; in dispute: 1 tasks, ¥1,000.00"


def test_tick_far_ahead_leaves_only_disputed_escrow_held(merchant, creator):
    for state in (
        TaskState.ACCEPTED,
        TaskState.SHIPPED,
        TaskState.RECEIVED,
        TaskState.LIVE_REPORTED,
    ):
        make_task(merchant=merchant, creator=creator, state=state)
    disputed = make_task(merchant=merchant, creator=creator, state=TaskState.DISPUTED)
    make_task(merchant=merchant, creator=creator, state=TaskState.INVITED)
    from cooperation.services import disputes

    disputes.dispute_answer(task=disputed, actor=merchant, answer="样品没问题")
    r = cooperation_tick(now=timezone.now() + timedelta(days=120))
    assert r.summary.line() == "escrow held: 1 tasks, ¥1,000.00; in dispute: 1 tasks, ¥1,000.00"
    assert cooperation_tick(now=timezone.now() + timedelta(days=120)).changed == 0
    assert _ledger_total() == 0
