"""选品广场: search, filters, sorts, paging, shareable URLs, fixed query counts."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from cooperation.models import PlanKind
from cooperation.selectors.hot import forget_hot_ranking
from cooperation.selectors.square import SquareQuery, square_products
from cooperation.services.plans import plan_create
from cooperation.services.sales import refresh_product_sales
from tests.admission.factories import CreatorFactory, MerchantFactory
from tests.cooperation.factories import ProductFactory, admit, category, paid_order, restrict

pytestmark = pytest.mark.django_db

SQUARE = reverse("cooperation:hot_products")


@pytest.fixture
def shelf(merchant, creator):
    admit(merchant, creator)
    tea_shop = MerchantFactory(shop_name="山野茶铺")
    admit(tea_shop.user)
    rows = {
        "咖啡豆": dict(
            merchant=merchant.merchant,
            price=Decimal("79.00"),
            service_fee_rate=Decimal("0.25"),
            category=category("food"),
        ),
        "陶瓷餐具": dict(
            merchant=merchant.merchant,
            price=Decimal("199.00"),
            service_fee_rate=Decimal("0.12"),
            category=category("home"),
        ),
        "乌龙茶": dict(
            merchant=tea_shop,
            price=Decimal("168.00"),
            service_fee_rate=Decimal("0.20"),
            category=category("food"),
        ),
        "冷泡茶包": dict(
            merchant=tea_shop,
            price=Decimal("49.00"),
            service_fee_rate=Decimal("0.30"),
            category=category("food"),
        ),
    }
    products = {title: ProductFactory(title=title, **kw) for title, kw in rows.items()}
    buyer = CreatorFactory()
    for title, n in (("乌龙茶", 3), ("咖啡豆", 1)):
        for _ in range(n):
            paid_order(products[title], creator=buyer)
    forget_hot_ranking()
    refresh_product_sales()  # the 7-day orders the square sorts by
    return products


def titles(creator, **query):
    return [p.title for p in square_products(creator=creator.creator, query=SquareQuery(**query))]


def test_default_order_is_7_day_orders_then_newest(shelf, creator):
    assert titles(creator) == ["乌龙茶", "咖啡豆", "冷泡茶包", "陶瓷餐具"]


def test_search_by_title_or_shop(shelf, creator):
    assert titles(creator, q="咖啡") == ["咖啡豆"]
    assert sorted(titles(creator, q="山野")) == ["乌龙茶", "冷泡茶包"]


def test_filters_category_price_and_rate(shelf, creator):
    assert "陶瓷餐具" not in titles(creator, category=category("food"))
    assert titles(creator, price="0-50") == ["冷泡茶包"]
    assert titles(creator, price="100-300", sort="newest") == ["乌龙茶", "陶瓷餐具"]
    assert titles(creator, rate="30-") == ["冷泡茶包"]


def test_rate_filter_and_sort_use_the_plan_open_to_me(shelf, merchant, creator):
    plan_create(
        merchant=merchant.merchant,
        product=shelf["陶瓷餐具"],
        kind=PlanKind.EXCLUSIVE,
        rate=Decimal("0.40"),
        creator=creator.creator,
    )
    assert titles(creator, rate="30-", sort="rate") == ["陶瓷餐具", "冷泡茶包"]
    assert titles(creator, sort="rate")[0] == "陶瓷餐具"
    assert titles(creator, plan="exclusive") == ["陶瓷餐具"]
    assert titles(creator, plan="any") == ["陶瓷餐具"]
    other = CreatorFactory()
    assert [
        p.title for p in square_products(creator=other, query=SquareQuery(plan="exclusive"))
    ] == []


def test_sort_by_my_earnings_per_unit(shelf, creator):
    # fee per unit: 餐具 23.88, 乌龙茶 33.60, 咖啡豆 19.75, 冷泡茶包 14.70
    assert titles(creator, sort="earnings") == ["乌龙茶", "陶瓷餐具", "咖啡豆", "冷泡茶包"]


def test_restricted_products_are_not_offered(shelf, creator):
    restrict(shelf["咖啡豆"])
    assert "咖啡豆" not in titles(creator)


def test_page_is_a_shareable_get_and_works_without_js(client_for, shelf, creator):
    body = client_for(creator).get(SQUARE + "?q=茶&sort=rate").content.decode()
    assert body.index("冷泡茶包") < body.index("乌龙茶")
    assert "咖啡豆" not in body.split('id="hot-results"')[1]
    assert 'method="get"' in body and 'value="茶"' in body


def test_a_bad_filter_value_is_reported_and_ignored(client_for, shelf, creator):
    response = client_for(creator).get(SQUARE + "?price=free&q=茶")
    body = response.content.decode()
    assert response.status_code == 200
    assert "乌龙茶" in body and "冷泡茶包" in body


def test_empty_result_says_what_to_do(client_for, shelf, creator):
    body = client_for(creator).get(SQUARE + "?q=不存在的东西").content.decode()
    assert "没有符合条件的商品" in body and "清除筛选" in body


def test_pages_of_24(client_for, shelf, creator, merchant):
    for i in range(30):
        ProductFactory(merchant=merchant.merchant, title=f"批量商品{i}")
    c = client_for(creator)
    first = c.get(SQUARE).content.decode()
    assert first.count('class="pcard product-card"') == 24
    second = c.get(SQUARE + "?page=2").content.decode()
    assert second.count('class="pcard product-card"') == 34 - 24


def test_query_count_is_fixed_whatever_the_filters(
    client_for, shelf, creator, merchant, django_assert_num_queries
):
    c = client_for(creator)
    c.get(SQUARE)  # the 7-day orders are counted here (no snapshot yet), then read
    url = SQUARE + "?q=茶&plan=any&rate=10-20&price=100-300&sort=earnings"
    for _ in range(3):
        plan_create(
            merchant=merchant.merchant,
            product=ProductFactory(merchant=merchant.merchant, title="新茶"),
            kind=PlanKind.OPEN,
            rate=Decimal("0.15"),
        )
    # session, user, creator, the 7-day orders' snapshot, admission (3), binding,
    # categories, count, rows (the orders a join in them: no count per product)
    with django_assert_num_queries(11):
        c.get(SQUARE)
    with django_assert_num_queries(11):
        c.get(url)
    for i in range(40):
        ProductFactory(merchant=merchant.merchant, title=f"茶{i}", price=Decimal("150.00"))
    with django_assert_num_queries(11):
        c.get(SQUARE)
    with django_assert_num_queries(11):
        c.get(url)


def test_filter_has_free_samples_left(shelf, merchant, creator):
    from datetime import timedelta

    from django.utils import timezone

    from cooperation.services.samples import sample_decide, sample_quota_set, sample_request_create

    sample_quota_set(merchant=merchant.merchant, product=shelf["咖啡豆"], quota=1)
    sample_quota_set(merchant=merchant.merchant, product=shelf["陶瓷餐具"], quota=1)
    assert sorted(titles(creator, samples=True)) == ["咖啡豆", "陶瓷餐具"]
    request = sample_request_create(
        creator=creator.creator,
        product=shelf["陶瓷餐具"],
        planned_live_date=timezone.localdate() + timedelta(days=3),
    )
    sample_decide(request=request, approve=True)
    assert titles(creator, samples=True) == ["咖啡豆"]


def test_not_restricted_for_me_hides_blocked_merchants_and_plans_i_am_not_in(
    client_for, shelf, merchant, creator, other_creator, django_assert_num_queries
):
    from conversations.models import RestrictionKind
    from conversations.services import restrict as block
    from cooperation.services.plans import application_decide, plan_apply

    admit(other_creator)
    tea_shop = shelf["乌龙茶"].merchant.user
    block(actor=creator, merchant=tea_shop, kind=RestrictionKind.BLOCK)
    # 咖啡豆 is promoted to chosen creators only; 陶瓷餐具 has a 公开计划 beside its 定向计划.
    targeted = plan_create(
        merchant=merchant.merchant,
        product=shelf["咖啡豆"],
        kind=PlanKind.TARGETED,
        rate=Decimal("0.4"),
    )
    for title in ("陶瓷餐具",):
        plan_create(
            merchant=merchant.merchant,
            product=shelf[title],
            kind=PlanKind.TARGETED,
            rate=Decimal("0.4"),
        )
        plan_create(
            merchant=merchant.merchant,
            product=shelf[title],
            kind=PlanKind.OPEN,
            rate=Decimal("0.2"),
        )
    assert sorted(titles(creator)) == ["乌龙茶", "冷泡茶包", "咖啡豆", "陶瓷餐具"]
    assert titles(creator, unrestricted=True) == ["陶瓷餐具"]
    # Another creator has no block: only the plan it is not in hides a product.
    assert sorted(titles(other_creator, unrestricted=True)) == ["乌龙茶", "冷泡茶包", "陶瓷餐具"]
    application_decide(application=plan_apply(plan=targeted, creator=creator.creator), approve=True)
    assert sorted(titles(creator, unrestricted=True)) == ["咖啡豆", "陶瓷餐具"]
    # A GET parameter (no JS), shown checked, and the page keeps its statements.
    c = client_for(creator)
    c.get(SQUARE)
    body = c.get(SQUARE + "?unrestricted=on").content.decode()
    results = body.split('id="hot-results"')[1]
    assert "乌龙茶" not in results and "咖啡豆" in results
    assert re.search(r'<input[^>]*name="unrestricted"[^>]*checked', body)
    with django_assert_num_queries(11):
        c.get(SQUARE + "?unrestricted=on&sort=rate")


def test_the_sort_control_is_labelled_sort_by_in_english(client_for, shelf, creator):
    c = client_for(creator)
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = c.get(SQUARE).content.decode()
    assert ">Sort by<" in body and ">Position<" not in body


def test_each_card_names_its_shop_and_category_in_the_page_language(client_for, shelf, creator):
    """The shop and category come from subqueries of the page's one statement
    (cooperation.selectors.square), in the language of the request."""
    c = client_for(creator)
    body = c.get(SQUARE).content.decode()
    food, home = category("food"), category("home")

    def shop(name):
        return f"<span data-user-content>{name}</span> · "

    assert shop("山野茶铺") + food.name_zh in body
    assert shop(shelf["陶瓷餐具"].merchant.shop_name) + home.name_zh in body
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = c.get(SQUARE).content.decode()
    assert shop("山野茶铺") + food.name_en in body and shop("山野茶铺") + food.name_zh not in body
