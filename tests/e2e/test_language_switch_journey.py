"""An anonymous visitor switches to English on the login page, logs in, and stays in English."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_anonymous_switches_to_english_logs_in_and_stays_in_english(
    page, live_server, demo_users, shot
):
    page.goto(live_server.url + "/")
    assert "/accounts/login/" in page.url
    with page.expect_navigation():
        page.click(".lang-switch button[value=en]")
    assert "/accounts/login/" in page.url and "setlang" not in page.url
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Log in").is_visible()
    shot(page, "language-login-en")
    page.fill("#id_username", "demo_merchant")
    page.fill("#id_password", "hotwave-demo")
    with page.expect_navigation():
        page.click("#login-form [type=submit]")
    assert page.url == live_server.url + "/"
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="To-dos").is_visible()
    # And back to Chinese, logged in.
    with page.expect_navigation():
        page.click(".lang-switch button[value=zh-hans]")
    assert page.url == live_server.url + "/"
    assert page.get_by_role("heading", name="待办事项").is_visible()
