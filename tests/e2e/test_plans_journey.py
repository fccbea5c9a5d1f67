"""Browser journey of 推广计划 and the 选品广场: a targeted plan from publication to the cart."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"width": 1366, "height": 900}


def _both_widths(page, shot, name):
    page.set_viewport_size(DESKTOP)
    shot(page, f"{name}-desktop")
    page.set_viewport_size(PHONE)
    shot(page, f"{name}-phone")
    page.set_viewport_size(DESKTOP)


def _english(page):
    page.click(".lang-switch button[value=en]")
    page.wait_for_load_state("load")


def test_targeted_plan_from_publication_to_the_cart(browser, live_server, demo_world, login, shot):
    merchant = browser.new_context(viewport=DESKTOP).new_page()
    creator = browser.new_context(viewport=DESKTOP).new_page()

    # The merchant publishes a 定向计划 on its vacuum flask: V2+, 100k fans, 38%.
    login(merchant, live_server, "demo_merchant")
    merchant.goto(f"{live_server.url}/products/?q=保温杯")
    merchant.get_by_role("link", name=re.compile("推广计划")).first.click()
    merchant.wait_for_load_state("load")
    assert merchant.get_by_role("heading", name="推广计划").is_visible()
    form = merchant.locator("#plan-form")
    form.locator("#id_kind").select_option("targeted")
    form.locator("#id_rate_percent").fill("85")
    form.locator("[type=submit]").click()
    merchant.wait_for_load_state("load")
    assert "服务费率不能高于 80%" in merchant.content()  # refused where it was typed
    form = merchant.locator("#plan-form")
    form.locator("#id_kind").select_option("targeted")
    form.locator("#id_rate_percent").fill("38")
    form.locator("#id_min_level").fill("2")
    form.locator("#id_min_fans").fill("100000")
    form.locator("[type=submit]").click()
    merchant.wait_for_load_state("load")
    assert "推广计划已发布" in merchant.content()
    assert merchant.locator("table").get_by_text("38%").first.is_visible()
    _both_widths(merchant, shot, "plans-merchant-product")

    # The creator (V3, 386k fans) finds it in the 选品广场 and applies.
    login(creator, live_server, "demo_creator")
    creator.get_by_role("link", name="选品广场").first.click()
    creator.wait_for_load_state("load")
    _both_widths(creator, shot, "square")
    creator.fill("#id_q", "保温杯")
    creator.locator("form[role=search] [type=submit]").click()
    creator.wait_for_url(re.compile(r"q=%E4%BF%9D%E6%B8%A9%E6%9D%AF|q=保温杯"))
    creator.wait_for_timeout(300)
    card = creator.locator(".product-card", has_text="真空保温杯")
    assert "16%" in card.inner_text()  # before: the product's own rate
    card.get_by_role("link", name=re.compile("推广计划")).click()
    creator.wait_for_load_state("load")
    creator.get_by_role("button", name="申请定向计划").click()
    creator.wait_for_load_state("load")
    assert "申请已提交" in creator.content()
    _both_widths(creator, shot, "plans-creator-product")

    # The merchant approves from its to-do list.
    merchant.goto(f"{live_server.url}/plans/applications/?status=pending")
    row = merchant.locator("tr", has_text="真空保温杯")
    row.get_by_role("button", name="通过").click()
    merchant.wait_for_load_state("load")
    assert "已通过" in merchant.content()
    merchant.goto(f"{live_server.url}/plans/applications/")
    _both_widths(merchant, shot, "plans-applications")

    # The creator now sees 38% and its estimate: 99.00 × 38% = 37.62, 60% of it = 22.57.
    creator.goto(f"{live_server.url}/hot/?q=保温杯")
    card = creator.locator(".product-card", has_text="真空保温杯")
    text = card.inner_text()
    assert "38%" in text and "¥22.57" in text and "定向计划" in text
    card.get_by_role("button", name="加入带货车").click()
    card.get_by_text("已在带货车").wait_for()
    creator.goto(f"{live_server.url}/cart/")
    row = creator.locator("tr", has_text="真空保温杯")
    assert "38%" in row.inner_text() and "¥22.57" in row.inner_text()
    _both_widths(creator, shot, "plans-cart")

    # The same pages in English.
    _english(creator)
    _both_widths(creator, shot, "plans-cart-en")
    creator.goto(f"{live_server.url}/hot/?sort=earnings")
    _both_widths(creator, shot, "square-en")
    creator.goto(f"{live_server.url}/hot/?q=咖啡豆")
    creator.locator(".product-card").first.get_by_role(
        "link", name=re.compile("Promotion plans")
    ).click()
    creator.wait_for_load_state("load")
    _both_widths(creator, shot, "plans-creator-short-en")
    _english(merchant)
    merchant.goto(f"{live_server.url}/products/?q=保温杯")
    merchant.get_by_role("link", name=re.compile("Promotion plans")).first.click()
    merchant.wait_for_load_state("load")
    _both_widths(merchant, shot, "plans-merchant-product-en")
