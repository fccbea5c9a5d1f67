"""Journey (issue 20, money in): a merchant without enough funds invites a creator; the
creator's acceptance is refused and both are told; the merchant tops up on 充值与可用资金
and the creator accepts — desktop and phone, Chinese and English."""

from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.django_db(transaction=True)
DESKTOP = {"width": 1280, "height": 900}
MAIN_FITS = "(() => { const m = document.querySelector('#main'); return m.scrollWidth <= m.clientWidth; })()"


def _confirm(page):
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    with page.expect_navigation():
        dialog.locator("[type=submit]").click()


def test_an_unfunded_acceptance_is_refused_until_the_merchant_tops_up(
    browser, live_server, demo_users, login, shot
):
    from admission.models import Category, Creator, Merchant, User
    from cooperation.models import Product, Task
    from cooperation.services import tasks as task_services
    from settlement.services import funding

    merchant = Merchant.objects.get(user__username="demo_merchant")
    funding.credit_limit_set(merchant=merchant, credit_limit=Decimal("0.00"))
    funding.top_up_request(actor=merchant.user, amount=Decimal("1200.00"))
    home, _ = Category.objects.get_or_create(
        code="home", defaults={"name_zh": "家居", "name_en": "Home"}
    )
    product = Product.objects.create(
        merchant=merchant,
        sku="DM-001",
        title="北欧风陶瓷餐具 16 件套",
        category=home,
        price=Decimal("199.00"),
        service_fee_rate=Decimal("0.20"),
    )
    creator = Creator.objects.get(user__username="demo_creator")

    m = browser.new_context(viewport=DESKTOP).new_page()
    login(m, live_server, "demo_merchant")
    # The invitation form shows what an acceptance can hold.
    m.goto(f"{live_server.url}/creators/{creator.pk}/cooperate/")
    expect(m.get_by_test_id("available-funds")).to_contain_text("¥1,200.00")
    expect(m.locator("#cooperate-form")).to_contain_text("¥500,000.00")
    shot(m, "money-in-cooperate-form")
    task = task_services.task_create(
        actor=merchant.user,
        creator=creator,
        products=[product],
        slot_fee=Decimal("3000.00"),
        planned_live_date=timezone.localdate(),
        note="周六晚八点家居专场。",
    )

    # The creator accepts on a phone: refused, with the reason, nothing changes.
    c = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    login(c, live_server, "demo_creator")
    c.goto(f"{live_server.url}/tasks/{task.pk}/")
    c.get_by_role("button", name="接受邀请").click()
    _confirm(c)
    expect(c.locator("body")).to_contain_text("不足以托管坑位费 ¥3,000.00")
    expect(c.locator(".task-state")).to_have_text("待达人确认")
    shot(c, "money-in-accept-refused-phone")
    assert Task.objects.get(pk=task.pk).state == "invited"

    # The merchant is told on the task and on 充值与可用资金.
    m.goto(f"{live_server.url}/tasks/{task.pk}/")
    expect(m.get_by_test_id("funds-shortfall")).to_contain_text("¥1,200.00")
    m.get_by_test_id("funds-shortfall").get_by_role("link", name="去充值").click()
    m.wait_for_load_state("load")
    expect(m.get_by_test_id("shortfalls")).to_contain_text(task.reference)
    expect(m.get_by_test_id("available")).to_have_text("¥1,200.00")
    # A bad amount is refused where it was typed.
    m.locator("#id_amount").fill("0.5")
    with m.expect_navigation():
        m.locator("form:has(#id_amount) [type=submit]").click()
    expect(m.locator("#id_amount_error, .field__error").first).to_contain_text("¥1.00")
    m.locator("#id_amount").fill("2000")
    with m.expect_navigation():
        m.locator("form:has(#id_amount) [type=submit]").click()
    expect(m.locator(".messages")).to_contain_text("¥2,000.00 已到账")
    expect(m.get_by_test_id("available")).to_have_text("¥3,200.00")
    shot(m, "money-in-top-up")
    m.set_viewport_size(PHONE)
    assert m.evaluate(MAIN_FITS)
    shot(m, "money-in-top-up-phone")
    m.get_by_role("button", name="EN").click()
    m.wait_for_load_state("load")
    expect(m.get_by_role("heading", name="Top-ups and available funds")).to_be_visible()
    shot(m, "money-in-top-up-phone-en")
    m.set_viewport_size(DESKTOP)
    shot(m, "money-in-top-up-en")

    # The creator accepts again: the slot fee is held.
    c.goto(f"{live_server.url}/tasks/{task.pk}/")
    c.get_by_role("button", name="接受邀请").click()
    _confirm(c)
    expect(c.locator(".task-state")).to_have_text("待寄样")
    assert User.objects.get(username="demo_merchant").merchant.funds.credit_limit == 0
