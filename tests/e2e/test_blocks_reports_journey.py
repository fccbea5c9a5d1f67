"""消息: a creator blocks a merchant and lists it; an operator reads a reported thread
through the report. Axe-clean, desktop and phone, zh-hans and en (screenshots)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE
from tests.e2e.sweep import AXE, AXE_TAGS, BLOCKING, RUN_AXE

pytestmark = pytest.mark.django_db(transaction=True)


def _context(browser, live_server, language, viewport):
    ctx = browser.new_context(bypass_csp=True, viewport=viewport)
    ctx.add_init_script(path=str(AXE))
    ctx.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    return ctx


def _axe_clean(page):
    page.wait_for_load_state("networkidle")  # the header's counts arrive by htmx
    bad = [v for v in page.evaluate(RUN_AXE, AXE_TAGS) if v["impact"] in BLOCKING]
    assert not bad, [(v["id"], [n["target"] for n in v["nodes"]]) for v in bad]


def _direct_thread():
    from conversations.models import Thread

    return Thread.objects.get(kind="direct", merchant__username="demo_tmall")


def test_a_creator_blocks_a_merchant_and_lifts_it_from_the_list(
    browser, live_server, demo_world, login, shot
):
    thread = _direct_thread()
    for language, width, viewport in (
        ("zh-hans", "desktop", {"width": 1280, "height": 900}),
        ("en", "phone", PHONE),
    ):
        ctx = _context(browser, live_server, language, viewport)
        page = login(ctx.new_page(), live_server, "demo_creator")
        page.goto(f"{live_server.url}/messages/{thread.pk}/")
        expect(page.locator(".thread-tools")).to_be_visible()
        _axe_clean(page)
        block = "屏蔽这个商家" if language == "zh-hans" else "Block this merchant"
        with page.expect_navigation():
            page.get_by_role("button", name=block).click()
        expect(page.locator("#compose")).to_have_count(0)
        _axe_clean(page)
        shot(page, f"thread-blocked--{language}--{width}")
        page.goto(f"{live_server.url}/messages/restrictions/")
        _axe_clean(page)
        shot(page, f"restrictions--{language}--{width}")
        lift = "解除屏蔽" if language == "zh-hans" else "Unblock"
        with page.expect_navigation():
            page.get_by_role("button", name=lift).first.click()
        ctx.close()
    from conversations.models import Restriction

    assert not Restriction.objects.filter(kind="block").exists()


def test_an_operator_reads_the_reported_thread_and_the_opening_is_recorded(
    browser, live_server, demo_world, login, shot
):
    from conversations.models import Report, ReportAccess

    report = Report.objects.get()
    for language, width, viewport in (
        ("zh-hans", "desktop", {"width": 1280, "height": 900}),
        ("en", "phone", PHONE),
    ):
        ctx = _context(browser, live_server, language, viewport)
        page = login(ctx.new_page(), live_server, "demo_operator")
        page.goto(f"{live_server.url}/admin/conversations/report/")
        shot(page, f"report-queue--{language}--{width}")
        page.goto(f"{live_server.url}/admin/conversations/report/{report.pk}/thread/")
        expect(page.get_by_text("加我微信 hw_tmall88")).to_be_visible()
        _axe_clean(page)
        shot(page, f"report-thread--{language}--{width}")
        ctx.close()
    assert ReportAccess.objects.filter(report=report).count() == 2
