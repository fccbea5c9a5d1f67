"""消息: a merchant sends a product card and a task card in a disputed task's thread; the
creator sees them rendered from our data; an operator reads the whole conversation from
the dispute (read only, the dispute part highlighted). Axe-clean, desktop and phone,
zh-hans and en (screenshots)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE
from tests.e2e.sweep import AXE, AXE_TAGS, BLOCKING, RUN_AXE

pytestmark = pytest.mark.django_db(transaction=True)
COMBOS = (
    ("zh-hans", "desktop", {"width": 1280, "height": 900}),
    ("zh-hans", "phone", PHONE),
    ("en", "desktop", {"width": 1280, "height": 900}),
    ("en", "phone", PHONE),
)


def _context(browser, live_server, language, viewport):
    ctx = browser.new_context(bypass_csp=True, viewport=viewport)
    ctx.add_init_script(path=str(AXE))
    ctx.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    return ctx


def _axe_clean(page):
    page.wait_for_load_state("networkidle")
    page.evaluate("window.scrollTo(0, 0)")  # as a reader arrives (the sticky header aside)
    bad = [v for v in page.evaluate(RUN_AXE, AXE_TAGS) if v["impact"] in BLOCKING]
    assert not bad, [(v["id"], [(n["target"], n.get("html")) for n in v["nodes"]]) for v in bad]


def _disputed():
    from conversations.models import MessageKind
    from conversations.services import thread_for_task
    from cooperation.models import Dispute

    dispute = Dispute.objects.select_related("task").order_by("pk").first()
    assert dispute is not None, "the demo world has no dispute"
    thread = thread_for_task(task=dispute.task)
    assert thread.messages.filter(kind=MessageKind.DISPUTE_OPENED, dispute=dispute).exists()
    return dispute, thread


def test_cards_in_a_disputed_thread_and_the_operators_dispute_view(
    browser, live_server, demo_world, login, shot
):
    from admission.models import User
    from conversations.models import DisputeAccess, Message
    from cooperation.models import Product

    dispute, thread = _disputed()
    merchant = User.objects.get(pk=thread.merchant_id)
    creator = User.objects.get(pk=thread.creator_id)
    product = Product.objects.filter(merchant_id=merchant.pk, status="active").order_by("pk")[0]

    # The merchant attaches its product and the task, in the box, with a line of text.
    ctx = _context(browser, live_server, "zh-hans", {"width": 1280, "height": 900})
    page = login(ctx.new_page(), live_server, merchant.username)
    page.goto(f"{live_server.url}/messages/{thread.pk}/")
    page.locator(".compose__attach summary").click()
    page.select_option("#id_product", str(product.pk))
    page.select_option("#id_task", str(dispute.task_id))
    page.fill("#id_body", "这是直播时讲解的商品，附上任务。")
    page.locator("#compose").get_by_role("button", name="发送").click()
    expect(page.locator(".msg--mine .msg-card--product")).to_have_count(1, timeout=5000)
    ctx.close()
    sent = Message.objects.filter(thread=thread, card_product=product).get()
    assert sent.card_task_id == dispute.task_id

    for language, width, viewport in COMBOS:
        for user in (merchant, creator):
            ctx = _context(browser, live_server, language, viewport)
            page = login(ctx.new_page(), live_server, user.username)
            page.goto(f"{live_server.url}/messages/{thread.pk}/")
            card = page.locator(f"#m-{sent.pk} .msg-card--product")
            expect(card).to_contain_text(product.title)
            expect(page.locator(f"#m-{sent.pk} .msg-card--task")).to_contain_text(
                dispute.task.reference
            )
            expect(page.locator(".msg--dispute")).to_have_count(1)
            _axe_clean(page)
            who = "merchant" if user == merchant else "creator"
            shot(page, f"thread-cards-{who}--{language}--{width}")
            ctx.close()
        ctx = _context(browser, live_server, language, viewport)
        page = login(ctx.new_page(), live_server, "demo_operator")
        page.goto(f"{live_server.url}/admin/cooperation/dispute/{dispute.pk}/change/")
        with page.expect_navigation():
            page.locator(f"a[href$='/disputeaccess/dispute/{dispute.pk}/']").click()
        expect(page.locator(".dispute-thread__after").first).to_be_visible()
        expect(page.get_by_text("这是直播时讲解的商品，附上任务。")).to_be_visible()
        _axe_clean(page)
        shot(page, f"dispute-thread--{language}--{width}")
        ctx.close()
    assert DisputeAccess.objects.filter(dispute=dispute).count() == len(COMBOS)
