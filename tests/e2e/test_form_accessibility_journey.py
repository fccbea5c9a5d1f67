"""Forms for keyboard and screen-reader users (issue 13, accessibility: forms).

After a failed submit the focus is on an error summary (role="alert") whose links
focus their fields; the header's 我要合作 moves the focus into the form; a skip
link reaches the form without tabbing through the page; the phone menu closes on
Esc. Full page (product form) and htmx swap (我要合作) both.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from admission.models import Category, Creator, Merchant
from cooperation.models import Product
from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.django_db(transaction=True)


def _focused(page) -> str:
    return page.evaluate(
        "() => { const e = document.activeElement; return e.id || e.className || e.tagName; }"
    )


@pytest.fixture
def a_product(demo_users):
    merchant = Merchant.objects.get(user__username="demo_merchant")
    home, _ = Category.objects.get_or_create(
        code="home", defaults={"name_zh": "家居", "name_en": "Home"}
    )
    return Product.objects.create(
        merchant=merchant,
        sku="DM-001",
        title="北欧风陶瓷餐具 16 件套",
        category=home,
        price=Decimal("199.00"),
        service_fee_rate=Decimal("0.20"),
    )


@pytest.mark.parametrize(("language", "width"), [("zh-hans", 1280), ("en", PHONE["width"])])
def test_a_failed_submit_focuses_the_error_summary_and_its_links_the_fields(
    page, live_server, demo_users, login, shot, language, width
):
    page.set_viewport_size({"width": width, "height": 900})
    login(page, live_server, "demo_merchant")
    if language == "en":
        with page.expect_navigation():
            page.click(".lang-switch button[value=en]")
    page.goto(f"{live_server.url}/products/new/")
    form = page.locator("#product-form")
    form.locator("#id_title").fill("杯子")
    form.locator("#id_price").fill("1e3")
    form.locator("#id_service_fee_percent").fill("90")
    with page.expect_navigation():
        form.locator("[type=submit]").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    assert summary.get_attribute("role") == "alert"
    links = summary.locator("a")
    assert links.count() >= 3  # SKU, category, price, rate
    text = summary.inner_text()
    if language == "en":
        assert "Couldn't submit" in text and "Enter an amount" in text
    else:
        assert "提交未成功" in text and "请输入金额" in text
    shot(page, f"forms-error-summary-{language}-{width}")
    price_link = summary.locator("a[href='#id_price']")
    price_link.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#id_price")).to_be_focused()
    described = page.locator("#id_price").get_attribute("aria-describedby")
    assert "id_price_error" in described


def test_the_cooperate_form_errors_swap_in_and_take_the_focus(page, live_server, login, a_product):
    creator = Creator.objects.get(user__username="demo_creator")
    login(page, live_server, "demo_merchant")
    page.goto(f"{live_server.url}/creators/{creator.pk}/")
    # The header's 我要合作 moves the focus into the form.
    page.locator(".page-head__actions a", has_text="我要合作").click()
    first = page.locator("#cooperate-form input[type=checkbox]").first
    expect(first).to_be_focused()
    form = page.locator("#cooperate-form")
    form.locator("#id_slot_fee").fill("1e3")
    form.get_by_role("button", name="发出合作邀请").click()  # htmx: the form swaps itself
    summary = page.locator("#cooperate-errors")
    expect(summary).to_be_focused()
    assert "<html" not in page.locator("#cooperate-form").inner_html()
    assert "请输入金额" in summary.inner_text()


def test_a_skip_link_reaches_the_form_first(page, live_server, demo_users, login):
    login(page, live_server, "demo_merchant")
    page.goto(f"{live_server.url}/products/new/")
    page.keyboard.press("Tab")  # 跳到正文
    page.keyboard.press("Tab")  # 跳到表单
    skip = page.locator(".skip-link", has_text="跳到表单")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("#id_title")).to_be_focused()


def test_without_javascript_the_skip_link_still_lands_in_the_form(
    browser, live_server, demo_users, login
):
    ctx = browser.new_context(java_script_enabled=False)
    page = ctx.new_page()
    login(page, live_server, "demo_merchant")
    page.goto(f"{live_server.url}/products/new/")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link", has_text="跳到表单")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.locator("#id_title")).to_be_focused()
    ctx.close()


def test_the_phone_menu_closes_on_escape(page, live_server, demo_users, login):
    page.set_viewport_size(PHONE)
    login(page, live_server, "demo_creator")
    toggle = page.locator("[data-nav-toggle]")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Tab")
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    expect(page.locator("#sidenav")).not_to_have_class("sidenav is-open")
