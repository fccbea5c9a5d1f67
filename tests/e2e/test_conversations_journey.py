"""消息 in two browsers: a merchant and a creator talk on a task, each message arriving within 3 s."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.django_db(transaction=True)


def _task():
    from admission.models import User
    from cooperation.services.tasks import task_create
    from tests.cooperation.task_factories import ProductFactory

    merchant = User.objects.get(username="demo_merchant")
    creator = User.objects.get(username="demo_creator")
    return task_create(
        actor=merchant,
        creator=creator.creator,
        products=[ProductFactory(merchant=merchant.merchant, title="便携榨汁杯")],
        slot_fee=Decimal("500.00"),
        planned_live_date=timezone.localdate() + timedelta(days=5),
    )


def _send(page, text: str) -> float:
    page.fill("#id_body", text)
    page.locator("#compose").get_by_role("button", name="发送").click()
    return time.monotonic()


def test_merchant_and_creator_exchange_messages_live(browser, live_server, demo_users, shot):
    task = _task()
    sides = {}
    for name in ("demo_merchant", "demo_creator"):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", name)
        page.fill("#id_password", "hotwave-demo")
        with page.expect_navigation():
            page.click("#login-form [type=submit]")
        sides[name] = page
    merchant, creator = sides["demo_merchant"], sides["demo_creator"]

    merchant.goto(f"{live_server.url}/tasks/{task.pk}/")
    with merchant.expect_navigation():
        merchant.locator(".page-head__actions").get_by_role("link", name="消息").click()
    thread_url = merchant.url
    expect(merchant.get_by_text("还没有消息，打个招呼吧。")).to_be_visible()

    # The creator sits on its workbench: the header's 消息 count goes up.
    creator.goto(f"{live_server.url}/")
    sent = _send(merchant, "你好，样品今天下午寄出，请确认收货地址。")
    expect(merchant.locator(".msg--mine")).to_have_count(1, timeout=3000)
    expect(merchant.locator("#receipt")).to_have_text("对方未读", timeout=3000)
    creator.reload()
    chat = creator.locator(".topbar-link[href='/messages/']")
    expect(chat.locator(".badge--count")).to_have_text("1")

    # The creator opens the thread: the count goes down, the merchant sees 已读 within 3 s.
    creator.goto(thread_url)
    expect(creator.get_by_text("样品今天下午寄出")).to_be_visible()
    expect(chat.locator(".badge--count")).to_have_count(0)
    expect(merchant.locator("#receipt")).to_have_text("对方已读", timeout=3000)

    # Each new message shows in the other's open thread within 3 s, without a reload.
    sent = _send(creator, "地址没变，收到后拍开箱视频。")
    expect(merchant.get_by_text("地址没变，收到后拍开箱视频。")).to_be_visible(timeout=3000)
    assert time.monotonic() - sent < 3.0
    sent = _send(merchant, "好的，直播时间定在周五晚 8 点 https://live.example.com/room/1")
    expect(creator.get_by_text("直播时间定在周五晚 8 点")).to_be_visible(timeout=3000)
    assert time.monotonic() - sent < 3.0
    expect(creator.get_by_role("link", name="https://live.example.com/room/1")).to_be_visible()

    # Bad input is refused in the box, nothing sent.
    creator.fill("#id_body", "   ")
    creator.locator("#compose").get_by_role("button", name="发送").click()
    expect(creator.get_by_text("请输入消息内容。")).to_be_visible()
    expect(creator.locator(".msg")).to_have_count(3)

    shot(merchant, "conversations-thread-zh-desktop")
    creator.set_viewport_size(PHONE)
    shot(creator, "conversations-thread-zh-phone")
    merchant.goto(f"{live_server.url}/messages/")
    expect(merchant.locator(".thread-item")).to_have_count(1)
    shot(merchant, "conversations-inbox-zh-desktop")
    creator.goto(f"{live_server.url}/messages/")
    shot(creator, "conversations-inbox-zh-phone")
    for page in (merchant, creator):
        with page.expect_navigation():
            page.click(".lang-switch button[value=en]")
    creator.goto(thread_url)
    expect(creator.get_by_role("heading", level=1)).to_contain_text("Messages")
    shot(creator, "conversations-thread-en-phone")
    merchant.goto(thread_url)
    shot(merchant, "conversations-thread-en-desktop")
    merchant.goto(f"{live_server.url}/messages/")
    shot(merchant, "conversations-inbox-en-desktop")
    creator.goto(f"{live_server.url}/messages/")
    shot(creator, "conversations-inbox-en-phone")


def test_without_javascript_a_message_is_sent_by_form_post(browser, live_server, demo_users):
    task = _task()
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "demo_creator")
    page.fill("#id_password", "hotwave-demo")
    with page.expect_navigation():
        page.click("#login-form [type=submit]")
    page.goto(f"{live_server.url}/tasks/{task.pk}/messages/")
    page.fill("#id_body", "没有脚本也能发")
    with page.expect_navigation():
        page.locator("#compose").get_by_role("button", name="发送").click()
    expect(page.locator(".msg--mine")).to_have_text(__import__("re").compile("没有脚本也能发"))
