"""Every notification kind that exists on main today, produced by its real event."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from admission import services as admission_services
from admission.models import Creator
from cooperation.models import TaskState
from cooperation.services import disputes
from cooperation.services.clock import cooperation_tick
from notifications.kinds import Kind
from notifications.models import Notification
from settlement.services import binding_invites
from settlement.services.settle import settle_through
from tests.admission.factories import CreatorFactory, OperatorFactory, sign_agreement
from tests.cooperation.task_factories import make_task
from tests.settlement.test_payout_holds import OCT, sell
from workbench.operator_group import OPERATORS, ensure_operator_group

pytestmark = pytest.mark.django_db


def kinds_of(user) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user).order_by("pk").values_list("kind", flat=True)
    )


def only(user, kind) -> Notification:
    return Notification.objects.get(recipient=user, kind=kind)


def test_invitation_received_then_accepted(merchant, creator):
    task = make_task(merchant=merchant, creator=creator, state=TaskState.ACCEPTED)
    received = only(creator, Kind.INVITATION_RECEIVED)
    assert received.url == reverse("cooperation:task_detail", args=[task.pk])
    assert task.reference in received.message and "爱丽丝的店" in received.message
    assert "¥1,000.00" in received.message
    accepted = only(merchant, Kind.INVITATION_ACCEPTED)
    assert "卡萝" in accepted.message
    assert kinds_of(merchant) == [Kind.INVITATION_ACCEPTED]


def test_invitation_declined(merchant, creator):
    make_task(merchant=merchant, creator=creator, state=TaskState.DECLINED)
    assert kinds_of(merchant) == [Kind.INVITATION_DECLINED]


def test_invitation_expired_tells_both_sides_once(merchant, creator):
    task = make_task(merchant=merchant, creator=creator)
    cooperation_tick(now=task.created_at + timedelta(hours=73))
    cooperation_tick(now=task.created_at + timedelta(hours=74))
    assert kinds_of(merchant) == [Kind.INVITATION_EXPIRED]
    assert kinds_of(creator) == [Kind.INVITATION_RECEIVED, Kind.INVITATION_EXPIRED]


def test_sample_shipped_carries_the_tracking_number(merchant, creator):
    make_task(merchant=merchant, creator=creator, state=TaskState.SHIPPED)
    assert "SF1234567890" in only(creator, Kind.SAMPLE_SHIPPED).message


def test_deadline_soon_and_breached_from_the_tick_once_each(merchant, creator):
    task = make_task(merchant=merchant, creator=creator, state=TaskState.ACCEPTED)
    for _ in range(2):
        cooperation_tick(now=task.ship_by - timedelta(hours=23))
    soon = only(merchant, Kind.DEADLINE_SOON)
    assert task.reference in soon.message and "寄出样品" in soon.message
    assert not Notification.objects.filter(recipient=creator, kind=Kind.DEADLINE_SOON).exists()
    for _ in range(2):
        cooperation_tick(now=task.ship_by + timedelta(hours=1))
    # The merchant missed it; the creator may now cancel: both are told, once.
    only(merchant, Kind.DEADLINE_BREACHED)
    only(creator, Kind.DEADLINE_BREACHED)


@pytest.fixture
def ops(db):
    from django.apps import apps

    ensure_operator_group(apps, None)
    user = OperatorFactory(username="ops_notify", is_superuser=False)
    user.groups.add(Group.objects.get(name=OPERATORS))
    return user


def test_dispute_opened_answered_decided(merchant, creator, ops):
    task = make_task(merchant=merchant, creator=creator, state=TaskState.DISPUTED)
    opened = only(merchant, Kind.DISPUTE_OPENED)  # the creator opened it: the merchant is told
    assert "达人" in opened.message and task.reference in opened.message
    disputes.dispute_answer(task=task, actor=merchant, answer="样品与约定一致，有照片。")
    only(creator, Kind.DISPUTE_ANSWERED)
    disputes.dispute_decide(
        task=task.pk, actor=ops, outcome="split", percent="60", note="各担一部分"
    )
    for user in (merchant, creator):
        assert "按比例分配" in only(user, Kind.DISPUTE_DECIDED).message


def test_binding_invited_accepted_ended(agency, creator):
    sign_agreement(agency)
    sign_agreement(creator)
    binding, _ = binding_invites.invitation_send(
        actor=agency, creator=creator.creator, agency_share=Decimal("0.30")
    )
    invited = only(creator, Kind.BINDING_INVITED)
    assert "艾琳传媒" in invited.message and "30%" in invited.message
    assert invited.url == reverse("settlement:binding_detail", args=[binding.pk])
    binding_invites.invitation_accept(actor=creator, binding=binding)
    assert "卡萝" in only(agency, Kind.BINDING_ACCEPTED).message
    binding.refresh_from_db()
    binding_invites.binding_terminate(actor=creator, binding=binding)
    assert "卡萝" in only(agency, Kind.BINDING_ENDED).message
    assert not Notification.objects.filter(recipient=creator, kind=Kind.BINDING_ENDED).exists()


def test_admission_verdict_changed_by_an_operator(operator):
    creator = CreatorFactory(alipay_verified=False).user
    sign_agreement(creator)
    admission_services.flags_set(
        operator=operator,
        profiles=Creator.objects.filter(pk=creator.pk),
        field="alipay_verified",
        value=True,
    )
    note = only(creator, Kind.ADMISSION_CHANGED)
    assert "已准入" in note.message and note.url == reverse("admission:center")
    # A change that does not turn the verdict around says nothing.
    admission_services.flags_set(
        operator=operator,
        profiles=Creator.objects.filter(pk=creator.pk),
        field="alipay_verified",
        value=True,
    )
    assert kinds_of(creator) == [Kind.ADMISSION_CHANGED]


@pytest.mark.parametrize("kernel", ["python", "sql"])
def test_payout_held_once_a_month(merchant, creator, kernel, settings):
    if kernel == "sql" and not settings.IS_POSTGRES:
        pytest.skip("the set-based kernel runs on PostgreSQL")
    sign_agreement(creator)
    sell(merchant, creator)
    settle_through(business_date=OCT, kernel=kernel)
    settle_through(business_date=OCT, kernel=kernel)
    held = only(creator, Kind.PAYOUT_HELD)
    assert "¥12.00" in held.message and "收款账户" in held.message
    assert held.url == reverse("settlement:fund_account")
    assert timezone.now() - held.created_at < timedelta(minutes=5)
