"""Forgot the password, reset it from the email, log in; change it from the sidebar (defect 8)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.django_db(transaction=True)
NEW = "a-much-longer-passphrase-9"


def test_a_forgotten_password_is_reset_from_the_email(page, live_server, demo_users, shot):
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/accounts/login/")
    with page.expect_navigation():
        page.get_by_role("link", name="忘记密码？").click()
    shot(page, "password-reset-form-phone")
    page.fill("#id_email", "demo_creator@example.com")
    with page.expect_navigation():
        page.get_by_role("button", name="发送重设链接").click()
    expect(page.get_by_role("heading", name="请查收邮件")).to_be_visible()
    shot(page, "password-reset-sent-phone")
    (message,) = mail.outbox
    link = re.search(r"http://\S+/accounts/reset/\S+/", message.body)[0]
    page.goto(link)
    expect(page.get_by_role("heading", name="设置新密码")).to_be_visible()
    page.fill("#id_new_password1", NEW)
    page.fill("#id_new_password2", NEW)
    shot(page, "password-reset-confirm-phone")
    with page.expect_navigation():
        page.get_by_role("button", name="设置新密码").click()
    expect(page.get_by_role("heading", name="新密码已设置")).to_be_visible()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "demo_creator")
    page.fill("#id_password", NEW)
    with page.expect_navigation():
        page.click("#login-form [type=submit]")
    assert page.url == live_server.url + "/"
    # The link is spent.
    page.goto(link)
    expect(page.get_by_role("heading", name="链接已失效")).to_be_visible()


def test_a_password_is_changed_from_the_sidebar_in_english(
    page, live_server, demo_users, login, shot
):
    login(page, live_server, "demo_merchant")
    with page.expect_navigation():
        page.click(".lang-switch button[value=en]")
    with page.expect_navigation():
        page.get_by_role("link", name="Change password").click()
    expect(page.get_by_role("heading", name="Change password", level=1)).to_be_visible()
    page.fill("#id_old_password", "wrong-one")
    page.fill("#id_new_password1", "short")
    page.fill("#id_new_password2", "short")
    with page.expect_navigation():
        page.locator("#password-form [type=submit]").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    assert "That isn't your current password" in summary.inner_text()
    assert "too short" in summary.inner_text()
    shot(page, "password-change-errors-en")
    page.fill("#id_old_password", "hotwave-demo")
    page.fill("#id_new_password1", NEW)
    page.fill("#id_new_password2", NEW)
    with page.expect_navigation():
        page.locator("#password-form [type=submit]").click()
    expect(page.get_by_role("heading", name="Password changed")).to_be_visible()
