"""The state machine of SPEC §3, exhaustively: every state × every action × every actor.

An allowed move changes the state, stamps its time and records who/when/from/to;
anything else is refused with a message and changes nothing (state, timeline,
ledger, 合作任务数).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from admission.models import Creator
from cooperation.models import (
    STATE_TIMESTAMP,
    TRANSITIONS,
    Party,
    TaskAction,
    TaskState,
    TaskTransition,
    allowed_actions,
)
from cooperation.services import counter_offers as counter_services
from cooperation.services import disputes as dispute_services
from cooperation.services import tasks as services
from cooperation.views.tasks import ACTION_SLUGS
from settlement.models import EscrowHold, Posting
from tests.cooperation.task_factories import make_task

pytestmark = pytest.mark.django_db

M, C, S, OP = Party.MERCHANT, Party.CREATOR, Party.SYSTEM, Party.OPERATOR

# SPEC §3 and §7 written out by hand: (state, party) -> the actions that party may take.
EXPECTED = {
    (TaskState.INVITED, C): {TaskAction.ACCEPT, TaskAction.DECLINE},
    # 议价: the merchant answers a counter-offer (the services also need one to exist).
    (TaskState.INVITED, M): {
        TaskAction.CANCEL,
        TaskAction.ACCEPT_COUNTER,
        TaskAction.DECLINE_COUNTER,
    },
    (TaskState.INVITED, S): {TaskAction.EXPIRE},
    (TaskState.ACCEPTED, M): {TaskAction.SHIP_SAMPLE, TaskAction.CANCEL},
    (TaskState.ACCEPTED, C): {TaskAction.CANCEL_LATE_SHIPPING},
    (TaskState.ACCEPTED, S): {TaskAction.AUTO_CANCEL},
    (TaskState.SHIPPED, C): {TaskAction.CONFIRM_RECEIPT, TaskAction.OPEN_DISPUTE},
    (TaskState.SHIPPED, M): {TaskAction.OPEN_DISPUTE},
    (TaskState.SHIPPED, S): {TaskAction.AUTO_RECEIPT},
    (TaskState.RECEIVED, C): {TaskAction.REPORT_LIVE, TaskAction.OPEN_DISPUTE},
    (TaskState.RECEIVED, M): {TaskAction.CANCEL_LATE_LIVE, TaskAction.OPEN_DISPUTE},
    (TaskState.RECEIVED, S): {TaskAction.AUTO_CANCEL},
    (TaskState.LIVE_REPORTED, M): {TaskAction.CONFIRM_COMPLETION, TaskAction.OPEN_DISPUTE},
    (TaskState.LIVE_REPORTED, C): {TaskAction.OPEN_DISPUTE},
    (TaskState.LIVE_REPORTED, S): {TaskAction.AUTOCOMPLETE},
    (TaskState.DISPUTED, S): {TaskAction.DECIDE_DISPUTE},
    (TaskState.DISPUTED, OP): {TaskAction.DECIDE_DISPUTE},
}
TARGET = {
    TaskAction.ACCEPT: TaskState.ACCEPTED,
    TaskAction.DECLINE: TaskState.DECLINED,
    TaskAction.ACCEPT_COUNTER: TaskState.ACCEPTED,
    TaskAction.DECLINE_COUNTER: TaskState.DECLINED,
    TaskAction.CANCEL: TaskState.CANCELLED,
    TaskAction.SHIP_SAMPLE: TaskState.SHIPPED,
    TaskAction.CONFIRM_RECEIPT: TaskState.RECEIVED,
    TaskAction.REPORT_LIVE: TaskState.LIVE_REPORTED,
    TaskAction.CONFIRM_COMPLETION: TaskState.COMPLETED,
    TaskAction.EXPIRE: TaskState.EXPIRED,
    TaskAction.AUTOCOMPLETE: TaskState.COMPLETED,
    TaskAction.AUTO_RECEIPT: TaskState.RECEIVED,
    TaskAction.CANCEL_LATE_SHIPPING: TaskState.CANCELLED,
    TaskAction.CANCEL_LATE_LIVE: TaskState.CANCELLED,
    TaskAction.AUTO_CANCEL: TaskState.CANCELLED,
    TaskAction.OPEN_DISPUTE: TaskState.DISPUTED,
    TaskAction.DECIDE_DISPUTE: TaskState.RESOLVED,
}
PEOPLE_ACTIONS = [
    a
    for a in TaskAction
    if a != TaskAction.CREATE and a in TRANSITIONS and TRANSITIONS[a].parties & {M, C}
]
COUNTER_ANSWERS = (TaskAction.ACCEPT_COUNTER, TaskAction.DECLINE_COUNTER)
# Taken by the clock (the dispute decision of an operator is tested in test_disputes.py).
SYSTEM_ACTIONS = [
    TaskAction.EXPIRE,
    TaskAction.AUTOCOMPLETE,
    TaskAction.AUTO_RECEIPT,
    TaskAction.AUTO_CANCEL,
    TaskAction.DECIDE_DISPUTE,
]
ACTORS = ["merchant", "creator", "other_merchant", "other_creator", "system"]


@pytest.mark.parametrize("state", list(TaskState))
@pytest.mark.parametrize("party", list(Party))
def test_the_table_is_exactly_spec_section_3(state, party):
    assert set(allowed_actions(state, party)) == EXPECTED.get((state, party), set())


def test_every_action_has_its_target_and_closed_states_are_final():
    assert {a: t.target for a, t in TRANSITIONS.items()} == TARGET
    for state in (
        TaskState.COMPLETED,
        TaskState.DECLINED,
        TaskState.CANCELLED,
        TaskState.EXPIRED,
        TaskState.RESOLVED,
    ):
        for party in Party:
            assert allowed_actions(state, party) == []


def test_the_clock_actions_have_no_url():
    # Nobody can expire or autocomplete a task by posting to the site.
    # 议价 is not a move of the state machine (the task stays invited) but has its form.
    assert set(ACTION_SLUGS) == {*PEOPLE_ACTIONS, TaskAction.COUNTER_OFFER}


def _run(action, task, user):
    # Past every deadline (and a breach's grace) of a task made today, planned in 7 days.
    later = timezone.now() + timedelta(days=30)
    if action == TaskAction.ACCEPT:
        return services.task_accept(task=task, actor=user)
    if action == TaskAction.DECLINE:
        return services.task_decline(task=task, actor=user, reason="没档期")
    if action == TaskAction.CANCEL:
        return services.task_cancel(task=task, actor=user, reason="不做了")
    if action == TaskAction.ACCEPT_COUNTER:
        return counter_services.task_accept_counter(task=task, actor=user)
    if action == TaskAction.DECLINE_COUNTER:
        return counter_services.task_decline_counter(task=task, actor=user, reason="预算不够")
    if action == TaskAction.SHIP_SAMPLE:
        return services.task_ship_sample(
            task=task, actor=user, carrier="中通快递", tracking_no="ZT998877665"
        )
    if action == TaskAction.CONFIRM_RECEIPT:
        return services.task_confirm_receipt(task=task, actor=user)
    if action == TaskAction.REPORT_LIVE:
        return services.task_report_live(
            task=task, actor=user, live_at=timezone.now(), replay_url="https://x.example/r"
        )
    if action == TaskAction.CONFIRM_COMPLETION:
        return services.task_confirm_completion(task=task, actor=user)
    if action == TaskAction.EXPIRE:
        return services.task_expire(task=task, now=later)
    if action == TaskAction.AUTOCOMPLETE:
        return services.task_autocomplete(task=task, now=later)
    if action == TaskAction.AUTO_RECEIPT:
        return services.task_auto_receipt(task=task, now=later)
    if action == TaskAction.AUTO_CANCEL:
        return services.task_auto_cancel(task=task, now=later)
    if action in (TaskAction.CANCEL_LATE_SHIPPING, TaskAction.CANCEL_LATE_LIVE):
        return services.task_cancel_late(
            task=task, actor=user, reason="逾期", action=action, now=later
        )
    if action == TaskAction.OPEN_DISPUTE:
        return dispute_services.dispute_open(
            task=task, actor=user, reason="other", statement="有争议"
        )
    if action == TaskAction.DECIDE_DISPUTE:
        try:
            return dispute_services.dispute_lapse(task=task, now=later)
        except dispute_services.DisputeError as exc:
            # No open dispute on a task not in dispute: refused like any illegal move.
            raise services.IllegalTransition(exc.message) from exc
    raise AssertionError(action)


def _snapshot(task):
    task.refresh_from_db()
    creator = Creator.objects.get(pk=task.creator_id)
    return (
        task.state,
        {f: getattr(task, f) for f in STATE_TIMESTAMP.values()},
        task.transitions.count(),
        Posting.objects.count(),
        list(EscrowHold.objects.values_list("status", flat=True)),
        creator.completed_tasks,
    )


@pytest.mark.parametrize("state", list(TaskState))
@pytest.mark.parametrize("action", PEOPLE_ACTIONS + SYSTEM_ACTIONS)
def test_every_state_action_actor(state, action, merchant, creator, other_merchant, other_creator):
    """One task per (state, action); every actor tries; refusals first, as they change nothing.

    Clock actions take no actor (and have no URL, see above): only the system tries them.
    """
    task = make_task(merchant=merchant, creator=creator, state=state)
    if action in COUNTER_ANSWERS and state == TaskState.INVITED:
        counter_services.task_counter(
            task=task,
            actor=creator,
            slot_fee=task.slot_fee - 100,
            mode=task.mode,
            planned_live_date=task.planned_live_date,
        )
    users = {
        "merchant": merchant,
        "creator": creator,
        "other_merchant": other_merchant,
        "other_creator": other_creator,
        "system": None,
    }
    parties = {"merchant": M, "creator": C, "system": S}
    actors = ["system"] if action in SYSTEM_ACTIONS else ACTORS
    allowed = [w for w in actors if action in EXPECTED.get((state, parties.get(w)), set())]
    # Either side may open a dispute; every other action has one party.
    assert len(allowed) <= (2 if action == TaskAction.OPEN_DISPUTE else 1)
    for who in [w for w in actors if w not in allowed]:
        before = _snapshot(task)
        with pytest.raises(services.IllegalTransition) as exc:
            _run(action, task, users[who])
        assert exc.value.message, who
        assert _snapshot(task) == before, f"a refused {action} by {who} changed something"
    if not allowed:
        return
    actor = users[allowed[0]]
    before = _snapshot(task)
    _run(action, task, actor)
    task.refresh_from_db()
    assert task.state == TARGET[action]
    assert getattr(task, STATE_TIMESTAMP[task.state]) is not None
    last = TaskTransition.objects.filter(task=task).order_by("-at", "-pk").first()
    assert (last.action, last.from_state, last.to_state) == (action, state, TARGET[action])
    assert last.actor_id == (actor.pk if actor else None)
    assert task.transitions.count() == before[2] + 1
    # Doing it again is refused and changes nothing (a double click does one thing).
    after = _snapshot(task)
    with pytest.raises(services.IllegalTransition):
        _run(action, task, actor)
    assert _snapshot(task) == after
