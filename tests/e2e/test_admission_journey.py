"""Done-when of issue 3, in a real browser.

demo_newbie opens 准入中心, sees exactly what is missing and why, signs the
agreement, still sees Alipay real-name awaiting verification; demo_operator
verifies it in admin (an audit row is written); demo_newbie is now admitted.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def admission_world(transactional_db):
    """The demo users and admission's world only (no orders: their postings cannot be flushed)."""
    from admission import demo

    demo.seed(users_only=False, context={})


def _checklist_item(page, code):
    return page.locator(f"#c-{code}")


def test_newbie_signs_operator_verifies_newbie_is_admitted(
    page, live_server, demo_users, login, shot
):
    from admission.models import Creator

    # 1. The newbie sees what is missing, and why.
    login(page, live_server, "demo_newbie")
    page.get_by_role("link", name="准入中心").click()
    page.wait_for_url(re.compile(r"/admission/$"))
    verdict = page.locator(".adm-verdict")
    assert "尚未通过准入" in verdict.inner_text()
    assert (
        "还差：签署授权协议；满足任一准入路径（逛逛商单达人 / 实名认证主播）"
        in verdict.inner_text()
    )
    agreement = _checklist_item(page, "agreement_signed")
    assert "未签署当前版本的授权协议（版本 2026.1）" in agreement.inner_text()
    assert "待你完善" in agreement.inner_text()
    alipay = _checklist_item(page, "alipay_verified")
    assert "支付宝实名认证待核实" in alipay.inner_text()
    assert "等待运营核实" in alipay.inner_text()
    assert "平台运营会核实" in alipay.inner_text()  # how to get it
    assert "已满足" in _checklist_item(page, "level_v1").inner_text()
    shot(page, "admission-newbie-before")
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(400)  # let the side navigation finish sliding away
    shot(page, "admission-newbie-before-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    # 2. Signing without ticking the box is refused at the field.
    page.get_by_role("button", name="同意并签署").click()
    assert "请先勾选同意协议再签署。" in page.locator("#id_agree_error").inner_text()

    # 3. The newbie signs.
    page.check("#id_agree")
    page.get_by_role("button", name="同意并签署").click()
    page.wait_for_load_state("load")
    assert "已签署授权协议（版本 2026.1）" in page.locator(".messages").inner_text()
    assert "已满足" in _checklist_item(page, "agreement_signed").inner_text()
    alipay = _checklist_item(page, "alipay_verified")
    assert "支付宝实名认证待核实" in alipay.inner_text()
    assert "等待运营核实" in alipay.inner_text()
    assert "尚未通过准入" in page.locator(".adm-verdict").inner_text()
    shot(page, "admission-newbie-signed")

    # 4. The operator finds the newbie in admin by unmet condition and verifies Alipay.
    page.context.clear_cookies()
    login(page, live_server, "demo_operator")
    page.goto(f"{live_server.url}/admin/admission/creator/?admitted=no&unmet=alipay_verified")
    row = page.locator("#result_list tr", has_text="新人小白")
    assert row.count() == 1
    shot(page, "admission-admin-filter")
    row.locator("input.action-select").check()
    page.select_option("select[name=action]", label="核实支付宝实名认证")
    page.click("button[name=index]")
    page.wait_for_load_state("load")
    assert "已更新 1 条记录" in page.locator(".messagelist").inner_text()

    newbie = Creator.objects.get(user__username="demo_newbie")
    page.goto(f"{live_server.url}/admin/admission/creator/{newbie.pk}/history/")
    history = page.locator("#content").inner_text()
    assert "demo_operator" in history or "运营小王" in history
    shot(page, "admission-admin-history")
    latest = newbie.history.first()
    assert latest.history_user.username == "demo_operator"
    assert latest.alipay_verified is True and latest.prev_record.alipay_verified is False

    # 5. The newbie is now admitted and its 准入中心 says so.
    page.context.clear_cookies()
    login(page, live_server, "demo_newbie")
    page.goto(f"{live_server.url}/admission/")
    assert "已通过准入" in page.locator(".adm-verdict").inner_text()
    assert "已满足" in _checklist_item(page, "alipay_verified").inner_text()
    shot(page, "admission-newbie-admitted")


def test_other_roles_centers(page, live_server, admission_world, login, shot):
    for username, expect in [
        ("demo_tmall", "已通过准入"),
        ("merchant07", "尚未通过准入"),
        ("provider04", "尚未通过准入"),
        ("demo_merchant", "已通过准入"),
    ]:
        page.context.clear_cookies()
        login(page, live_server, username)
        page.goto(f"{live_server.url}/admission/")
        assert expect in page.locator(".adm-verdict").inner_text()
        shot(page, f"admission-center-{username}")
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(400)
    shot(page, "admission-center-demo_merchant-phone")
