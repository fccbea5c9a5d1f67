"""热销商品: ranking by paid orders in the last 7 days, what is hidden, estimated earnings."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from cooperation.models import ProductStatus
from cooperation.selectors.hot import EarningsEstimator, forget_hot_ranking, hot_products
from tests.admission.factories import CreatorFactory
from tests.cooperation.factories import (
    CartItemFactory,
    ProductFactory,
    admit,
    bind,
    paid_order,
    restrict,
    with_image,
)

pytestmark = pytest.mark.django_db

HOT = reverse("cooperation:hot_products")


def sell(product, n, *, at=None):
    buyer = CreatorFactory()
    for _ in range(n):
        paid_order(product, creator=buyer, at=at)


def titles(creator):
    return [p.title for p in hot_products(creator=creator.creator)]


def test_ranked_by_paid_orders_in_the_last_7_days(creator):
    a, b, c = (ProductFactory(title=t) for t in ("甲", "乙", "丙"))
    sell(a, 1)
    sell(b, 3)
    sell(c, 2)
    sell(a, 5, at=timezone.now() - timedelta(days=8))  # too old to count
    assert titles(creator) == ["乙", "丙", "甲"]
    ranked = {p.title: p.paid_orders for p in hot_products(creator=creator.creator)}
    assert ranked == {"乙": 3, "丙": 2, "甲": 1}


def test_products_without_recent_orders_are_not_hot(creator):
    ProductFactory(title="冷门")
    old = ProductFactory(title="过气")
    sell(old, 2, at=timezone.now() - timedelta(days=7, minutes=1))
    assert titles(creator) == []


def test_orders_match_by_merchant_and_sku(creator):
    mine = ProductFactory(title="我的", sku="SAME")
    ProductFactory(title="同编码别家", sku="SAME")
    sell(mine, 2)
    assert titles(creator) == ["我的"]


def test_fully_refunded_orders_do_not_count(creator):
    p = ProductFactory(title="全退")
    paid_order(p, creator=CreatorFactory(), refunded=str(p.price))
    assert titles(creator) == []


def test_archived_and_restricted_products_never_appear(creator):
    archived = ProductFactory(title="已下架", status=ProductStatus.ARCHIVED)
    restricted = ProductFactory(title="受限")
    allowed = ProductFactory(title="受限但已授权")
    normal = ProductFactory(title="正常")
    restrict(restricted)
    restrict(allowed, granted=True)
    for p in (archived, restricted, allowed, normal):
        sell(p, 1)
    assert sorted(titles(creator)) == sorted(["受限但已授权", "正常"])


def test_individual_estimate_is_60_percent_of_the_fee(creator):
    p = ProductFactory(price=Decimal("99.99"), service_fee_rate=Decimal("0.15"))
    est = EarningsEstimator(creator.creator).estimate(p)
    # fee 99.99 × 15% = 14.9985 → 15.00; platform 40% = 6.00; creator 9.00
    assert (est.fee, est.per_unit, est.rule) == (Decimal("15.00"), Decimal("9.00"), "individual")


def test_bound_estimate_is_70_percent_less_the_agency_share(creator, agency):
    bind(creator.creator, agency.agency, share="0.33")
    p = ProductFactory(price=Decimal("99.99"), service_fee_rate=Decimal("0.15"))
    est = EarningsEstimator(creator.creator).estimate(p)
    # SPEC example: platform 4.50, agency 3.47, creator 7.03
    assert (est.fee, est.per_unit, est.rule) == (Decimal("15.00"), Decimal("7.03"), "agency")


def test_an_ended_binding_no_longer_counts(creator, agency):
    now = timezone.now()
    bind(
        creator.creator, agency.agency, since=now - timedelta(days=9), until=now - timedelta(days=1)
    )
    assert EarningsEstimator(creator.creator).is_bound is False


def test_page_shows_cards_with_earnings_and_cart_buttons(client_for, creator):
    p = ProductFactory(title="露营椅", price=Decimal("169.00"), service_fee_rate=Decimal("0.18"))
    sell(p, 2)
    body = client_for(creator).get(HOT).content.decode()
    # fee 30.42, creator 60% → 18.25 (platform 12.17)
    assert "露营椅" in body and "¥169.00" in body and "18%" in body and "¥18.25" in body
    # What it earns per unit, in the seed's word (issue 13).
    assert re.sub(r"<[^>]+>", "", body).count("佣金 ¥18.25 · 服务费率 18%") == 1
    assert "加入带货车" in body and reverse("cooperation:cart_add", args=[p.pk]) in body
    assert "个人主播" in body


def test_product_already_in_cart_is_marked(client_for, creator):
    p = ProductFactory()
    sell(p, 1)
    CartItemFactory(creator=creator.creator, product=p)
    body = client_for(creator).get(HOT).content.decode()
    assert "已在带货车" in body


def test_empty_state_points_somewhere(client_for, creator):
    body = client_for(creator).get(HOT).content.decode()
    assert "还没有可推广的商品" in body and reverse("workbench:home") in body


def test_anonymous_is_sent_to_login(anonymous):
    assert anonymous.get(HOT).status_code == 302


@pytest.mark.parametrize("persona", ["merchant", "agency", "operator"])
def test_other_roles_get_404(request, client_for, persona):
    assert client_for(request.getfixturevalue(persona)).get(HOT).status_code == 404


def test_htmx_gets_the_partial(client_for, creator):
    sell(ProductFactory(), 1)
    body = client_for(creator).get(HOT, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in body and body.lstrip().startswith('<section id="hot-results"')


def test_query_count_is_fixed(client_for, creator, agency, django_assert_num_queries):
    admit(creator)
    bind(creator.creator, agency.agency)
    c = client_for(creator)
    c.get(HOT)
    for p in ProductFactory.create_batch(3):
        sell(p, 1)
    forget_hot_ranking()  # the square reads its own 7-day counts: no ranking read
    # session, user, creator, the 7-day orders' snapshot, admission (creator, agreement,
    # signature), binding, categories (the filter form), count, rows (plans resolved in
    # subqueries, the 7-day orders a join)
    with django_assert_num_queries(11):
        c.get(HOT)
    with django_assert_num_queries(11):
        c.get(HOT)
    for p in ProductFactory.create_batch(30):
        sell(p, 2)
        with_image(p)  # the cover thumbnail comes in the rows' query
    forget_hot_ranking()
    with django_assert_num_queries(11):
        c.get(HOT)
    with django_assert_num_queries(11):
        body = c.get(HOT).content.decode()
    assert body.count('class="pcard product-card"') == 24  # a page of the 选品广场
    assert body.count('<img class="product-thumb') == 24


def test_a_creator_not_admitted_is_told_before_clicking(client_for, creator):
    sell(ProductFactory(), 1)
    body = client_for(creator).get(HOT).content.decode()
    assert "你尚未通过准入" in body and reverse("admission:center") in body


def test_an_admitted_creator_sees_no_warning(client_for, creator):
    admit(creator)
    assert "你尚未通过准入" not in client_for(creator).get(HOT).content.decode()
