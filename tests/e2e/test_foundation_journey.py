"""First journey: a demo merchant logs in and reaches its workbench."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_merchant_logs_in_and_reaches_the_workbench(
    page, live_server, demo_users, login, shot
):
    page.goto(live_server.url + "/")
    assert "/accounts/login/" in page.url
    shot(page, "foundation-login")
    login(page, live_server, "demo_merchant")
    assert page.url == live_server.url + "/"
    for title in ["待办事项", "核心数据", "操作指引", "平台推荐", "成功案例"]:
        assert page.get_by_role("heading", name=title).is_visible()
    assert page.locator(".whoami").inner_text().startswith("小满生活馆")
    shot(page, "foundation-workbench-merchant")


def test_wrong_password_shows_a_clear_message(page, live_server, demo_users, login):
    login(page, live_server, "demo_merchant", password="wrong")
    assert "用户名或密码不正确" in page.locator(".error-summary").inner_text()


def test_phone_width_has_a_menu_button(page, live_server, demo_users, login, shot):
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server, "demo_creator")
    nav = page.locator("#sidenav")
    assert not nav.is_visible() or nav.bounding_box()["x"] < 0
    page.click("[data-nav-toggle]")
    page.wait_for_timeout(300)
    assert (
        page.get_by_role("link", name="资金账户").is_visible()
        or page.get_by_role("link", name="工作台").is_visible()
    )
    shot(page, "foundation-phone-nav")
