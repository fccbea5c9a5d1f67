"""Issue 16 in a real browser: a late live session cancelled, a dispute split 60/40 in admin.

1. demo_merchant's creator missed the live deadline: the merchant cancels (asked
   first) and sees the slot fee back in 资金账户.
2. demo_creator opens a dispute (asked first, with its reason); demo_operator
   splits it 60/40 in admin; both sides see the decision on the task page.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from admission.models import Category, User
from cooperation.models import Dispute, Product, Task, TaskState
from cooperation.services import tasks as services
from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.django_db(transaction=True)


def _task(state: str, fee: str = "3000.00") -> Task:
    merchant = User.objects.get(username="demo_merchant")
    creator = User.objects.get(username="demo_creator")
    home, _ = Category.objects.get_or_create(
        code="home", defaults={"name_zh": "家居", "name_en": "Home"}
    )
    product = Product.objects.create(
        merchant=merchant.merchant,
        sku=f"TR-{state}",
        title="北欧风陶瓷餐具 16 件套",
        category=home,
        price=Decimal("199.00"),
        service_fee_rate=Decimal("0.20"),
    )
    task = services.task_create(
        actor=merchant,
        creator=creator.creator,
        products=[product],
        slot_fee=Decimal(fee),
        planned_live_date=timezone.localdate(),
    )
    services.task_accept(task=task, actor=creator)
    services.task_ship_sample(task=task, actor=merchant, carrier="顺丰速运", tracking_no="SF9988")
    if state == TaskState.RECEIVED:
        services.task_confirm_receipt(task=task, actor=creator)
    return task


def _confirm(page, **fields):
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    for selector, value in fields.items():
        locator = dialog.locator(f"#{selector}")
        if locator.evaluate("e => e.tagName") == "SELECT":
            locator.select_option(value)
        else:
            locator.fill(value)
    with page.expect_navigation():
        dialog.locator("[type=submit]").click()


def test_merchant_cancels_after_a_missed_live_deadline_and_gets_the_fee_back(
    browser, live_server, login, shot, demo_users
):
    task = _task(TaskState.RECEIVED)
    # The planned date was a week ago and the sample arrived before it: the deadline passed.
    week_ago = timezone.now() - timedelta(days=7)
    Task.objects.filter(pk=task.pk).update(
        planned_live_date=timezone.localdate() - timedelta(days=7), received_at=week_ago
    )
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    m = ctx.new_page()
    login(m, live_server, "demo_merchant")
    m.goto(f"{live_server.url}/tasks/{task.pk}/")
    expect(m.locator(".task-deadline")).to_contain_text("已逾期")
    shot(m, "trust-live-deadline-missed")
    m.get_by_role("button", name="逾期未直播，取消合作").click()
    _confirm(m, id_reason="达人一周未直播")
    expect(m.locator(".task-state")).to_have_text("已取消")
    expect(m.locator(".alert--success")).to_contain_text("坑位费已退回你的资金账户")
    expect(m.locator(".task-timeline")).to_contain_text("达人逾期未完成直播")
    expect(m.locator(".task-timeline")).to_contain_text("坑位费退回")
    m.goto(f"{live_server.url}/funds/?tab=escrow")
    expect(m.locator(".fund-rows")).to_contain_text("3,000.00")
    expect(m.locator(".fund-rows")).to_contain_text("坑位费退回")
    shot(m, "trust-funds-fee-returned")
    ctx.close()
    task.refresh_from_db()
    assert (task.state, task.escrow_returned) == (TaskState.CANCELLED, Decimal("3000.00"))


def test_creator_disputes_operator_splits_60_40_both_sides_see_it(
    browser, live_server, login, shot, demo_users
):
    task = _task(TaskState.SHIPPED, fee="2500.00")
    creator_ctx = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    c = creator_ctx.new_page()
    login(c, live_server, "demo_creator")
    c.goto(f"{live_server.url}/tasks/{task.pk}/")
    c.get_by_role("button", name="发起争议").click()
    _confirm(
        c,
        id_reason="sample_mismatch",
        id_statement="收到的餐具有两只破损，颜色也与约定不符。",
        id_links="https://evidence.example.com/photo/1",
    )
    expect(c.locator(".task-state")).to_have_text("争议中")
    expect(c.locator(".task-dispute")).to_contain_text("样品与约定不符")
    shot(c, "trust-dispute-opened-phone")

    ops_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    o = ops_ctx.new_page()
    login(o, live_server, "demo_operator")
    o.goto(f"{live_server.url}/admin/cooperation/dispute/")
    o.get_by_role("link", name=task.reference).click()
    expect(o.locator("#content")).to_contain_text("收到的餐具有两只破损")
    shot(o, "trust-admin-dispute")
    o.get_by_role("link", name="裁决这个争议").click()
    o.get_by_label("按比例分配").check()
    o.locator("#id_percent").fill("60")
    o.locator("#id_note").fill("样品确有破损，双方各担部分责任。")
    shot(o, "trust-admin-decide")
    o.get_by_role("button", name="确认裁决").click()
    expect(o.locator(".messagelist")).to_contain_text("¥1,500.00")
    expect(o.locator(".messagelist")).to_contain_text("¥1,000.00")
    ops_ctx.close()

    c.reload()
    expect(c.locator(".task-state")).to_have_text("已裁决")
    expect(c.locator(".task-dispute")).to_contain_text("按比例分配")
    expect(c.locator(".task-dispute")).to_contain_text("¥1,500.00")
    shot(c, "trust-dispute-decided-phone")
    merchant_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    m = merchant_ctx.new_page()
    login(m, live_server, "demo_merchant")
    m.goto(f"{live_server.url}/tasks/{task.pk}/")
    expect(m.locator(".task-dispute")).to_contain_text("¥1,000.00")
    expect(m.locator(".task-timeline")).to_contain_text("争议裁决")
    merchant_ctx.close()
    creator_ctx.close()
    d = Dispute.objects.get(task=task)
    assert (d.creator_amount, d.merchant_amount) == (Decimal("1500.00"), Decimal("1000.00"))
