"""Browser journey of 申样: a creator asks for a free sample, the merchant approves, the
纯佣 task it becomes runs to completion."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"width": 1366, "height": 900}


def _confirm(page):
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    with page.expect_navigation():
        dialog.locator("[type=submit]").click()


def _state(page, label):
    expect(page.locator(".task-state")).to_have_text(label)


def test_sample_request_to_a_completed_task(browser, live_server, demo_world, login, shot):
    from cooperation.models import Product

    product = Product.objects.get(sku="DM-003")
    m = browser.new_context(viewport=DESKTOP).new_page()
    c = browser.new_context(viewport=PHONE).new_page()

    # The creator (V3, 386k fans; the quota asks V2 and 10k) asks on its phone.
    login(c, live_server, "demo_creator")
    c.goto(f"{live_server.url}/hot/{product.pk}/plans/#samples")
    live = (timezone.localdate() + timedelta(days=3)).isoformat()
    form = c.locator(".sample-form")
    form.locator("#id_planned_live_date").fill(live)
    form.locator("#id_note").fill("周末露营专场，讲解手冲")
    form.get_by_role("button", name="申请免费样品").click()
    c.wait_for_load_state("load")
    expect(c.locator(".alert--success")).to_contain_text("申样已提交")
    shot(c, "samples-creator-phone")

    # The merchant finds it in its to-do list and approves.
    login(m, live_server, "demo_merchant")
    m.goto(f"{live_server.url}/samples/?status=pending")
    shot(m, "samples-list-desktop")
    m.locator("tr", has_text="手冲咖啡").get_by_role("link", name="去处理 · 小鹿爱分享").click()
    m.wait_for_load_state("load")
    m.locator("tr", has_text="周末露营专场").get_by_role("button", name="通过").click()
    m.wait_for_load_state("load")
    expect(m.locator(".alert--success")).to_contain_text("已进入待寄样")
    shot(m, "samples-product-desktop")
    m.set_viewport_size(PHONE)
    shot(m, "samples-product-phone")
    m.set_viewport_size(DESKTOP)
    m.locator("tr", has_text="周末露营专场").get_by_role("link", name="HW-T-").click()
    m.wait_for_load_state("load")
    _state(m, "待寄样")
    expect(m.locator(".task")).to_contain_text("纯佣")

    # The task runs like any other: ship, receive, live, confirm.
    m.locator("#id_carrier").fill("顺丰速运")
    m.locator("#id_tracking_no").fill("SF2026120201")
    m.get_by_role("button", name="确认寄样").click()
    _state(m, "待签收")
    c.goto(m.url)
    c.get_by_role("button", name="确认签收").click()
    _confirm(c)
    _state(c, "待直播")
    c.locator("#id_live_at").fill(timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    c.locator("#id_replay_url").fill("https://live.example.com/replay/sample")
    c.get_by_role("button", name="提交直播").click()
    _state(c, "待确认")
    m.reload()
    m.get_by_role("button", name="确认完成").click()
    _confirm(m)
    _state(m, "已完成")

    # In English too.
    c.click(".lang-switch button[value=en]")
    c.wait_for_load_state("load")
    c.goto(f"{live_server.url}/hot/{product.pk}/plans/")
    shot(c, "samples-creator-en-phone")
    c.set_viewport_size(DESKTOP)
    shot(c, "samples-creator-en-desktop")
