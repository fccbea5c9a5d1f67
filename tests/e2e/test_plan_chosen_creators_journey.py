"""Browser journey of 指定达人: a merchant puts a creator on its 定向计划's list, the
creator is told and sees the plan's rate; a bad account name is refused at the field;
removal asks first. Screenshots desktop and phone, both languages."""

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


def test_merchant_chooses_a_creator_for_its_targeted_plan(
    browser, live_server, demo_world, login, shot
):
    merchant = browser.new_context(viewport=DESKTOP).new_page()
    creator = browser.new_context(viewport=DESKTOP).new_page()

    login(merchant, live_server, "demo_merchant")
    merchant.goto(f"{live_server.url}/products/?q=DM-003")
    merchant.get_by_role("link", name=re.compile("推广计划")).first.click()
    merchant.wait_for_load_state("load")
    merchant.get_by_role("link", name="指定达人").first.click()
    merchant.wait_for_load_state("load")
    assert merchant.get_by_role("heading", name="指定达人", exact=True).is_visible()

    # An unknown account name is refused where it was typed; nothing is added.
    merchant.fill("#id_handle", "no_such_creator")
    with merchant.expect_navigation():
        merchant.locator("#add-creator-form [type=submit]").click()
    assert "没有找到账户「no_such_creator」" in merchant.locator("#add-creator-form").inner_text()
    # A merchant's account is not a creator.
    merchant.fill("#id_handle", "demo_tmall")
    with merchant.expect_navigation():
        merchant.locator("#add-creator-form [type=submit]").click()
    assert "不是达人账户" in merchant.locator("#add-creator-form").inner_text()
    assert "demo_streamer" not in merchant.locator("#plan-members").inner_text()

    # Search, then add from the results with the keyboard.
    merchant.fill("#creator-q", "demo_")
    with merchant.expect_navigation():
        merchant.press("#creator-q", "Enter")
    found = merchant.locator("#found-creators")
    assert "已在名单" in found.locator("tr", has_text="demo_creator").inner_text()
    _both_widths(merchant, shot, "plan-creators-search")
    button = found.locator("tr", has_text="demo_streamer").get_by_role(
        "button", name=re.compile("加入名单")
    )
    button.focus()
    with merchant.expect_navigation():
        merchant.keyboard.press("Enter")
    assert "加入名单：计划费率立即对其生效" in merchant.content()
    members = merchant.locator("#plan-members")
    row = members.locator("tr", has_text="demo_streamer")
    assert "商家指定" in row.inner_text()
    _both_widths(merchant, shot, "plan-creators")

    # The creator is told and sees the plan's rate as its own.
    login(creator, live_server, "demo_streamer")
    creator.goto(f"{live_server.url}/notifications/")
    note = creator.get_by_text(re.compile("的定向计划：服务费率 .*无需申请")).first
    assert note.is_visible()
    with creator.expect_navigation():
        creator.get_by_role("link", name=re.compile("无需申请")).first.click()
    assert (
        creator.locator(".plan-item", has_text="定向计划")
        .get_by_text("对你开放")
        .first.is_visible()
    )

    # Removal asks first (the dialog), then takes effect after the notice period.
    row.get_by_role("button", name="移出").click()
    dialog = merchant.get_by_role("dialog")
    with merchant.expect_navigation():
        dialog.get_by_role("button", name="移出名单").click()
    assert "达人将在通知期结束后移出名单" in merchant.content()
    assert "移出" in merchant.locator("#plan-members tr", has_text="demo_streamer").inner_text()

    # English.
    merchant.click(".lang-switch button[value=en]")
    merchant.wait_for_load_state("load")
    assert merchant.get_by_role("heading", name="Chosen creators", exact=True).is_visible()
    merchant.fill("#creator-q", "demo_")
    with merchant.expect_navigation():
        merchant.press("#creator-q", "Enter")
    _both_widths(merchant, shot, "plan-creators-en")
