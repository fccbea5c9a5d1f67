"""推广计划 services: publishing, the best rate, rate cuts at the exact second, applications."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from cooperation.models import ApplicationStatus, PlanKind, PlanRate, Product, PromotionPlan
from cooperation.selectors.plans import best_rate_for, with_best_rate
from cooperation.services.plans import (
    application_decide,
    plan_apply,
    plan_create,
    plan_end,
    plan_set_rate,
)
from hotwave.exceptions import DomainError
from tests.cooperation.factories import ProductFactory, admit

pytestmark = pytest.mark.django_db

T0 = timezone.now().replace(microsecond=0) - timedelta(days=3)


@pytest.fixture
def world(merchant, creator, other_creator):
    admit(merchant, creator, other_creator)
    creator.creator.level, creator.creator.fans = 3, 50_000
    creator.creator.save()
    other_creator.creator.level, other_creator.creator.fans = 1, 800
    other_creator.creator.save()
    product = ProductFactory(merchant=merchant.merchant, service_fee_rate=Decimal("0.2000"))
    return product


def rate(creator, product, at=None):
    return best_rate_for(creator=creator.creator, product=product, at=at)


def test_without_a_plan_the_product_rate_applies(world, creator):
    assert rate(creator, world) == Decimal("0.2000")


def test_open_plan_applies_to_everyone(world, merchant, creator, other_creator):
    plan_create(merchant=merchant.merchant, product=world, kind=PlanKind.OPEN, rate=Decimal("0.25"))
    assert rate(creator, world) == Decimal("0.2500")
    assert rate(other_creator, world) == Decimal("0.2500")


def test_targeted_plan_needs_an_approved_application(world, merchant, creator, other_creator):
    plan = plan_create(
        merchant=merchant.merchant,
        product=world,
        kind=PlanKind.TARGETED,
        rate=Decimal("0.35"),
        min_level=2,
        min_fans=10_000,
        now=T0,
    )
    assert rate(creator, world) == Decimal("0.2000")
    application = plan_apply(plan=plan, creator=creator.creator, now=T0 + timedelta(hours=1))
    assert rate(creator, world) == Decimal("0.2000")  # waiting: not yet
    application_decide(application=application, approve=True, now=T0 + timedelta(hours=2))
    assert rate(creator, world) == Decimal("0.3500")
    assert rate(creator, world, at=T0 + timedelta(hours=1)) == Decimal("0.2000")
    assert rate(other_creator, world) == Decimal("0.2000")


def test_below_the_thresholds_is_told_each_reason_and_nothing_is_written(
    world, merchant, other_creator
):
    plan = plan_create(
        merchant=merchant.merchant,
        product=world,
        kind=PlanKind.TARGETED,
        rate=Decimal("0.35"),
        min_level=2,
        min_fans=10_000,
    )
    with pytest.raises(DomainError) as exc:
        plan_apply(plan=plan, creator=other_creator.creator)
    assert exc.value.code == "plan.threshold"
    assert len(exc.value.reasons) == 2
    assert not plan.applications.exists()


def test_decline_needs_a_reason_and_a_second_answer_changes_nothing(world, merchant, creator):
    plan = plan_create(
        merchant=merchant.merchant, product=world, kind=PlanKind.TARGETED, rate=Decimal("0.30")
    )
    application = plan_apply(plan=plan, creator=creator.creator)
    with pytest.raises(DomainError):
        application_decide(application=application, approve=False, reason="  ")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING
    application_decide(application=application, approve=False, reason="类目不符")
    with pytest.raises(DomainError) as exc:
        application_decide(application=application, approve=True)
    assert exc.value.code == "plan.decided"
    application.refresh_from_db()
    assert (application.status, application.reason) == (ApplicationStatus.DECLINED, "类目不符")
    assert rate(creator, world) == Decimal("0.2000")


def test_exclusive_plan_is_for_its_creator_only(world, merchant, creator, other_creator):
    plan_create(
        merchant=merchant.merchant,
        product=world,
        kind=PlanKind.EXCLUSIVE,
        rate=Decimal("0.40"),
        creator=creator.creator,
    )
    assert rate(creator, world) == Decimal("0.4000")
    assert rate(other_creator, world) == Decimal("0.2000")


def test_best_of_several_plans_wins(world, merchant, creator):
    plan_create(merchant=merchant.merchant, product=world, kind=PlanKind.OPEN, rate=Decimal("0.22"))
    plan_create(
        merchant=merchant.merchant,
        product=world,
        kind=PlanKind.EXCLUSIVE,
        rate=Decimal("0.31"),
        creator=creator.creator,
    )
    assert rate(creator, world) == Decimal("0.3100")


def test_a_raise_is_in_force_at_once(world, merchant, creator):
    plan = plan_create(
        merchant=merchant.merchant, product=world, kind=PlanKind.OPEN, rate=Decimal("0.25"), now=T0
    )
    at = T0 + timedelta(hours=5)
    plan_set_rate(plan=plan, rate=Decimal("0.30"), now=at)
    assert rate(creator, world, at=at) == Decimal("0.3000")
    assert rate(creator, world, at=at - timedelta(seconds=1)) == Decimal("0.2500")


def test_a_cut_takes_effect_after_the_notice_at_the_exact_second(
    world, merchant, creator, settings
):
    settings.COOPERATION_PLAN_RATE_CUT_NOTICE_HOURS = 24
    plan = plan_create(
        merchant=merchant.merchant, product=world, kind=PlanKind.OPEN, rate=Decimal("0.30"), now=T0
    )
    announced = T0 + timedelta(hours=1)
    row = plan_set_rate(plan=plan, rate=Decimal("0.10"), now=announced)
    effective = announced + timedelta(hours=24)
    assert row.effective_from == effective
    assert rate(creator, world, at=effective - timedelta(seconds=1)) == Decimal("0.3000")
    assert rate(creator, world, at=effective) == Decimal("0.1000")
    # Announced but not in force: the creator sees the cut coming.
    pending = with_best_rate(
        Product.objects.filter(pk=world.pk), creator=creator.creator, at=announced
    ).get()
    assert pending.rate_cut_pending is True
    after = with_best_rate(
        Product.objects.filter(pk=world.pk), creator=creator.creator, at=effective
    ).get()
    assert after.rate_cut_pending is False


def test_a_new_announcement_replaces_a_cut_not_yet_in_force(world, merchant, creator):
    plan = plan_create(
        merchant=merchant.merchant, product=world, kind=PlanKind.OPEN, rate=Decimal("0.30"), now=T0
    )
    plan_set_rate(plan=plan, rate=Decimal("0.10"), now=T0 + timedelta(hours=1))
    plan_set_rate(plan=plan, rate=Decimal("0.30"), now=T0 + timedelta(hours=2))  # withdrawn
    assert list(PlanRate.objects.filter(plan=plan).values_list("rate", flat=True)) == [
        Decimal("0.3000")
    ]
    assert rate(creator, world, at=T0 + timedelta(days=2)) == Decimal("0.3000")


def test_ending_a_plan_is_a_cut_with_notice(world, merchant, creator, settings):
    settings.COOPERATION_PLAN_RATE_CUT_NOTICE_HOURS = 24
    plan = plan_create(
        merchant=merchant.merchant, product=world, kind=PlanKind.OPEN, rate=Decimal("0.30"), now=T0
    )
    plan_end(plan=plan, now=T0 + timedelta(hours=1))
    end = T0 + timedelta(hours=25)
    assert rate(creator, world, at=end - timedelta(seconds=1)) == Decimal("0.3000")
    assert rate(creator, world, at=end) == Decimal("0.2000")


@pytest.mark.parametrize("bad", ["0.0099", "0.8001", "-0.2", "NaN"])
def test_rates_outside_1_to_80_percent_are_refused_and_nothing_changes(world, merchant, bad):
    with pytest.raises(DomainError):
        plan_create(
            merchant=merchant.merchant, product=world, kind=PlanKind.OPEN, rate=Decimal(bad)
        )
    assert not PromotionPlan.objects.exists()
    plan = plan_create(
        merchant=merchant.merchant, product=world, kind=PlanKind.OPEN, rate=Decimal("0.30")
    )
    with pytest.raises(DomainError):
        plan_set_rate(plan=plan, rate=Decimal(bad))
    assert list(plan.rates.values_list("rate", flat=True)) == [Decimal("0.3000")]


@pytest.mark.parametrize("level,fans", [(-1, 0), (7, 0), (0, -5), ("abc", 0)])
def test_bad_thresholds_are_refused(world, merchant, level, fans):
    with pytest.raises(DomainError):
        plan_create(
            merchant=merchant.merchant,
            product=world,
            kind=PlanKind.TARGETED,
            rate=Decimal("0.30"),
            min_level=level,
            min_fans=fans,
        )
    assert not PromotionPlan.objects.exists()


def test_someone_elses_product_is_refused(world, other_merchant):
    admit(other_merchant)
    with pytest.raises(DomainError):
        plan_create(
            merchant=other_merchant.merchant, product=world, kind=PlanKind.OPEN, rate=Decimal("0.3")
        )


def test_best_rate_for_a_page_of_24_products_is_one_query(
    world, merchant, creator, django_assert_num_queries
):
    products = [world, *(ProductFactory(merchant=merchant.merchant) for _ in range(23))]
    for i, product in enumerate(products):
        plan_create(
            merchant=merchant.merchant,
            product=product,
            kind=PlanKind.OPEN,
            rate=Decimal("0.21") + Decimal(i) / 1000,
        )
    with django_assert_num_queries(1):
        rows = list(
            with_best_rate(
                Product.objects.filter(pk__in=[p.pk for p in products]), creator=creator.creator
            )
        )
    assert len(rows) == 24
    assert sorted(r.best_rate for r in rows)[-1] == Decimal("0.2330")
