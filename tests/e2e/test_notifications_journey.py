"""通知 in a browser: the header's unread count, the center, following a notification, settings."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.django_db(transaction=True)


def _invite(n: int = 1):
    from admission.models import User
    from cooperation.services.tasks import task_create
    from tests.cooperation.task_factories import ProductFactory

    merchant = User.objects.get(username="demo_merchant")
    creator = User.objects.get(username="demo_creator")
    product = ProductFactory(merchant=merchant.merchant, title="便携榨汁杯")
    return task_create(
        actor=merchant,
        creator=creator.creator,
        products=[product],
        slot_fee=Decimal("800.00"),
        planned_live_date=timezone.localdate() + timedelta(days=5),
    )


def test_a_creator_follows_an_invitation_from_the_header_and_the_count_goes_down(
    page, live_server, demo_users, login, shot
):
    task = _invite()
    login(page, live_server, "demo_creator")
    bell = page.locator(".topbar-link[href='/notifications/']")
    expect(bell.locator(".badge--count")).to_have_text("1")
    with page.expect_navigation():
        bell.click()
    expect(page.get_by_role("heading", name="通知", level=1)).to_be_visible()
    item = page.locator(".notice").first
    expect(item).to_contain_text("邀请你合作")
    expect(item).to_contain_text(task.reference)
    expect(item).to_contain_text("¥800.00")
    shot(page, "notifications-center-zh-desktop")
    page.set_viewport_size(PHONE)
    shot(page, "notifications-center-zh-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    with page.expect_navigation():
        item.get_by_role("link").click()
    assert page.url.endswith(f"/tasks/{task.pk}/")
    expect(bell.locator(".badge--count")).to_have_count(0)
    page.goto(f"{live_server.url}/notifications/")
    expect(page.get_by_text("没有未读通知")).to_be_visible()
    page.goto(f"{live_server.url}/notifications/?show=all")
    expect(page.locator(".notice")).to_have_count(1)


def test_mark_all_read_and_settings_in_english(page, live_server, demo_users, login, shot):
    _invite()
    login(page, live_server, "demo_creator")
    with page.expect_navigation():
        page.click(".lang-switch button[value=en]")
    page.goto(f"{live_server.url}/notifications/")
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    expect(page.locator(".notice").first).to_contain_text("invites you to cooperate")
    shot(page, "notifications-center-en-desktop")
    page.set_viewport_size(PHONE)
    shot(page, "notifications-center-en-phone")
    with page.expect_navigation():
        page.get_by_role("button", name="Mark all as read").click()
    expect(page.get_by_text("Marked 1 notifications as read.")).to_be_visible()
    expect(page.locator(".topbar-link[href='/notifications/'] .badge--count")).to_have_count(0)
    page.goto(f"{live_server.url}/notifications/settings/")
    expect(page.get_by_role("heading", name="Notification settings", level=1)).to_be_visible()
    shot(page, "notification-settings-en-phone")
    group = page.get_by_role("group", name="Sample shipped")
    group.get_by_label("Daily digest").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Notification settings saved.")).to_be_visible()
    expect(
        page.get_by_role("group", name="Sample shipped").get_by_label("Daily digest")
    ).to_be_checked()
    page.set_viewport_size({"width": 1280, "height": 900})
    shot(page, "notification-settings-en-desktop")
