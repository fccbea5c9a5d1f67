"""推广计划 pages: merchants publish and answer, creators see their rate and apply."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from cooperation.models import ApplicationStatus, PlanApplication, PlanKind, PromotionPlan
from cooperation.selectors.hot import forget_hot_ranking
from cooperation.selectors.reconciliation import rate_mismatches
from cooperation.services.plans import application_decide, plan_apply, plan_create, plan_set_rate
from cooperation.todos import _plan_sources  # noqa: F401  (sources registered on import)
from hotwave import todos
from tests.cooperation.factories import CartItemFactory, ProductFactory, admit, paid_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(merchant, creator, other_merchant):
    admit(merchant, creator, other_merchant)
    creator.creator.level, creator.creator.fans = 3, 20_000
    creator.creator.save()
    return ProductFactory(merchant=merchant.merchant, title="手冲咖啡套装", price=Decimal("100.00"))


def plans_url(product):
    return reverse("cooperation:product_plans", args=[product.pk])


def test_merchant_publishes_a_targeted_plan(client_for, merchant, product):
    response = client_for(merchant).post(
        plans_url(product),
        {"kind": "targeted", "rate_percent": "35", "min_level": "2", "min_fans": "10000"},
    )
    assert response.status_code == 302
    plan = PromotionPlan.objects.get()
    assert (plan.kind, plan.min_level, plan.min_fans) == ("targeted", 2, 10_000)
    assert plan.rates.get().rate == Decimal("0.3500")
    page = client_for(merchant).get(plans_url(product)).content.decode()
    assert "定向计划" in page and "35%" in page


@pytest.mark.parametrize(
    "data,message",
    [
        ({"kind": "open", "rate_percent": "0.5"}, "服务费率不能低于 1%"),
        ({"kind": "open", "rate_percent": "81"}, "服务费率不能高于 80%"),
        ({"kind": "open", "rate_percent": "abc"}, "请输入数字"),
        ({"kind": "targeted", "rate_percent": "30", "min_fans": "-1"}, "最低粉丝数不能是负数"),
        ({"kind": "targeted", "rate_percent": "30", "min_fans": "lots"}, "最低粉丝数请输入"),
        ({"kind": "targeted", "rate_percent": "30", "min_level": "9"}, "最低等级最高是 6"),
        ({"kind": "exclusive", "rate_percent": "30", "creator": "nobody"}, "没有找到这个达人账户"),
    ],
)
def test_bad_input_is_refused_where_it_was_typed(client_for, merchant, product, data, message):
    response = client_for(merchant).post(plans_url(product), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not PromotionPlan.objects.exists()


def test_someone_elses_plan_and_application_are_404(
    client_for, merchant, other_merchant, product, creator
):
    plan = plan_create(
        merchant=merchant.merchant, product=product, kind=PlanKind.TARGETED, rate=Decimal("0.3")
    )
    application = plan_apply(plan=plan, creator=creator.creator)
    other = client_for(other_merchant)
    assert other.get(plans_url(product)).status_code == 404
    assert (
        other.post(
            reverse("cooperation:plan_rate", args=[plan.pk]), {"rate_percent": "5"}
        ).status_code
        == 404
    )
    assert other.post(reverse("cooperation:plan_end", args=[plan.pk])).status_code == 404
    assert (
        other.post(
            reverse("cooperation:application_decide", args=[application.pk]),
            {"decision": "approve"},
        ).status_code
        == 404
    )
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING
    assert plan.rates.count() == 1 and plan.ended_at is None


def test_plan_pages_have_fixed_query_counts(
    client_for, merchant, creator, product, django_assert_num_queries
):
    for rate in ("0.25", "0.30"):
        plan_create(
            merchant=merchant.merchant, product=product, kind=PlanKind.OPEN, rate=Decimal(rate)
        )
    m, c = client_for(merchant), client_for(creator)
    m.get(plans_url(product))
    creator_url = reverse("cooperation:product_plans_for_creator", args=[product.pk])
    c.get(creator_url)
    with django_assert_num_queries(5):  # session, user, merchant, product, plans
        m.get(plans_url(product))
    for _ in range(3):
        plan_create(
            merchant=merchant.merchant, product=product, kind=PlanKind.TARGETED, rate=Decimal("0.4")
        )
    with django_assert_num_queries(5):
        m.get(plans_url(product))
    # session, user, creator, product, its best rate, binding in force, plans, sample quota
    with django_assert_num_queries(8):
        c.get(creator_url)
    targeted = PromotionPlan.objects.filter(kind=PlanKind.TARGETED)
    for plan in targeted:
        plan_apply(plan=plan, creator=creator.creator)
    # session, user, merchant, count, rows (creator, plan and product joined)
    with django_assert_num_queries(5):
        body = m.get(reverse("cooperation:application_list") + "?status=pending").content.decode()
    assert body.count('<tr id="application-') == 3


def test_journey_apply_approve_then_the_higher_rate_shows_everywhere(
    client_for, merchant, creator, product
):
    plan = plan_create(
        merchant=merchant.merchant,
        product=product,
        kind=PlanKind.TARGETED,
        rate=Decimal("0.35"),
        min_fans=10_000,
    )
    CartItemFactory(creator=creator.creator, product=product)
    paid_order(product, creator=creator.creator)  # on the hot list
    forget_hot_ranking()
    c, m = client_for(creator), client_for(merchant)
    page = c.get(
        reverse("cooperation:product_plans_for_creator", args=[product.pk])
    ).content.decode()
    assert "申请定向计划" in page
    assert (
        c.post(
            reverse("cooperation:plan_apply", args=[plan.pk]), {"message": "咖啡垂类"}
        ).status_code
        == 302
    )
    assert todos.sources("merchant")  # registered
    counts = {s.key: s.count_for(merchant) for s in todos.sources("merchant")}
    assert counts["cooperation.plan_applications"] == 1
    application = PlanApplication.objects.get()
    listing = m.get(reverse("cooperation:application_list") + "?status=pending").content.decode()
    assert "咖啡垂类" in listing
    assert (
        m.post(
            reverse("cooperation:application_decide", args=[application.pk]),
            {"decision": "approve"},
        ).status_code
        == 302
    )
    # 100.00 × 35% = 35.00 fee; individual creator keeps 60% = 21.00
    hot = c.get(reverse("cooperation:hot_products")).content.decode()
    assert "35%" in hot and "¥21.00" in hot and "定向计划" in hot
    cart = c.get(reverse("cooperation:cart")).content.decode()
    assert "35%" in cart and "¥21.00" in cart


def test_declining_needs_a_reason_and_the_creator_sees_it(client_for, merchant, creator, product):
    plan = plan_create(
        merchant=merchant.merchant, product=product, kind=PlanKind.TARGETED, rate=Decimal("0.3")
    )
    application = plan_apply(plan=plan, creator=creator.creator)
    m = client_for(merchant)
    url = reverse("cooperation:application_decide", args=[application.pk])
    response = m.post(url, {"decision": "decline", "reason": ""}, follow=True)
    assert "拒绝时请写明理由" in response.content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING
    m.post(url, {"decision": "decline", "reason": "粉丝画像不匹配"})
    page = (
        client_for(creator)
        .get(reverse("cooperation:product_plans_for_creator", args=[product.pk]))
        .content.decode()
    )
    assert "粉丝画像不匹配" in page


def test_a_creator_below_the_threshold_is_told_before_asking(
    client_for, merchant, other_creator, product
):
    admit(other_creator)
    plan_create(
        merchant=merchant.merchant,
        product=product,
        kind=PlanKind.TARGETED,
        rate=Decimal("0.3"),
        min_level=4,
    )
    page = (
        client_for(other_creator)
        .get(reverse("cooperation:product_plans_for_creator", args=[product.pk]))
        .content.decode()
    )
    assert "需要主播等级 V4 及以上" in page and "申请定向计划" not in page


def test_a_cut_is_a_to_do_for_creators_carrying_the_product(client_for, merchant, creator, product):
    plan = plan_create(
        merchant=merchant.merchant, product=product, kind=PlanKind.OPEN, rate=Decimal("0.3")
    )
    CartItemFactory(creator=creator.creator, product=product)
    CartItemFactory(creator=creator.creator, product=ProductFactory())
    source = next(s for s in todos.sources("creator") if s.key == "cooperation.rate_cuts")
    assert source.count_for(creator) == 0
    plan_set_rate(plan=plan, rate=Decimal("0.1"))
    assert source.count_for(creator) == 1
    assert source.count_all() == {creator.pk: 1}
    page = client_for(creator).get(source.url(creator)).content.decode()
    assert page.count("费率即将下调") >= 1 and product.title in page
    assert "30%" in page  # still the old rate until the notice ends


def test_reconciliation_flags_an_order_carrying_another_rate(
    merchant, creator, other_creator, product
):
    admit(other_creator)
    t0 = timezone.now() - timedelta(days=3)
    plan = plan_create(
        merchant=merchant.merchant,
        product=product,
        kind=PlanKind.TARGETED,
        rate=Decimal("0.35"),
        now=t0,
    )
    application = plan_apply(plan=plan, creator=creator.creator, now=t0)
    application_decide(application=application, approve=True, now=t0 + timedelta(hours=1))
    ok = paid_order(product, creator=creator.creator, at=t0 + timedelta(hours=2))
    ok.service_fee_rate = Decimal("0.35")
    ok.save()
    early = paid_order(product, creator=creator.creator, at=t0 + timedelta(minutes=30))
    early.service_fee_rate = Decimal("0.35")  # paid before the approval: 20% applied
    early.save()
    paid_order(product, creator=other_creator.creator, at=t0 + timedelta(hours=2))  # 20%: fine
    flagged = rate_mismatches()
    assert [(r.order_id, r.carried, r.expected) for r in flagged] == [
        (early.order_id, Decimal("0.3500"), Decimal("0.2000"))
    ]


def test_operator_sees_the_reconciliation(client_for, operator):
    response = client_for(operator).get(reverse("admin:cooperation_promotionplan_reconciliation"))
    assert response.status_code == 200
    assert "费率对账" in response.content.decode()
