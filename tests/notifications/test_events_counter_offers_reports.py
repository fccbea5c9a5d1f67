"""The kinds added for counter-offers (议价) and report decisions, each from its real event."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import translation

from conversations import services as conversations
from cooperation.models import SlotFeeMode
from cooperation.services.counter_offers import (
    task_accept_counter,
    task_counter,
    task_decline_counter,
)
from notifications.kinds import Kind
from notifications.models import Notification, OutboxEmail
from tests.admission.factories import OperatorFactory
from tests.cooperation.task_factories import make_task
from workbench.operator_group import OPERATORS, ensure_operator_group

pytestmark = pytest.mark.django_db


def only(user, kind) -> Notification:
    return Notification.objects.get(recipient=user, kind=kind)


def _counter(task, creator):
    return task_counter(
        task=task,
        actor=creator,
        slot_fee=Decimal("800.00"),
        mode=SlotFeeMode.FIXED,
        planned_live_date=task.planned_live_date + timedelta(days=3),
    )


def test_a_counter_offer_tells_the_merchant_and_its_answer_tells_the_creator(merchant, creator):
    creator.email = "carol@example.com"
    creator.save(update_fields=["email"])
    task = make_task(merchant=merchant, creator=creator)
    _counter(task, creator)
    received = only(merchant, Kind.COUNTER_OFFER_RECEIVED)
    assert received.url == reverse("cooperation:task_detail", args=[task.pk])
    assert "卡萝" in received.message and "¥800.00" in received.message
    assert task.reference in received.message
    task_accept_counter(task=task, actor=merchant)
    accepted = only(creator, Kind.COUNTER_OFFER_ACCEPTED)
    assert "爱丽丝的店" in accepted.message and "¥800.00" in accepted.message
    assert not Notification.objects.filter(kind=Kind.COUNTER_OFFER_DECLINED).exists()
    # Emailed now by default, once per event.
    key = f"event:{creator.pk}:task:{task.pk}:counter_offer_accepted"
    assert OutboxEmail.objects.filter(key=key).count() == 1


def test_a_declined_counter_offer_tells_the_creator(merchant, creator):
    task = make_task(merchant=merchant, creator=creator)
    _counter(task, creator)
    task_decline_counter(task=task, actor=merchant, reason="预算不够")
    declined = only(creator, Kind.COUNTER_OFFER_DECLINED)
    assert "爱丽丝的店" in declined.message and "邀请已结束" in declined.message
    with translation.override("en"):
        assert "declined" in declined.message.lower()


def test_the_reporter_is_told_the_operators_decision(merchant, creator):
    from django.apps import apps

    ensure_operator_group(apps, None)
    ops = OperatorFactory(username="ops_reports", is_superuser=False)
    ops.groups.add(Group.objects.get(name=OPERATORS))
    thread = conversations.thread_for_task(task=make_task(merchant=merchant, creator=creator))
    report = conversations.report_create(thread=thread, actor=creator, reason="spam")
    assert not Notification.objects.filter(kind=Kind.REPORT_DECIDED).exists()
    conversations.report_decide(report_id=report.pk, operator=ops, outcome="warned", note="已提醒")
    note = only(creator, Kind.REPORT_DECIDED)
    assert note.url == reverse("conversations:thread", args=[thread.pk])
    assert "爱丽丝的店" in note.message and "已警告" in note.message
    with translation.override("en"):
        assert "已警告" not in note.message
    assert not Notification.objects.filter(recipient=merchant, kind=Kind.REPORT_DECIDED).exists()


def test_the_preferences_page_lists_the_new_kinds(merchant, client_for):
    html = client_for(merchant).get(reverse("notifications:preferences")).content.decode()
    for label in ("收到议价", "议价已接受", "议价被拒绝", "举报已处理"):
        assert label in html
