"""The notification kinds of plans, sample requests, rate cuts and payout results,
each produced by its real event (the services that own them), once per event."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from cooperation.models import CartItem, PlanKind
from cooperation.services.plans import application_decide, plan_apply, plan_create, plan_set_rate
from cooperation.services.samples import sample_decide, sample_quota_set, sample_request_create
from notifications.kinds import Kind
from notifications.models import Notification
from settlement.models import Payout
from tests.cooperation.factories import ProductFactory, admit
from tests.settlement.factories import payable
from tests.settlement.test_payouts import DAY, _export, _results, _settle_order

pytestmark = pytest.mark.django_db
T0 = timezone.now().replace(microsecond=0) - timedelta(days=2)


def notes(user, kind) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind=kind).order_by("pk"))


@pytest.fixture
def product(merchant, creator, other_creator):
    admit(merchant, creator, other_creator)
    creator.creator.level, creator.creator.fans = 3, 50_000
    creator.creator.save()
    return ProductFactory(merchant=merchant.merchant, title="露营椅", price=Decimal("169.00"))


def test_plan_application_answered_each_time_it_is_answered(merchant, creator, product):
    plan = plan_create(
        merchant=merchant.merchant, product=product, kind=PlanKind.TARGETED, rate=Decimal("0.30")
    )
    application = plan_apply(plan=plan, creator=creator.creator, now=T0)
    application_decide(application=application, approve=False, reason="类目不符", now=T0)
    (declined,) = notes(creator, Kind.PLAN_APPLICATION_ANSWERED)
    assert "露营椅" in declined.message and "已拒绝" in declined.message
    assert declined.url == reverse("cooperation:product_plans_for_creator", args=[product.pk])
    # Applying again after a decline is a new round: its answer is a new notification.
    application = plan_apply(plan=plan, creator=creator.creator, now=T0 + timedelta(hours=1))
    application_decide(application=application, approve=True, now=T0 + timedelta(hours=2))
    answers = notes(creator, Kind.PLAN_APPLICATION_ANSWERED)
    assert len(answers) == 2 and "已通过" in answers[1].message
    assert not notes(merchant, Kind.PLAN_APPLICATION_ANSWERED)


def test_sample_request_answered_links_the_new_task(merchant, creator, product):
    sample_quota_set(merchant=merchant.merchant, product=product, quota=2)
    live = timezone.localdate() + timedelta(days=5)
    request = sample_request_create(
        creator=creator.creator, product=product, planned_live_date=live
    )
    request = sample_decide(request=request, approve=True)
    (answer,) = notes(creator, Kind.SAMPLE_REQUEST_ANSWERED)
    assert "露营椅" in answer.message and "已通过" in answer.message
    assert answer.url == reverse("cooperation:task_detail", args=[request.task_id])


def test_sample_request_declined(merchant, creator, product):
    sample_quota_set(merchant=merchant.merchant, product=product, quota=2)
    live = timezone.localdate() + timedelta(days=5)
    request = sample_request_create(
        creator=creator.creator, product=product, planned_live_date=live
    )
    sample_decide(request=request, approve=False, reason="档期已满")
    (answer,) = notes(creator, Kind.SAMPLE_REQUEST_ANSWERED)
    assert "已拒绝" in answer.message


def test_a_rate_cut_tells_the_creators_carrying_the_product_and_a_raise_does_not(
    merchant, creator, other_creator, product, settings
):
    settings.COOPERATION_PLAN_RATE_CUT_NOTICE_HOURS = 24
    plan = plan_create(
        merchant=merchant.merchant,
        product=product,
        kind=PlanKind.OPEN,
        rate=Decimal("0.30"),
        now=T0,
    )
    CartItem.objects.create(creator=creator.creator, product=product)
    plan_set_rate(plan=plan, rate=Decimal("0.35"), now=T0 + timedelta(hours=1))  # a raise
    assert not Notification.objects.filter(kind=Kind.RATE_CUT_ANNOUNCED).exists()
    row = plan_set_rate(plan=plan, rate=Decimal("0.25"), now=T0 + timedelta(hours=2))
    (cut,) = notes(creator, Kind.RATE_CUT_ANNOUNCED)
    assert "露营椅" in cut.message and "35%" in cut.message and "25%" in cut.message
    effective = timezone.localtime(row.effective_from).strftime("%Y-%m-%d %H:%M")
    assert effective in cut.message
    assert not notes(other_creator, Kind.RATE_CUT_ANNOUNCED)  # nothing of it in its cart


def test_payout_failed_then_made_once_each(tmp_path, merchant, creator):
    payable(creator)
    _settle_order(merchant, creator, "P-1", DAY)
    _export(tmp_path, DAY)
    item = Payout.objects.get()
    text = f"item_id,status,reason\n{item.pk},失败,收款账户户名不符\n"
    for _ in range(2):  # the same file twice: duplicates, no second notification
        _results(tmp_path, text)
    (failed,) = notes(creator, Kind.PAYOUT_FAILED)
    assert "¥12.00" in failed.message and "收款账户户名不符" in failed.message
    assert failed.url == reverse("settlement:fund_account")
    assert not notes(creator, Kind.PAYOUT_MADE)


def test_payout_made_once(tmp_path, merchant, creator):
    payable(creator)
    _settle_order(merchant, creator, "P-1", DAY)
    _export(tmp_path, DAY)
    item = Payout.objects.get()
    for _ in range(2):
        _results(tmp_path, f"item_id,status,reason\n{item.pk},成功,\n")
    (made,) = notes(creator, Kind.PAYOUT_MADE)
    assert "¥12.00" in made.message
    assert not notes(creator, Kind.PAYOUT_FAILED)
