"""最低履约率 on 定向计划 and sample quotas: told before applying/asking, 新达人 never meets it,
bad input refused with a message and nothing changed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from cooperation.models import CreatorScorecard, PlanKind, PromotionPlan, SampleQuota
from cooperation.selectors.samples import sample_eligibility
from cooperation.services.plans import plan_apply, plan_create
from cooperation.services.samples import sample_quota_set, sample_request_create
from hotwave.exceptions import DomainError
from tests.cooperation.factories import ProductFactory, admit

pytestmark = pytest.mark.django_db

LIVE = timezone.localdate() + timedelta(days=5)


def scorecard(creator, rate, completed=10):
    now = timezone.now()
    return CreatorScorecard.objects.create(
        creator=creator,
        period_start=now - timedelta(days=90),
        period_end=now,
        computed_at=now,
        tasks_completed=completed,
        tasks_counted=completed,
        tasks_fulfilled=completed,
        fulfilment_rate=rate,
    )


@pytest.fixture
def product(merchant, creator, other_creator):
    admit(merchant, creator, other_creator)
    for user in (creator, other_creator):
        user.creator.level, user.creator.fans = 3, 50_000
        user.creator.save()
    return ProductFactory(merchant=merchant.merchant, service_fee_rate=Decimal("0.2000"))


def targeted(merchant, product, min_fulfilment):
    return plan_create(
        merchant=merchant.merchant,
        product=product,
        kind=PlanKind.TARGETED,
        rate=Decimal("0.35"),
        min_fulfilment=min_fulfilment,
    )


def test_plan_rate_met_below_and_new(product, merchant, creator, other_creator):
    plan = targeted(merchant, product, Decimal("0.9"))
    # 19 of 20 fulfilled = 95% ≥ 90%: applies.
    scorecard(creator.creator, Decimal("0.9500"))
    assert plan_apply(plan=plan, creator=creator.creator).pk
    # 8 of 10 = 80% < 90%: refused with both numbers.
    card = scorecard(other_creator.creator, Decimal("0.8000"))
    with pytest.raises(DomainError) as exc:
        plan_apply(plan=plan, creator=other_creator.creator)
    assert exc.value.reasons == ["需要履约率 90% 及以上，你目前是 80%。"]
    # Shown 新达人 (2 completed, no rate): does not meet it, and is told why.
    card.tasks_completed, card.fulfilment_rate = 2, None
    card.save()
    other_creator.creator.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        plan_apply(plan=plan, creator=other_creator.creator)
    assert "新达人" in exc.value.reasons[0] and "还没有履约率" in exc.value.reasons[0]
    assert plan.applications.count() == 1


def test_no_scorecard_yet_is_new_and_exactly_at_the_threshold_meets_it(
    product, merchant, creator, other_creator
):
    plan = targeted(merchant, product, Decimal("0.9"))
    with pytest.raises(DomainError) as exc:
        plan_apply(plan=plan, creator=other_creator.creator)
    assert "新达人" in exc.value.reasons[0]
    scorecard(creator.creator, Decimal("0.9000"))
    assert plan_apply(plan=plan, creator=creator.creator).pk


def test_creator_is_told_before_applying(client_for, product, merchant, other_creator):
    targeted(merchant, product, Decimal("0.925"))
    scorecard(other_creator.creator, Decimal("0.8000"))
    page = (
        client_for(other_creator)
        .get(reverse("cooperation:product_plans_for_creator", args=[product.pk]))
        .content.decode()
    )
    assert "履约率 92.5% 及以上" in page
    assert "需要履约率 92.5% 及以上，你目前是 80%。" in page


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("101", "最低履约率最高是 100%"),
        ("-5", "最低履约率不能是负数"),
        ("很高", "最低履约率请输入 0 到 100 之间的数字"),
        ("90.55", "最低履约率最多一位小数"),
    ],
)
def test_plan_form_refuses_bad_rates(client_for, product, merchant, value, message):
    url = reverse("cooperation:product_plans", args=[product.pk])
    response = client_for(merchant).post(
        url, {"kind": "targeted", "rate_percent": "30", "min_fulfilment_percent": value}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not PromotionPlan.objects.exists()


def test_plan_form_stores_a_fraction(client_for, product, merchant):
    url = reverse("cooperation:product_plans", args=[product.pk])
    client_for(merchant).post(
        url, {"kind": "targeted", "rate_percent": "30", "min_fulfilment_percent": "92.5"}
    )
    assert PromotionPlan.objects.get().min_fulfilment == Decimal("0.9250")


def test_service_refuses_out_of_range_and_non_numeric(product, merchant):
    for bad in (Decimal("1.01"), Decimal("-0.1"), Decimal("NaN"), "0.9", Decimal("0.9255")):
        with pytest.raises(DomainError):
            targeted(merchant, product, bad)
        with pytest.raises(DomainError):
            sample_quota_set(
                merchant=merchant.merchant, product=product, quota=3, min_fulfilment=bad
            )
    assert not PromotionPlan.objects.exists() and not SampleQuota.objects.exists()


def test_open_plan_ignores_the_threshold(product, merchant):
    plan = plan_create(
        merchant=merchant.merchant,
        product=product,
        kind=PlanKind.OPEN,
        rate=Decimal("0.25"),
        min_fulfilment=Decimal("0.9"),
    )
    assert plan.min_fulfilment == 0


def test_sample_quota_threshold(client_for, product, merchant, creator, other_creator):
    sample_quota_set(
        merchant=merchant.merchant, product=product, quota=3, min_fulfilment=Decimal("0.9")
    )
    scorecard(creator.creator, Decimal("0.9600"))
    assert sample_eligibility(product=product, creator=creator.creator).reasons == []
    assert sample_request_create(
        creator=creator.creator, product=product, planned_live_date=LIVE
    ).pk
    page = (
        client_for(other_creator)
        .get(reverse("cooperation:product_plans_for_creator", args=[product.pk]))
        .content.decode()
    )
    assert "新达人" in page and "还没有履约率" in page and "申请免费样品" not in page
    with pytest.raises(DomainError) as exc:
        sample_request_create(
            creator=other_creator.creator, product=product, planned_live_date=LIVE
        )
    assert any("新达人" in r for r in exc.value.reasons)


def test_sample_quota_form(client_for, product, merchant):
    url = reverse("cooperation:product_samples", args=[product.pk])
    bad = client_for(merchant).post(url, {"quota": "3", "min_fulfilment_percent": "120"})
    assert bad.status_code == 400 and "最低履约率最高是 100%" in bad.content.decode()
    assert not SampleQuota.objects.exists()
    client_for(merchant).post(url, {"quota": "3", "min_fulfilment_percent": "90"})
    assert SampleQuota.objects.get().min_fulfilment == Decimal("0.9000")
    assert 'value="90.0"' in client_for(merchant).get(url).content.decode()
