"""Journey (issue 20): a payout fails in the provider's result file; the creator sees it
returned with the reason, adds a new payout account, an operator verifies it, and the
returned amount is paid in the next batch — admin and 资金账户, phone and English."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.django_db(transaction=True)
DESKTOP = {"width": 1280, "height": 900}
MAIN_FITS = "(() => { const m = document.querySelector('#main'); return m.scrollWidth <= m.clientWidth; })()"


def _order_settled(order_id, day):
    from settlement.services.events import ingest_objects
    from settlement.services.settle import settle_through

    iso = day.isoformat()
    ingest_objects(
        [
            {
                "type": "order.paid",
                "order_id": order_id,
                "merchant": "demo_merchant",
                "creator": "demo_creator",
                "product": "SKU-1",
                "amount": "500.00",
                "service_fee_rate": "0.20",
                "at": f"{iso}T10:00:00+08:00",
            },
            {"type": "order.confirmed", "order_id": order_id, "at": f"{iso}T12:00:00+08:00"},
        ],
        source="file",
    )
    settle_through(business_date=day)


def test_a_failed_payout_is_returned_and_paid_in_the_next_batch(
    browser, page, live_server, demo_users, login, shot, tmp_path
):
    from settlement.models import Payout, PayoutAccount

    today = timezone.localdate()
    first_day, next_day = today - timedelta(days=3), today - timedelta(days=2)
    _order_settled("PF-1", first_day)
    item = Payout.objects.get(account__user__username="demo_creator")
    assert item.amount.to_eng_string() == "60.00"

    # The operator exports the batch and uploads the provider's results in admin.
    ops = browser.new_context(viewport=DESKTOP).new_page()
    login(ops, live_server, "demo_operator")
    ops.goto(f"{live_server.url}/admin/settlement/payoutbatch/")
    ops.locator("#id_business_date").fill(first_day.isoformat())
    with ops.expect_navigation():
        ops.get_by_role("button", name="导出打款批次").click()
    expect(ops.locator(".messagelist")).to_contain_text("1 笔")
    expect(ops.get_by_role("link", name="下载批量打款文件")).to_be_visible()
    shot(ops, "payouts-admin-batch")
    results = tmp_path / "results.csv"
    results.write_text(f"item_id,status,reason\n{item.pk},失败,收款账户已注销\n", encoding="utf-8")
    ops.goto(f"{live_server.url}/admin/settlement/payoutbatch/upload/")
    ops.locator("#id_file").set_input_files(str(results))
    with ops.expect_navigation():
        ops.get_by_role("button", name="导入结果").click()
    expect(ops.locator(".messagelist")).to_contain_text("接受 1，重复 0，拒绝 0")
    shot(ops, "payouts-admin-results")

    # The creator sees the failure, why, and the amount back in the balance.
    login(page, live_server, "demo_creator")
    page.goto(f"{live_server.url}/funds/?tab=payouts")
    row = page.locator(f"tr[data-payout='{item.pk}']")
    expect(row).to_contain_text("失败")
    expect(row).to_contain_text("收款账户已注销")
    expect(page.get_by_test_id("balance")).to_have_text("¥60.00")
    expect(page.locator("#payout-holds")).to_contain_text("上次打款失败")
    shot(page, "payouts-failed")
    page.set_viewport_size(PHONE)
    assert page.evaluate(MAIN_FITS)
    shot(page, "payouts-failed-phone")
    page.get_by_role("button", name="EN").click()
    page.wait_for_load_state("load")
    expect(row).to_contain_text("Payout failed")
    shot(page, "payouts-failed-phone-en")
    page.get_by_role("button", name="中文").click()
    page.wait_for_load_state("load")
    page.set_viewport_size(DESKTOP)

    # A new account, verified by the operator.
    page.goto(f"{live_server.url}/funds/payout-account/")
    form = page.locator("#payout-form form")
    form.get_by_label("支付宝").check()
    form.locator("#id_account_number").fill("13900139000")
    form.locator("[type=submit]").click()
    page.wait_for_load_state("load")
    expect(page.get_by_test_id("payout-current")).to_contain_text("待核实")
    pending = PayoutAccount.objects.get(user__username="demo_creator", status="pending")
    ops.goto(f"{live_server.url}/admin/settlement/payoutaccount/?status__exact=pending")
    ops.locator(f"input[name=_selected_action][value='{pending.pk}']").check()
    ops.locator("select[name=action]").select_option("verify_selected")
    ops.locator("button[name=index]").click()
    ops.wait_for_load_state("load")
    expect(ops.locator(".messagelist")).to_contain_text("已核实 1 个收款账户")

    # The next night pays the returned amount with the new earnings; the batch goes out
    # and arrives.
    _order_settled("PF-2", next_day)
    retry = Payout.objects.get(account__user__username="demo_creator", business_date=next_day)
    assert retry.amount.to_eng_string() == "120.00"
    out = tmp_path / "next.csv"
    call_command(
        "payout_batch", "--date", next_day.isoformat(), "--out", str(out), stdout=io.StringIO()
    )
    assert f"{retry.pk},demo_creator,林小鹿,13900139000,120.00" in out.read_text(encoding="utf-8")
    page.goto(f"{live_server.url}/funds/?tab=payouts")
    expect(page.locator(f"tr[data-payout='{retry.pk}']")).to_contain_text("预计")
    ok = tmp_path / "ok.csv"
    ok.write_text(f"item_id,status,reason\n{retry.pk},成功,\n", encoding="utf-8")
    call_command("payout_results", str(ok), stdout=io.StringIO())
    page.reload()
    expect(page.locator(f"tr[data-payout='{retry.pk}']")).to_contain_text("已到账")
    expect(page.get_by_test_id("balance")).to_have_text("¥0.00")
    assert page.locator("#payout-holds").count() == 0
    shot(page, "payouts-retried-paid")
