"""评价 in a real browser (issue 17 §3).

A task completes; demo_merchant rates demo_creator with the keyboard only (arrow keys
on the star radios, Tab, Enter), then changes it within 24 h; demo_creator rates the
merchant; both ratings show on the creator homepage and the merchant page; demo_operator
hides the merchant's abusive text in admin: the text is gone, the stars stay.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from admission.models import Category, User
from cooperation.models import Product, Rating
from cooperation.services import tasks as services
from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.django_db(transaction=True)

ABUSIVE = "这个主播就是个骗子，垃圾！"
FAIR = "准时开播，讲解细致，成交超出预期。"


def _completed_task():
    merchant = User.objects.get(username="demo_merchant")
    creator = User.objects.get(username="demo_creator")
    home, _ = Category.objects.get_or_create(
        code="home", defaults={"name_zh": "家居", "name_en": "Home"}
    )
    product = Product.objects.create(
        merchant=merchant.merchant,
        sku="RATE-1",
        title="北欧风陶瓷餐具 16 件套",
        category=home,
        price=Decimal("199.00"),
        service_fee_rate=Decimal("0.20"),
    )
    task = services.task_create(
        actor=merchant,
        creator=creator.creator,
        products=[product],
        slot_fee=Decimal("800.00"),
        planned_live_date=timezone.localdate(),
    )
    services.task_accept(task=task, actor=creator)
    services.task_ship_sample(task=task, actor=merchant, carrier="顺丰速运", tracking_no="SF7788")
    services.task_confirm_receipt(task=task, actor=creator)
    services.task_report_live(
        task=task, actor=creator, live_at=timezone.now(), replay_url="https://live.example.com/r/1"
    )
    services.task_confirm_completion(task=task, actor=merchant)
    return task, merchant, creator


def test_both_sides_rate_edit_and_an_operator_hides_a_text(
    browser, live_server, login, shot, demo_users
):
    task, merchant, creator = _completed_task()
    url = live_server.url

    mctx = browser.new_context(viewport={"width": 1280, "height": 900})
    m = mctx.new_page()
    login(m, live_server, "demo_merchant")
    m.goto(f"{url}/tasks/{task.pk}/#task-ratings")
    form = m.locator("form.task-action--rate")
    # Keyboard only: focus the star group (5 星 first), ArrowDown moves to 4 星 and checks it.
    form.locator("input[name=stars][value='5']").focus()
    m.keyboard.press("ArrowDown")
    expect(form.locator("input[name=stars][value='4']")).to_be_checked()
    m.keyboard.press("Tab")
    expect(form.locator("textarea[name=text]")).to_be_focused()
    m.keyboard.type(ABUSIVE)
    m.keyboard.press("Tab")
    expect(form.get_by_role("button", name="提交评价")).to_be_focused()
    m.keyboard.press("Enter")
    mine = m.locator(".task-ratings__mine")
    expect(mine).to_contain_text(ABUSIVE)
    expect(mine).to_contain_text("4/5")
    expect(mine).to_contain_text("可修改至")
    # Within 24 h the merchant changes it: the form is still there, now 修改评价.
    form = m.locator("form.task-action--rate")
    form.locator("input[name=stars][value='2']").check()
    form.locator("textarea[name=text]").fill(ABUSIVE + "再也不合作")
    form.get_by_role("button", name="修改评价").click()
    expect(mine).to_contain_text("再也不合作")
    expect(mine).to_contain_text("2/5")
    expect(mine).to_contain_text("已修改")
    shot(m, "rating-merchant-edited")

    cctx = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    c = cctx.new_page()
    login(c, live_server, "demo_creator")
    c.goto(f"{url}/tasks/{task.pk}/#task-ratings")
    cform = c.locator("form.task-action--rate")
    cform.locator("input[name=stars][value='5']").check()
    cform.locator("textarea[name=text]").fill(FAIR)
    cform.get_by_role("button", name="提交评价").click()
    expect(c.locator(".task-ratings__mine")).to_contain_text(FAIR)
    expect(c.locator(".task-ratings__theirs")).to_contain_text("再也不合作")
    shot(c, "rating-creator-phone")

    # Both homepages: the merchant's rating on the creator's, the creator's on the merchant's.
    m.goto(f"{url}/creators/{creator.pk}/")
    expect(m.locator("main")).to_contain_text("再也不合作")
    c.goto(f"{url}/merchants/{merchant.pk}/")
    expect(c.locator("main")).to_contain_text(FAIR)
    expect(c.locator("main")).to_contain_text("家居")  # the task's product category

    octx = browser.new_context(viewport={"width": 1280, "height": 900})
    o = octx.new_page()
    login(o, live_server, "demo_operator")
    rating = Rating.objects.get(task=task, rater_party="merchant")
    o.goto(f"{url}/admin/cooperation/rating/{rating.pk}/change/")
    o.locator("#id_text_hidden").check()
    o.locator("#id_hidden_reason").fill("人身攻击")
    o.locator("input[name=_save]").click()
    expect(o.locator(".messagelist")).to_be_visible()
    octx.close()

    m.goto(f"{url}/creators/{creator.pk}/")
    main = m.locator("main")
    expect(main).not_to_contain_text("再也不合作")
    expect(main).to_contain_text("评价内容因违反社区规范已被平台隐藏。")
    expect(main.locator(".rating__stars").first).to_contain_text("2/5")
    shot(m, "rating-hidden-on-creator-home")
    rating.refresh_from_db()
    assert (rating.stars, rating.text_hidden, rating.hidden_reason) == (2, True, "人身攻击")
    mctx.close()
    cctx.close()
