"""Escrow conservation over random task histories (Hypothesis): every fen held ends in one place.

Each example walks a few tasks through random actions by random actors — every
person's action, the clock moving ahead past deadlines, disputes opened, answered,
lapsed or decided — then checks against the ledger: held = released + returned +
still held (of which frozen = held by tasks in dispute), to the fen, and the
postings sum to zero.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cooperation.models import Task, TaskState
from cooperation.services import disputes
from cooperation.services import tasks as services
from cooperation.services.clock import cooperation_tick
from hotwave.exceptions import DomainError
from settlement.models import EscrowHold, EscrowStatus, Journal, Posting
from tests.admission.factories import CreatorFactory, MerchantFactory, OperatorFactory
from tests.cooperation.task_factories import ProductFactory, admit
from workbench.operator_group import OPERATORS, ensure_operator_group

pytestmark = pytest.mark.django_db

ACTIONS = (
    "accept",
    "decline",
    "cancel",
    "ship",
    "receive",
    "report",
    "confirm",
    "cancel_late",
    "dispute_m",
    "dispute_c",
    "answer",
    "decide",
    "clock",
)


def _act(name, task, m, c, ops, clock, pct):
    now = clock[0]
    if name == "accept":
        services.task_accept(task=task, actor=c)
    elif name == "decline":
        services.task_decline(task=task, actor=c)
    elif name == "cancel":
        services.task_cancel(task=task, actor=m)
    elif name == "ship":
        services.task_ship_sample(task=task, actor=m, carrier="顺丰速运", tracking_no="SF123456")
    elif name == "receive":
        services.task_confirm_receipt(task=task, actor=c)
    elif name == "report":
        services.task_report_live(
            task=task, actor=c, live_at=timezone.now(), replay_url="https://live.example.com/r"
        )
    elif name == "confirm":
        services.task_confirm_completion(task=task, actor=m)
    elif name == "cancel_late":
        who = c if task.state == TaskState.ACCEPTED else m
        services.task_cancel_late(task=task, actor=who, now=now)
    elif name in ("dispute_m", "dispute_c"):
        disputes.dispute_open(
            task=task, actor=m if name == "dispute_m" else c, reason="other", statement="x", now=now
        )
    elif name == "answer":
        d = task.disputes.first()
        who = m if d and d.opened_by == "creator" else c
        disputes.dispute_answer(task=task, actor=who, answer="y", now=now)
    elif name == "decide":
        outcome = ("release", "return", "split")[pct % 3]
        disputes.dispute_decide(task=task, actor=ops, outcome=outcome, percent=pct, note="z")
    elif name == "clock":
        clock[0] = now + timedelta(days=4)
        cooperation_tick(now=clock[0])


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    fees=st.lists(
        st.sampled_from(["0.00", "0.01", "999.99", "1000.00", "33.33"]), min_size=1, max_size=3
    ),
    steps=st.lists(
        st.tuples(st.integers(0, 2), st.sampled_from(ACTIONS), st.integers(0, 100)),
        max_size=25,
    ),
)
def test_every_fen_held_is_released_returned_or_still_held(fees, steps):
    ensure_operator_group(apps, None)
    m = MerchantFactory().user
    c = CreatorFactory().user
    ops = OperatorFactory(is_superuser=False)
    ops.groups.add(Group.objects.get(name=OPERATORS))
    admit(m, c)
    product = ProductFactory(merchant=m.merchant)
    tasks = []
    for fee in fees:
        # One open invitation per pair: accept each before inviting the next.
        t = services.task_create(
            actor=m,
            creator=c.creator,
            products=[product],
            slot_fee=Decimal(fee),
            planned_live_date=timezone.localdate(),
        )
        services.task_accept(task=t, actor=c)
        tasks.append(t)
    clock = [timezone.now()]
    for index, action, pct in steps:
        task = Task.objects.get(pk=tasks[index % len(tasks)].pk)
        # A refusal must change nothing (the sums below say so).
        with contextlib.suppress(DomainError):
            _act(action, task, m, c, ops, clock, pct)
    holds = list(EscrowHold.objects.all())
    held = sum((h.amount for h in holds), Decimal("0"))
    released = returned = still = frozen = Decimal("0")
    disputed = {
        f"task:{pk}" for pk in Task.objects.filter(state="disputed").values_list("pk", flat=True)
    }
    for h in holds:
        journal_sum = {
            kind: sum(
                (
                    p.amount
                    for p in Posting.objects.filter(
                        journal__key=f"escrow:{kind}:{h.key}", account__kind="escrow"
                    )
                ),
                Decimal("0"),
            )
            for kind in ("release", "return")
        }
        released += -journal_sum["release"]
        returned += -journal_sum["return"]
        if h.status == EscrowStatus.HELD:
            still += h.amount
            frozen += h.amount if h.key in disputed else 0
            assert journal_sum == {"release": 0, "return": 0}
        else:
            assert -journal_sum["release"] - journal_sum["return"] == h.amount, h.key
    assert held == released + returned + still
    assert frozen <= still
    for t in Task.objects.filter(pk__in=[t.pk for t in tasks]):
        assert t.escrow_released + t.escrow_returned in (Decimal("0"), t.slot_fee)
    assert sum(Posting.objects.values_list("amount", flat=True), Decimal("0")) == 0
    # Nothing was posted twice.
    keys = list(Journal.objects.values_list("key", flat=True))
    assert len(keys) == len(set(keys))
