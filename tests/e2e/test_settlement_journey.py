"""Journey: demo_agency invites demo_creator, who reads the preview and consents; then the
creator's 资金账户 with the demo's 90 days of settled orders."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, SCREENSHOTS

pytestmark = pytest.mark.django_db(transaction=True)

# Our content never widens the page on a phone (wide tables scroll inside their card).
MAIN_FITS = "(() => { const m = document.querySelector('#main'); return m.scrollWidth <= m.clientWidth; })()"


@pytest.fixture(autouse=True)
def _empty_the_ledger_before_flush(transactional_db):
    """On SQLite the append-only trigger refuses to delete a posting whose journal still
    exists, and Django's flush deletes tables in no fixed order: empty the ledger first
    (journals, then their postings, in one transaction; Postgres flushes with TRUNCATE)."""
    yield
    from django.db import connection, transaction

    if connection.vendor == "sqlite":
        with transaction.atomic(), connection.cursor() as cursor:
            for table in ("settlement_payout", "settlement_journal", "settlement_posting"):
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names


def test_agency_invites_creator_consents_then_fund_account(
    page, live_server, demo_world, login, shot
):
    # The agency finds the creator by nickname and invites it at 30%.
    login(page, live_server, "demo_agency")
    page.goto(f"{live_server.url}/bindings/")
    page.fill("#id_q", "小鹿")
    page.get_by_role("button", name="搜索").click()
    page.wait_for_load_state("load")
    page.get_by_role("link", name="选择").first.click()
    page.wait_for_load_state("load")
    assert page.input_value("#id_creator") == "demo_creator"
    # A share above 100% is refused at the field, and nothing is sent.
    page.fill("#id_agency_share", "130")
    page.get_by_role("button", name="发出邀请").click()
    page.wait_for_load_state("load")
    assert "分成比例不能超过 100%" in page.locator("#id_agency_share_error").inner_text()
    shot(page, "settlement-invite-error")
    page.fill("#id_agency_share", "30")
    page.fill("#id_message", "欢迎加入星河传媒！")
    page.get_by_role("button", name="发出邀请").click()
    page.wait_for_load_state("load")
    assert "邀请已发给「小鹿爱分享」" in page.locator(".messages").inner_text()
    shot(page, "settlement-invite-sent")

    # The creator sees it among its invitations and opens the consent page.
    page.context.clear_cookies()
    login(page, live_server, "demo_creator")
    page.goto(f"{live_server.url}/bindings/?status=invited")
    row = page.locator("tr", has_text="星河传媒 MCN")
    row.get_by_role("link", name="查看并确认").click()
    page.wait_for_load_state("load")
    assert "「星河传媒 MCN」邀请你绑定" in page.locator("h1").inner_text()
    # ¥100.00 × 20%: bound at 30% → agency ¥4.20, creator ¥9.80; individual → ¥12.00.
    assert page.get_by_test_id("preview-agency").inner_text() == "¥4.20"
    assert page.get_by_test_id("preview-creator").inner_text() == "¥9.80"
    assert page.get_by_test_id("preview-individual").inner_text() == "¥12.00"
    shot(page, "settlement-consent")
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(400)  # the side menu slides away when the width drops
    shot(page, "settlement-consent-phone")
    page.set_viewport_size({"width": 1280, "height": 800})
    # A question before consenting: the invitation's 消息 opens its thread with the agency.
    consent_url = page.url
    page.locator("a.binding-messages").click()
    page.wait_for_load_state("load")
    assert "机构绑定的消息" in page.locator("h1").inner_text()
    assert page.locator("#id_product").count() == 0  # no product or task cards here
    page.fill("#id_body", "分成是按每单服务费算的吗？")
    page.get_by_role("button", name="发送").click()
    expect(page.locator("#msg-list")).to_contain_text("分成是按每单服务费算的吗？")
    shot(page, "conversations-binding-thread-creator")
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(400)
    shot(page, "conversations-binding-thread-creator-phone")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(consent_url)
    # Try another example order in place (htmx swaps the preview).
    page.fill("#id_price", "99.99")
    page.fill("#id_rate", "15")
    page.get_by_role("button", name="重新计算").click()
    # expect() polls from Playwright's side: no eval in the page, which our CSP forbids.
    expect(page.locator("[data-testid=preview-creator]")).to_have_text("¥7.35")
    page.get_by_role("button", name="同意绑定").click()
    page.wait_for_load_state("load")
    assert "已同意，绑定自现在起生效" in page.locator(".messages").inner_text()
    assert "生效中" in page.locator(".page-head").inner_text()
    page.goto(f"{live_server.url}/bindings/")
    assert "已绑定「星河传媒 MCN」" in page.locator(".binding-status").inner_text()
    shot(page, "settlement-bindings-creator")

    # The 资金账户 is alive with the demo's settled orders.
    page.goto(f"{live_server.url}/funds/")
    assert re.match(r"-?¥[\d,]+\.\d\d", page.get_by_test_id("earned").inner_text())
    assert page.locator(".fund-table tbody tr").count() > 0
    assert page.locator("svg.chart--wide path.series").count() == 1
    shot(page, "settlement-funds-creator")
    page.get_by_role("link", name="为什么是这个数").first.click()
    page.wait_for_load_state("load")
    assert "为什么是这个数" in page.locator("h1").inner_text()
    assert page.get_by_test_id("fee").inner_text().startswith("¥")
    shot(page, "settlement-order-why")
    page.goto(f"{live_server.url}/funds/")
    page.get_by_role("link", name="账户流水").click()
    page.wait_for_url(re.compile(r"tab=statement"))
    assert page.locator(".fund-table tbody tr").count() > 0
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/funds/")
    assert page.evaluate(MAIN_FITS)
    shot(page, "settlement-funds-creator-phone")
    page.locator(".fund-tabs").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "settlement-funds-creator-phone-rows.png"))
    page.goto(f"{live_server.url}/bindings/")
    assert page.evaluate(MAIN_FITS)
    shot(page, "settlement-bindings-creator-phone")


def test_the_agency_answers_in_the_invitation_thread_in_english(
    page, live_server, demo_world, login, shot
):
    """The demo's binding thread: the agency sees the streamer's message as unread in its
    inbox, opens it, answers, and the page reads in English."""
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    login(page, live_server, "demo_agency")
    page.goto(f"{live_server.url}/messages/")
    item = page.locator(".thread-item", has_text="Agency binding")
    expect(item.locator(".badge--count")).to_have_text("1")
    item.locator("a").click()
    page.wait_for_load_state("load")
    assert "Agency binding messages" in page.locator("h1").inner_text()
    page.fill("#id_body", "Yes: 30% of the service fee of each order.")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#msg-list")).to_contain_text("30% of the service fee")
    shot(page, "conversations-binding-thread-agency-en")
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(400)
    shot(page, "conversations-binding-thread-agency-en-phone")
    page.get_by_role("link", name="View the binding").click()
    page.wait_for_load_state("load")
    assert "/bindings/" in page.url


def test_merchant_and_agency_fund_accounts(page, live_server, demo_world, login, shot):
    login(page, live_server, "demo_merchant")
    page.goto(f"{live_server.url}/funds/?tab=creators")
    assert page.locator(".fund-table tbody tr").count() > 0
    shot(page, "settlement-funds-merchant")
    page.context.clear_cookies()
    login(page, live_server, "demo_agency")
    page.goto(f"{live_server.url}/funds/")
    assert page.locator(".fund-table tbody tr").count() > 0
    shot(page, "settlement-funds-agency")
    page.goto(f"{live_server.url}/bindings/")
    shot(page, "settlement-bindings-agency")
