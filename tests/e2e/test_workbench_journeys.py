"""Workbench journeys in a real browser: each demo role, desktop and phone widths."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.django_db(transaction=True)

SECTIONS = ["待办事项", "核心数据", "操作指引", "平台推荐", "成功案例"]


def section_titles(page) -> list[str]:
    return page.locator("main section h2").all_inner_texts()


def test_merchant_workbench(page, live_server, demo_world, login, shot):
    login(page, live_server, "demo_merchant")
    assert page.url == live_server.url + "/"
    assert section_titles(page) == SECTIONS
    assert page.locator(".wb-core .stat").count() >= 6
    assert page.locator(".wb-core svg.chart--wide").is_visible()
    assert page.locator(".wb-steps li").count() == 7
    cards = page.locator(".wb-creator")
    assert cards.count() >= 1
    assert re.search(
        r"/creators/\d+/$", cards.first.get_by_role("link", name="我要合作").get_attribute("href")
    )
    shot(page, "workbench-merchant-desktop")
    # A to-do with items opens its page filtered to exactly those items.
    pending = page.locator(".wb-todo--pending a")
    assert pending.count() >= 1  # the demo merchant has tasks waiting
    first = pending.first
    href, count = first.get_attribute("href"), int(first.locator(".wb-todo__count").inner_text())
    first.click()
    page.wait_for_load_state("load")
    assert page.url.endswith(href)
    if "/tasks/" in href:
        assert page.locator("main table tbody tr").count() == count
    page.goto(live_server.url + "/")
    page.set_viewport_size(PHONE)
    assert section_titles(page) == SECTIONS
    shot(page, "workbench-merchant-phone")


def test_creator_adds_a_hot_product_to_the_cart_in_place(
    page, live_server, demo_world, login, shot
):
    login(page, live_server, "demo_creator")
    assert section_titles(page) == SECTIONS
    shot(page, "workbench-creator-desktop")
    buttons = page.locator(".wb-product").get_by_role("button", name="加入带货车")
    assert buttons.count() >= 1  # the demo has hot products not yet in the cart
    card_id = page.locator(
        ".wb-product", has=page.get_by_role("button", name="加入带货车")
    ).first.get_attribute("id")
    card = page.locator(f"#{card_id}")
    card.get_by_role("button", name="加入带货车").click()
    card.get_by_text("已在带货车").wait_for()
    assert page.url == live_server.url + "/"
    shot(page, "workbench-creator-cart-added")
    page.set_viewport_size(PHONE)
    shot(page, "workbench-creator-phone")


def test_agency_workbench(page, live_server, demo_world, login, shot):
    login(page, live_server, "demo_agency")
    assert section_titles(page) == SECTIONS
    assert page.locator(".wb-steps li").count() == 4
    assert page.get_by_text("绑定达人").first.is_visible()
    shot(page, "workbench-agency-desktop")
    page.set_viewport_size(PHONE)
    shot(page, "workbench-agency-phone")


def test_newbie_sees_friendly_empty_states(page, live_server, demo_users, login, shot):
    login(page, live_server, "demo_newbie")
    assert section_titles(page) == SECTIONS
    nxt = page.locator(".wb-next a")
    assert nxt.inner_text() == "完成准入"
    shot(page, "workbench-newbie-desktop")
    nxt.click()
    page.wait_for_load_state("load")
    assert page.url.endswith("/admission/")


def test_help_center_search_and_article(page, live_server, demo_users, login, shot):
    login(page, live_server, "demo_merchant")
    page.locator(".wb-guide").get_by_role("link", name="查看更多").click()
    page.wait_for_load_state("load")
    assert page.url.endswith("/help/")
    page.fill("#id_q", "寄样")
    # htmx swaps the results in place and keeps the address shareable.
    page.wait_for_url(re.compile(r"q=%E5%AF%84%E6%A0%B7|q=寄样"))
    results = page.locator("#help-results")
    assert results.get_by_text("推广服务费与分成规则").count() == 0
    assert results.get_by_role("link", name="寄样与签收").is_visible()
    shot(page, "workbench-help-search")
    results.get_by_role("link", name="寄样与签收").click()
    page.wait_for_load_state("load")
    assert page.get_by_role("heading", name="寄样与签收").is_visible()
    page.set_viewport_size(PHONE)
    shot(page, "workbench-help-article-phone")
    page.get_by_role("button", name="EN").click()
    page.wait_for_load_state("load")
    assert page.get_by_role("heading", name="Shipping and receiving samples").is_visible()
    shot(page, "workbench-help-article-en")
