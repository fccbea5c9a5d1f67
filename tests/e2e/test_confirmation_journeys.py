"""Irreversible actions ask once, in a dialog with JavaScript and on a page without (issue 13, defect 5).

With JS: 确认完成 opens a labelled modal <dialog> with what will happen; the
focus is on 返回; Esc closes it and gives the focus back to the button; the
second time 确认完成 in the dialog completes the task. Without JS
(``java_script_enabled=False``) the same button leads to a confirmation page
whose POST form does it. 拒绝 on a binding invitation, 移出 from the cart and
拒绝 on an operating-account request go the same two ways.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from admission.models import OperatingAccountRequest, User
from cooperation.models import CartItem, Task, TaskState
from settlement.models import Binding, BindingStatus
from tests.cooperation.task_factories import ProductFactory, make_task
from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.django_db(transaction=True)


def _users(*names):
    return [User.objects.get(username=n) for n in names]


@pytest.fixture
def live_task(demo_users):
    merchant, creator = _users("demo_merchant", "demo_creator")
    return make_task(merchant=merchant, creator=creator, state=TaskState.LIVE_REPORTED)


@pytest.mark.parametrize(("language", "viewport"), [("zh-hans", None), ("en", PHONE)])
def test_confirming_completion_asks_in_a_dialog(
    page, live_server, login, shot, live_task, language, viewport
):
    if viewport:
        page.set_viewport_size(viewport)
    login(page, live_server, "demo_merchant")
    if language == "en":
        with page.expect_navigation():
            page.click(".lang-switch button[value=en]")
    page.goto(f"{live_server.url}/tasks/{live_task.pk}/")
    label = "Confirm completion" if language == "en" else "确认完成"
    trigger = page.locator(".task-action--confirm_completion button[data-confirm]")
    expect(trigger).to_have_text(label)
    trigger.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    question = "Confirm the cooperation is complete?" if language == "en" else "确认合作完成？"
    expect(dialog).to_have_accessible_name(question)
    expect(dialog.locator("[data-dialog-close]")).to_be_focused()
    assert "¥1,000.00" in dialog.inner_text()
    shot(page, f"confirm-dialog-complete-{language}-{'phone' if viewport else 'desktop'}")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(trigger).to_be_focused()
    assert Task.objects.get(pk=live_task.pk).state == TaskState.LIVE_REPORTED

    trigger.click()
    with page.expect_navigation():
        dialog.locator("[type=submit]").click()
    expect(page.locator(".task-state")).to_have_text("Completed" if language == "en" else "已完成")
    assert Task.objects.get(pk=live_task.pk).state == TaskState.COMPLETED


def test_without_javascript_completion_asks_on_a_page(browser, live_server, login, shot, live_task):
    ctx = browser.new_context(java_script_enabled=False)
    page = ctx.new_page()
    login(page, live_server, "demo_merchant")
    page.goto(f"{live_server.url}/tasks/{live_task.pk}/")
    with page.expect_navigation():
        page.locator(".task-action--confirm_completion button").click()
    assert page.url.split("?")[0].endswith(f"/tasks/{live_task.pk}/confirm/")
    expect(page.get_by_role("heading", level=1)).to_have_text("确认合作完成？")
    shot(page, "confirm-page-complete")
    assert Task.objects.get(pk=live_task.pk).state == TaskState.LIVE_REPORTED
    # 返回 goes back without doing anything.
    with page.expect_navigation():
        page.get_by_role("link", name="返回").click()
    assert page.url.endswith(f"/tasks/{live_task.pk}/")
    with page.expect_navigation():
        page.locator(".task-action--confirm_completion button").click()
    with page.expect_navigation():
        page.locator("form[method=post] [type=submit]", has_text="确认完成").click()
    expect(page.locator(".task-state")).to_have_text("已完成")
    assert Task.objects.get(pk=live_task.pk).state == TaskState.COMPLETED
    ctx.close()


@pytest.fixture
def invitation(demo_users):
    from decimal import Decimal

    from settlement.services.binding_invites import invitation_send

    creator, agency = _users("demo_creator", "demo_agency")
    binding, _created = invitation_send(
        actor=agency, creator=creator.creator, agency_share=Decimal("0.3000")
    )
    return binding


@pytest.mark.parametrize("javascript", [True, False])
def test_declining_a_binding_invitation_asks_first(
    browser, live_server, login, invitation, javascript
):
    ctx = browser.new_context(java_script_enabled=javascript)
    page = ctx.new_page()
    login(page, live_server, "demo_creator")
    page.goto(f"{live_server.url}/bindings/{invitation.pk}/")
    page.click("#decline-binding")
    if javascript:
        dialog = page.get_by_role("dialog")
        expect(dialog).to_be_visible()
        expect(dialog).to_have_accessible_name("拒绝「星河传媒 MCN」的绑定邀请？")
        with page.expect_navigation():
            dialog.locator("[type=submit]").click()
    else:
        page.wait_for_url(f"**/bindings/{invitation.pk}/decline/**")
        assert Binding.objects.get(pk=invitation.pk).status == BindingStatus.INVITED
        with page.expect_navigation():
            page.locator("form[method=post] [type=submit]", has_text="拒绝").click()
    assert Binding.objects.get(pk=invitation.pk).status == BindingStatus.DECLINED
    assert "已拒绝这份邀请" in page.locator(".messages").inner_text()
    ctx.close()


@pytest.fixture
def cart_item(demo_users):
    merchant, creator = _users("demo_merchant", "demo_creator")
    product = ProductFactory(merchant=merchant.merchant, title="竹纤维毛巾")
    return CartItem.objects.create(creator=creator.creator, product=product)


@pytest.mark.parametrize("javascript", [True, False])
def test_removing_from_the_cart_asks_first(browser, live_server, login, cart_item, javascript):
    ctx = browser.new_context(java_script_enabled=javascript)
    page = ctx.new_page()
    login(page, live_server, "demo_creator")
    page.goto(f"{live_server.url}/cart/")
    page.locator("button[data-confirm]", has_text="移出").click()
    if javascript:
        dialog = page.get_by_role("dialog")
        expect(dialog).to_have_accessible_name("把「竹纤维毛巾」移出带货车？")
        dialog.get_by_role("button", name="返回").click()
        expect(dialog).to_be_hidden()
        assert CartItem.objects.exists()
        page.locator("button[data-confirm]", has_text="移出").click()
        with page.expect_navigation():
            dialog.locator("[type=submit]").click()
    else:
        page.wait_for_url("**/cart/remove/**")
        with page.expect_navigation():
            page.locator("form[method=post] [type=submit]", has_text="移出").click()
    assert page.url.endswith("/cart/")
    assert not CartItem.objects.exists()
    ctx.close()


@pytest.fixture
def operating_request(demo_users):
    from django.utils import timezone

    shop, account = _users("demo_tmall", "demo_merchant")
    OperatingAccountRequest.objects.filter(account=account).delete()
    return OperatingAccountRequest.objects.create(
        shop=shop.merchant, account=account, created_at=timezone.now()
    )


def test_declining_an_operating_account_request_asks_first(
    page, live_server, login, operating_request
):
    login(page, live_server, "demo_merchant")
    page.goto(f"{live_server.url}/admission/#operating-requests")
    page.locator("#operating-requests button[data-confirm]", has_text="拒绝").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    assert "运营账户邀请" in dialog.inner_text()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert OperatingAccountRequest.objects.get(pk=operating_request.pk).status == "pending"
