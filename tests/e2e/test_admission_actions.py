"""Self-service actions on the 准入中心 in a browser: operating account, permissions, assessment."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def admission_world(transactional_db):
    """The demo users and admission's world only (no orders: their postings cannot be flushed)."""
    from admission import demo

    demo.seed(users_only=False, context={})


def test_tmall_operating_account_confirmed_by_the_account_itself(
    page, live_server, admission_world, login, shot
):
    # merchant07 (Tmall) has asked merchant07_ops; it is not admitted until the account confirms.
    login(page, live_server, "merchant07")
    page.goto(f"{live_server.url}/admission/")
    assert "等待其登录确认" in page.locator("#c-operating_account_designated").inner_text()
    # A bad designation is refused at the field.
    page.fill("#id_username", "merchant07")
    page.get_by_role("button", name="指定运营账户").click()
    assert "不能指定本店账户自己作为运营账户。" in page.locator("#id_username_error").inner_text()
    # Another shop's operating account: the same answer as any name (issue 14, defect 8) —
    # nothing about that account or its shop; only the named account learns, confirming.
    page.fill("#id_username", "demo_tmall_ops")
    page.get_by_role("button", name="指定运营账户").click()
    said = page.locator(".messages").inner_text()
    assert "已向 demo_tmall_ops 发出运营账户邀请" in said and "山野旗舰店" not in said
    assert "山野旗舰店" not in page.locator("#operating").inner_text()
    shot(page, "admission-tmall-designation-neutral")
    page.fill("#id_username", "merchant07_ops")
    page.get_by_role("button", name="指定运营账户").click()
    assert "等待其登录确认" in page.locator("#operating").inner_text()

    page.context.clear_cookies()
    login(page, live_server, "merchant07_ops")
    page.goto(f"{live_server.url}/admission/#operating-requests")
    assert "「云朵家纺天猫店」于" in page.locator("#operating-requests").inner_text()
    page.get_by_role("button", name="确认担任").click()
    with page.expect_navigation():  # asked once, in a dialog
        page.get_by_role("dialog").get_by_role("button", name="确认担任").click()
    assert "你已成为「云朵家纺天猫店」的运营账户。" in page.locator(".messages").inner_text()

    page.context.clear_cookies()
    login(page, live_server, "merchant07")
    page.goto(f"{live_server.url}/admission/")
    assert "已通过准入" in page.locator(".adm-verdict").inner_text()
    shot(page, "admission-tmall-admitted")


def test_merchant_requests_permission_for_a_restricted_product(
    page, live_server, admission_world, login, shot
):
    login(page, live_server, "demo_merchant")
    page.goto(f"{live_server.url}/admission/#products")
    row = page.locator("tr", has_text="SKU-R-MED-03")
    row.locator("input[name=note]").fill("短")
    row.get_by_role("button", name="申请推广权限").click()
    row = page.locator("tr", has_text="SKU-R-MED-03")
    assert "申请理由至少需要 5 个字。" in row.inner_text()
    row.locator("input[name=note]").fill("已取得医疗器械经营许可证，申请推广")
    row.get_by_role("button", name="申请推广权限").click()
    # This world has no product with that SKU: the message falls back to the SKU.
    assert "已提交商品「SKU-R-MED-03」的推广权限申请。" in page.locator(".messages").inner_text()
    assert "待审批" in page.locator("tr", has_text="SKU-R-MED-03").inner_text()
    page.set_viewport_size(PHONE)
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(400)
    shot(page, "admission-products-phone")


def test_provider_requests_an_assessment(page, live_server, admission_world, login, shot):
    login(page, live_server, "provider04")
    page.goto(f"{live_server.url}/admission/")
    page.get_by_role("link", name="去申请").click()
    page.fill("#id_note", "太短")
    page.get_by_role("button", name="申请准入考核").click()
    assert "申请说明至少需要 10 个字。" in page.locator("#id_note_error").inner_text()
    page.fill("#id_note", "新注册服务商，关联晨光文化，提供直播代运营服务。")
    page.get_by_role("button", name="申请准入考核").click()
    assert "准入考核已申请，等待运营审核" in page.locator("#c-assessment_approved").inner_text()
    assert "等待运营核实" in page.locator("#c-assessment_approved").inner_text()
    shot(page, "admission-provider-assessment")
