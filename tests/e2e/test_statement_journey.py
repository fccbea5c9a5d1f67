"""Journey (issue 20, 对账单): a creator opens 资金账户 → 月度对账单, steps to the previous
month by keyboard, downloads the CSV and prints — desktop, phone and print emulation,
Chinese and English. The figures on screen are the ledger's."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.django_db(transaction=True)
DESKTOP = {"width": 1280, "height": 900}
MAIN_FITS = "(() => { const m = document.querySelector('#main'); return m.scrollWidth <= m.clientWidth; })()"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_creator_reads_prints_and_downloads_its_monthly_statement(
    browser, live_server, demo_world, login, shot, language
):
    from admission.models import User
    from hotwave.templatetags.hw import cny
    from settlement.selectors import month_statement, shift_month

    user = User.objects.get(username="demo_creator")
    this_month = timezone.localdate().replace(day=1)
    previous = shift_month(this_month, -1)
    expected = month_statement(actor=user, month=previous)
    assert expected.line_count > 0  # the demo shows believable data

    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        ctx = browser.new_context(viewport=viewport, accept_downloads=True)
        ctx.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        page = ctx.new_page()
        login(page, live_server, "demo_creator")
        page.goto(f"{live_server.url}/funds/")
        page.get_by_test_id("statement-link").click()
        expect(page.get_by_test_id("statement-party")).to_contain_text(user.display_name)
        # the previous month by keyboard
        link = page.locator("a[rel=prev]").first
        link.focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
        expect(page.get_by_test_id("opening")).to_have_text(cny(expected.opening))
        expect(page.get_by_test_id("closing")).to_have_text(cny(expected.closing))
        assert page.evaluate(MAIN_FITS), f"{name}: the page scrolls sideways"
        shot(page, f"statement-{name}-{language}")
        if name == "desktop":
            with page.expect_download() as download:
                page.get_by_test_id("statement-csv").click()
            content = open(download.value.path(), "rb").read()  # noqa: SIM115
            assert content.startswith("\ufeff".encode())
            page.get_by_test_id("statement-print").click()
            expect(page.locator("[data-print]")).to_be_visible()
            page.emulate_media(media="print")
            expect(page.locator(".topbar")).to_be_hidden()
            expect(page.locator(".sidenav")).to_be_hidden()
            expect(page.locator("[data-print]")).to_be_hidden()
            expect(page.get_by_test_id("statement-party")).to_be_visible()
            rows = page.get_by_test_id("statement-lines").locator("tbody tr")
            expect(rows).to_have_count(expected.line_count + 2)  # opening and closing rows
            shot(page, f"statement-print-{language}")
        ctx.close()
