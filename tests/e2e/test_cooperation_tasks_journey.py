"""The cooperation journey of issue #5 in a real browser.

demo_merchant opens demo_creator's homepage and starts a task with two products;
demo_creator (on a phone) sees the invitation and accepts; the merchant ships the
sample; the creator confirms receipt and reports the live; the merchant confirms;
the slot fee shows in both 资金账户 (merchant pays ¥3,000.00; the individual
creator earns 60% of it, ¥1,800.00).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from admission.models import Category, Merchant
from cooperation.models import Product, Task, TaskState
from settlement.models import EscrowHold, EscrowStatus
from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_products(demo_users):
    merchant = Merchant.objects.get(user__username="demo_merchant")
    home, _ = Category.objects.get_or_create(
        code="home", defaults={"name_zh": "家居", "name_en": "Home"}
    )
    return [
        Product.objects.create(
            merchant=merchant,
            sku=sku,
            title=title,
            category=home,
            price=Decimal(price),
            service_fee_rate=Decimal(rate),
        )
        for sku, title, price, rate in [
            ("DM-001", "北欧风陶瓷餐具 16 件套", "199.00", "0.20"),
            ("DM-003", "手冲咖啡入门套装", "258.00", "0.18"),
        ]
    ]


def _state(page, label):
    expect(page.locator(".task-state")).to_have_text(label)


def _confirm(page, **fields):
    """An irreversible action asks first, in a dialog: fill its fields and say yes."""
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    for selector, value in fields.items():
        dialog.locator(f"#{selector}").fill(value)
    with page.expect_navigation():
        dialog.locator("[type=submit]").click()


def test_merchant_and_creator_run_a_task_to_completion(
    browser, live_server, login, shot, two_products
):
    from admission.models import Creator

    creator_pk = Creator.objects.get(user__username="demo_creator").pk
    merchant_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    creator_ctx = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    m = merchant_ctx.new_page()
    c = creator_ctx.new_page()

    # 1. The merchant opens the creator and starts a task with two products.
    login(m, live_server, "demo_merchant")
    m.goto(f"{live_server.url}/creators/{creator_pk}/")
    form = m.locator("#cooperate-form")
    expect(form).to_be_visible()
    expect(form.locator("#id_slot_fee")).to_have_value("3000.00")  # the creator's quote
    form.get_by_label("北欧风陶瓷餐具 16 件套", exact=False).check()
    form.get_by_label("手冲咖啡入门套装", exact=False).check()
    tomorrow = (timezone.localdate() + timezone.timedelta(days=1)).isoformat()
    form.locator("#id_planned_live_date").fill(tomorrow)
    form.locator("#id_note").fill("周六晚八点家居专场，重点讲解餐具釉面。")
    shot(m, "cooperation-tasks-cooperate-form")
    form.get_by_role("button", name="发出合作邀请").click()
    m.wait_for_url("**/tasks/*/")
    _state(m, "待达人确认")
    task = Task.objects.get()
    assert task.items.count() == 2
    shot(m, "cooperation-tasks-detail-invited")

    # 2. The creator, on a phone, finds the invitation under its tab and accepts.
    login(c, live_server, "demo_creator")
    c.goto(f"{live_server.url}/tasks/?state=invited")
    expect(c.locator(".task-table")).to_contain_text("小满生活馆")
    shot(c, "cooperation-tasks-list-phone")
    c.get_by_role("link", name=f"#{task.pk}", exact=False).click()
    _state(c, "待达人确认")
    c.get_by_role("button", name="接受邀请").click()
    _confirm(c)
    _state(c, "待寄样")
    expect(c.locator(".alert--success")).to_contain_text("坑位费已由平台托管")
    shot(c, "cooperation-tasks-accepted-phone")

    # 3. The merchant ships the sample.
    m.reload()
    _state(m, "待寄样")
    m.locator("#id_carrier").fill("顺丰速运")
    m.locator("#id_tracking_no").fill("SF1402938475")
    shot(m, "cooperation-tasks-ship-form")
    m.get_by_role("button", name="确认寄样").click()
    _state(m, "待签收")

    # 4. The creator confirms receipt and reports the live session.
    c.reload()
    expect(c.locator(".task")).to_contain_text("SF1402938475")
    c.get_by_role("button", name="确认签收").click()
    _confirm(c)
    _state(c, "待直播")
    c.locator("#id_live_at").fill(timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    c.locator("#id_replay_url").fill("https://live.example.com/replay/2026")
    c.get_by_role("button", name="提交直播").click()
    _state(c, "待确认")

    # 5. The merchant confirms completion.
    m.reload()
    expect(m.locator(".task-replay")).to_have_text("https://live.example.com/replay/2026")
    m.get_by_role("button", name="确认完成").click()
    _confirm(m)
    _state(m, "已完成")
    # Every move, and the deadlines and escrow movements between them (issue 16).
    expect(m.locator(".task-timeline li")).to_have_count(
        task.transitions.count() + task.events.count()
    )
    expect(m.locator(".task-timeline")).to_contain_text("坑位费结算")
    shot(m, "cooperation-tasks-detail-completed")
    c.reload()
    _state(c, "已完成")
    shot(c, "cooperation-tasks-detail-completed-phone")

    task.refresh_from_db()
    assert task.state == TaskState.COMPLETED
    assert EscrowHold.objects.get(key=f"task:{task.pk}").status == EscrowStatus.RELEASED

    # 6. The slot fee in both 资金账户.
    m.goto(f"{live_server.url}/funds/?tab=escrow")
    expect(m.locator(".fund-stats")).to_contain_text("¥3,000.00")
    expect(m.locator(".fund-rows")).to_contain_text("3,000.00")
    shot(m, "cooperation-tasks-funds-merchant")
    c.goto(f"{live_server.url}/funds/?tab=escrow")
    expect(c.locator(".fund-rows")).to_contain_text("1,800.00")
    expect(c.locator("[data-testid=balance]")).to_have_text("¥1,800.00")
    shot(c, "cooperation-tasks-funds-creator-phone")
    merchant_ctx.close()
    creator_ctx.close()


def test_task_pages_on_both_widths(page, live_server, login, shot, demo_world):
    """The demo world's task list and pages, desktop and phone, for a look."""
    login(page, live_server, "demo_merchant")
    page.goto(f"{live_server.url}/tasks/")
    expect(page.locator(".task-tabs")).to_contain_text("待寄样")
    shot(page, "cooperation-tasks-list")
    # Tabs switch through htmx and keep a shareable URL.
    page.locator(".task-tabs a", has_text="待寄样").click()
    page.wait_for_url("**/tasks/?state=accepted")
    expect(page.locator(".task-tabs a.is-active")).to_contain_text("待寄样")
    # one invited and accepted, one approved sample request (申样, DM-009 for demo_creator)
    expect(page.locator(".task-table tbody tr")).to_have_count(2)
    page.go_back()
    page.wait_for_url("**/tasks/")
    expect(page.locator(".task-tabs a.is-active")).to_contain_text("全部")
    page.goto(f"{live_server.url}/tasks/?state=accepted")
    page.locator(".task-table__title").first.click()
    _state(page, "待寄样")
    shot(page, "cooperation-tasks-detail-accepted")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/tasks/?state=completed")
    shot(page, "cooperation-tasks-list-completed-phone")
    page.locator(".task-table__title").first.click()
    _state(page, "已完成")
    shot(page, "cooperation-tasks-detail-phone")


def test_creator_answers_an_invitation_on_a_phone(page, live_server, login, shot, demo_world):
    page.set_viewport_size(PHONE)
    login(page, live_server, "demo_creator")
    page.goto(f"{live_server.url}/tasks/?state=invited")
    rows = page.locator(".task-table tbody tr")
    expect(rows).to_have_count(1)  # exactly what the 待办 count says
    rows.first.locator(".task-table__title").click()
    _state(page, "待达人确认")
    expect(page.get_by_role("button", name="接受邀请")).to_be_visible()
    expect(page.get_by_role("button", name="拒绝邀请")).to_be_visible()
    shot(page, "cooperation-tasks-invitation-phone")
    # Nothing of the task page is wider than the phone.
    assert page.evaluate("document.querySelector('#task').scrollWidth") <= PHONE["width"]

    page.get_by_role("button", name="拒绝邀请").click()
    _confirm(page, id_reason="档期已满")  # asks first, with the reason
    _state(page, "已拒绝")
    expect(page.locator(".task-timeline")).to_contain_text("档期已满")
    shot(page, "cooperation-tasks-declined-phone")


def test_without_javascript_the_same_pages_work(browser, live_server, login, shot, two_products):
    """No JS: the 我要合作 form posts to a full page with errors, actions post and redirect."""
    from admission.models import Creator

    creator_pk = Creator.objects.get(user__username="demo_creator").pk
    ctx = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = ctx.new_page()
    login(page, live_server, "demo_merchant")
    page.goto(f"{live_server.url}/creators/{creator_pk}/cooperate/")
    page.get_by_label("手冲咖啡入门套装", exact=False).check()
    yesterday = (timezone.localdate() - timezone.timedelta(days=1)).isoformat()
    page.locator("#id_planned_live_date").fill(yesterday)
    page.get_by_role("button", name="发出合作邀请").click()
    expect(page.locator(".field__error")).to_have_text("计划直播日期不能早于今天。")
    shot(page, "cooperation-tasks-cooperate-errors-nojs-phone")
    page.locator("#id_planned_live_date").fill(timezone.localdate().isoformat())
    page.get_by_role("button", name="发出合作邀请").click()
    _state(page, "待达人确认")
    page.get_by_role("button", name="取消合作").click()  # no JS: the confirmation page
    expect(page.get_by_role("heading", level=1)).to_have_text("取消这次合作？")
    page.locator("#id_reason").fill("档期冲突")
    page.locator("form[method=post]").get_by_role("button", name="取消合作").click()
    _state(page, "已取消")
    expect(page.locator(".alert--success")).to_contain_text("合作已取消")
    assert Task.objects.get().state == TaskState.CANCELLED
    ctx.close()
