"""Browser journeys of the marketplace: the plaza, a creator homepage, hot products and the cart."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.django_db(transaction=True)


def recent_orders():
    """A few paid orders in the last days so 热销商品 has a ranking (settlement data)."""
    from admission.models import Creator
    from cooperation.models import Product
    from settlement.models import Order, Rule

    buyer = Creator.objects.get(user__username="demo_streamer")
    now = timezone.now()
    for n, (username, sku, count) in enumerate(
        [
            ("demo_merchant", "DM-004", 20),
            ("demo_tmall", "TM-002", 3),
        ]
    ):
        product = Product.objects.get(merchant__user__username=username, sku=sku)
        for i in range(count):
            Order.objects.get_or_create(
                order_id=f"E2E-{n}-{i}",
                defaults={
                    "merchant": product.merchant,
                    "creator": buyer,
                    "product_sku": sku,
                    "amount": product.price,
                    "service_fee_rate": product.service_fee_rate,
                    "paid_at": now - timedelta(minutes=i + 1),
                    "rule": Rule.INDIVIDUAL,
                },
            )


def test_merchant_filters_the_plaza_and_opens_a_creator(page, live_server, demo_world, login, shot):
    login(page, live_server, "demo_merchant")
    page.get_by_role("link", name="主播广场").first.click()
    page.wait_for_load_state("load")
    assert page.get_by_role("heading", name="主播广场").is_visible()
    cards = page.locator(".creator-card")
    total = cards.count()
    assert total > 0
    shot(page, "cooperation-plaza-desktop")

    # Filter: only individual creators in 家居, sorted by fans — htmx swaps the list, the URL follows.
    page.select_option("#id_category", "home")
    page.wait_for_url(re.compile(r"category=home"))
    page.select_option("#id_kind", "individual")
    page.wait_for_url(re.compile(r"kind=individual"))
    page.select_option("#id_sort", "-fans")
    page.wait_for_url(re.compile(r"sort=-fans"))
    page.wait_for_timeout(300)
    names = page.locator(".creator-card .pcard__name").all_inner_texts()
    assert "小鹿爱分享" in names  # demo_creator: individual, 家居
    assert "阿杰直播间" not in names  # demo_streamer is bound to an agency
    assert all("个人主播" in t for t in page.locator(".creator-card__tags").all_inner_texts())
    shot(page, "cooperation-plaza-filtered")

    # The URL is shareable: opening it again shows the same filtered list without htmx.
    url = page.url
    page.goto(url)
    assert page.locator("#id_kind").input_value() == "individual"
    assert page.locator(".creator-card .pcard__name").all_inner_texts() == names

    page.locator(".creator-card", has_text="小鹿爱分享").get_by_role(
        "link", name="我要合作"
    ).click()
    page.wait_for_load_state("load")
    assert page.get_by_role("heading", name="小鹿爱分享").is_visible()
    assert page.get_by_role("heading", name="数据概览").is_visible()
    assert page.locator("#cooperate form").is_visible()
    shot(page, "cooperation-creator-homepage-desktop")

    # The back button returns to the filtered plaza.
    page.go_back()
    page.wait_for_load_state("load")
    assert "kind=individual" in page.url
    assert page.locator(".creator-card").count() == len(names)

    # Search as you type: the list follows the nickname without pressing anything.
    page.goto(live_server.url + "/plaza/")
    page.fill("#id_q", "阿杰")
    page.wait_for_url(re.compile(r"q=%E9%98%BF%E6%9D%B0|q=阿杰"))
    page.wait_for_timeout(300)
    assert page.locator(".creator-card .pcard__name").all_inner_texts() == ["阿杰直播间"]
    assert "机构主播" in page.locator(".creator-card").inner_text()

    page.set_viewport_size(PHONE)
    page.goto(url)
    shot(page, "cooperation-plaza-phone")
    page.goto(live_server.url + "/creators/" + str(_creator_pk("demo_creator")) + "/")
    shot(page, "cooperation-creator-homepage-phone")


def _creator_pk(username):
    from admission.models import User

    return User.objects.get(username=username).pk


def test_creator_adds_a_hot_product_to_the_cart(page, live_server, demo_world, login, shot):
    recent_orders()
    login(page, live_server, "demo_creator")
    page.get_by_role("link", name="选品广场").first.click()
    page.wait_for_load_state("load")
    first = page.locator(".product-card").first
    titles = page.locator(".product-card .pcard__name").all_inner_texts()
    assert titles[0] == "云南小粒咖啡豆 500g"  # 20 orders in the last 7 days: the best seller
    assert "佣金 ¥" in first.inner_text() and "服务费率" in first.inner_text()
    shot(page, "cooperation-hot-desktop")

    card = page.locator(".product-card", has_text="云南小粒咖啡豆")
    card.get_by_role("button", name="加入带货车").click()
    card.get_by_text("已加入带货车").first.wait_for()
    assert card.get_by_role("button", name="加入带货车").count() == 0
    assert page.url.endswith("/hot/")  # in place, no reload
    shot(page, "cooperation-hot-added")

    page.get_by_role("link", name="去带货车").click()
    page.wait_for_load_state("load")
    row = page.locator("tr", has_text="云南小粒咖啡豆")
    assert row.is_visible()
    assert "¥11.85" in row.inner_text()  # 79.00 × 25% = 19.75; individual 60% → 11.85
    shot(page, "cooperation-cart-desktop")

    # Remove one item: it asks first, in a dialog.
    before = page.locator("#cart-results tbody tr").count()
    row.get_by_role("button", name="移出").click()
    with page.expect_navigation():
        page.get_by_role("dialog").get_by_role("button", name="移出").click()
    page.get_by_text("已将「云南小粒咖啡豆 500g」移出带货车").wait_for()
    assert page.locator("#cart-results tbody tr").count() == before - 1

    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/hot/")
    shot(page, "cooperation-hot-phone")
    page.goto(live_server.url + "/cart/")
    shot(page, "cooperation-cart-phone")


def test_merchant_manages_products(page, live_server, demo_world, login, shot):
    login(page, live_server, "demo_merchant")
    page.goto(live_server.url + "/products/")
    assert page.locator("#product-results tbody tr").count() == 13  # DM-001..010 + 3 restricted
    assert "限制推广" in page.locator("#product-results").inner_text()
    shot(page, "cooperation-products-desktop")
    page.get_by_role("link", name="新建商品").first.click()
    page.fill("#id_title", "竹纤维毛巾")
    page.fill("#id_sku", "DM-100")
    page.select_option("#id_category", "home")
    page.fill("#id_price", "29.90")
    page.fill("#id_service_fee_percent", "85")
    page.get_by_role("button", name="创建商品").click()
    page.wait_for_load_state("load")
    assert "服务费率不能高于 80%" in page.locator(".field__error").inner_text()
    shot(page, "cooperation-product-form-error")
    page.fill("#id_service_fee_percent", "12.5")
    page.get_by_role("button", name="创建商品").click()
    page.wait_for_load_state("load")
    assert "已创建" in page.locator(".messages").inner_text()
    # A new product goes on to its images (商品图片); its list is one link away.
    assert "/images/" in page.url
    page.goto(live_server.url + "/products/")
    page.fill("#id_q", "毛巾")
    page.press("#id_q", "Enter")
    page.wait_for_url(re.compile(r"q=%E6%AF%9B%E5%B7%BE|q=毛巾"))
    page.wait_for_timeout(300)
    assert page.locator("#product-results tbody tr").count() == 1
    assert "12.5%" in page.locator("#product-results").inner_text()
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/products/")
    shot(page, "cooperation-products-phone")
