"""Journey: a creator changes its 收款账户 (payouts held), an operator verifies it in admin,
the creator sees it verified and nothing held — desktop and phone, Chinese and English."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.django_db(transaction=True)
DESKTOP = {"width": 1280, "height": 900}
MAIN_FITS = "(() => { const m = document.querySelector('#main'); return m.scrollWidth <= m.clientWidth; })()"


def test_creator_changes_its_payout_account_and_an_operator_verifies_it(
    browser, page, live_server, demo_users, login, shot
):
    from settlement.models import PayoutAccount

    login(page, live_server, "demo_creator")
    page.goto(f"{live_server.url}/funds/")
    link = page.get_by_test_id("payout-account-link")
    expect(link).to_contain_text("已核实")
    link.click()
    page.wait_for_load_state("load")
    expect(page.get_by_test_id("payout-current")).to_contain_text("林小鹿")
    shot(page, "payout-account-verified")

    # A bank account instead: the current one is replaced at once, payouts are held.
    form = page.locator("#payout-form form")
    form.get_by_label("银行账户").check()
    expect(form.locator("#id_holder_name")).to_have_value("林小鹿")
    form.locator("#id_account_number").fill("6222 0210 0100 1234 567")
    form.locator("#id_bank_name").fill("工商银行杭州分行")
    form.locator("[type=submit]").click()
    page.wait_for_load_state("load")
    expect(page.locator(".messages")).to_contain_text("收款账户已提交")
    expect(page.get_by_test_id("payout-current")).to_contain_text("待核实")
    expect(page.locator("#payout-holds")).to_contain_text("没有已核实的收款账户")
    shot(page, "payout-account-pending")
    page.set_viewport_size(PHONE)
    assert page.evaluate(MAIN_FITS)
    shot(page, "payout-account-pending-phone")
    page.get_by_role("button", name="EN").click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", name="Payout account", exact=True)).to_be_visible()
    expect(page.locator("#payout-holds")).to_contain_text("No verified payout account")
    shot(page, "payout-account-pending-phone-en")
    page.set_viewport_size(DESKTOP)
    shot(page, "payout-account-pending-en")
    page.get_by_role("button", name="中文").click()
    page.wait_for_load_state("load")

    # 资金账户 says why nothing is paid out.
    page.goto(f"{live_server.url}/funds/")
    expect(page.locator("#payout-holds")).to_be_visible()
    shot(page, "payout-holds-fund-account")

    # The operator verifies it in admin.
    pending = PayoutAccount.objects.get(user__username="demo_creator", status="pending")
    ops = browser.new_context(viewport=DESKTOP).new_page()
    login(ops, live_server, "demo_operator")
    ops.goto(f"{live_server.url}/admin/settlement/payoutaccount/?status__exact=pending")
    ops.locator(f"input[name=_selected_action][value='{pending.pk}']").check()
    ops.locator("select[name=action]").select_option("verify_selected")
    ops.locator("button[name=index]").click()
    ops.wait_for_load_state("load")
    expect(ops.locator(".messagelist")).to_contain_text("已核实 1 个收款账户")
    shot(ops, "payout-account-admin-verified")
    ops.context.close()

    # The creator sees it verified, and nothing held any more.
    page.goto(f"{live_server.url}/funds/payout-account/")
    expect(page.get_by_test_id("payout-current")).to_contain_text("已核实")
    expect(page.get_by_test_id("payout-current")).to_contain_text("**** 4567")
    assert page.locator("#payout-holds").count() == 0
    shot(page, "payout-account-reverified")
