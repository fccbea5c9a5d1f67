"""Keyboard only (issue 13, accessibility): log in, invite a creator, accept, ship, confirm.

No mouse: every step is Tab (Shift+Tab), Enter, Space or typing, with the focus
checked where it lands. The merchant finds 小鹿爱分享 in 主播广场, the header's
我要合作 moves the focus into the form (a restricted product's box is disabled
and skipped), ticks a product with Space and sends; the creator accepts in the
confirmation dialog; the merchant ships; the creator confirms receipt and
reports the live session; the merchant confirms completion in the dialog.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cooperation.models import Task, TaskState
from settlement.models import EscrowHold, EscrowStatus

pytestmark = pytest.mark.django_db(transaction=True)


def tab_to(page, selector: str, *, limit: int = 200, back: bool = False) -> int:
    """Press Tab (or Shift+Tab) until the focus is on ``selector``; how many presses it took."""
    target = page.locator(selector).first
    target.wait_for(state="attached")
    for presses in range(limit):
        if target.evaluate("e => e === document.activeElement"):
            return presses
        page.keyboard.press("Shift+Tab" if back else "Tab")
    raise AssertionError(f"{selector} not reached with {limit} presses of Tab")


def press(page, key: str, *, navigates: bool = True) -> None:
    if navigates:
        with page.expect_navigation():
            page.keyboard.press(key)
    else:
        page.keyboard.press(key)


def keyboard_login(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.locator("#id_username")).to_be_focused()  # autofocus: no Tab needed
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    expect(page.locator("#id_password")).to_be_focused()
    page.keyboard.type("hotwave-demo")
    press(page, "Enter")
    assert page.url == live_server.url + "/"


def sidebar(page, label: str) -> None:
    tab_to(page, f"#sidenav a:text-is('{label}')")
    press(page, "Enter")


def confirm_in_dialog(page, button: str) -> None:
    """The action asks first: the dialog opens with the focus on 返回; Tab to the action, Enter."""
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("[data-dialog-close]")).to_be_focused()
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name=button)).to_be_focused()
    press(page, "Enter")


@pytest.fixture
def contexts(browser):
    made = []

    def new(**kw):
        ctx = browser.new_context(locale="en-US", timezone_id="Asia/Shanghai", **kw)
        made.append(ctx)
        return ctx.new_page()

    yield new
    for ctx in made:
        ctx.close()


def test_a_whole_cooperation_by_keyboard(live_server, demo_world, contexts, shot):
    m = contexts(viewport={"width": 1280, "height": 900})
    c = contexts(viewport={"width": 1280, "height": 900})

    # 1. The merchant logs in and finds the creator in 主播广场.
    keyboard_login(m, live_server, "demo_merchant")
    sidebar(m, "主播广场")
    tab_to(m, ".creator-card:has-text('小鹿爱分享') a:has-text('我要合作')")
    press(m, "Enter")
    expect(m.get_by_role("heading", name="小鹿爱分享", level=1)).to_be_visible()

    # 2. The header's 我要合作 puts the focus in the form; restricted products are skipped.
    tab_to(m, ".page-head__actions a:has-text('我要合作')")
    m.keyboard.press("Enter")
    first = m.locator("#cooperate-form input[type=checkbox]:not([disabled])").first
    expect(first).to_be_focused()
    assert m.locator("#cooperate-form input[type=checkbox][disabled]").count() >= 1
    shot(m, "keyboard-cooperate-form")
    m.keyboard.press("Space")
    expect(first).to_be_checked()
    tab_to(m, "#id_slot_fee")
    assert m.input_value("#id_slot_fee") == "3000.00"  # the creator's quote
    m.keyboard.press("Tab")
    expect(m.locator("#id_gmv_target")).to_be_focused()  # 保底 only: left empty for 一口价
    m.keyboard.press("Tab")
    expect(m.locator("#id_planned_live_date")).to_be_focused()
    day = timezone.localdate() + timedelta(days=3)
    m.keyboard.type(day.strftime("%m%d%Y"))  # en-US date input: month, day, year
    assert m.input_value("#id_planned_live_date") == day.isoformat()
    tab_to(m, "#id_note")
    m.keyboard.type("周六晚八点专场，键盘完成的邀请。")
    tab_to(m, "#cooperate-form button[type=submit]")
    press(m, "Enter")  # htmx posts, then sends the browser to the new task
    expect(m.locator(".task-state")).to_have_text("待达人确认")
    task = Task.objects.get(note="周六晚八点专场，键盘完成的邀请。")

    # 3. The creator logs in, opens the invitation and accepts it in the dialog.
    keyboard_login(c, live_server, "demo_creator")
    sidebar(c, "合作任务")
    tab_to(c, f"a[href='/tasks/{task.pk}/']")
    press(c, "Enter")
    tab_to(c, ".task-action--accept button[data-confirm]")
    c.keyboard.press("Enter")
    shot(c, "keyboard-accept-dialog")
    confirm_in_dialog(c, "接受邀请")
    expect(c.locator(".task-state")).to_have_text("待寄样")
    assert EscrowHold.objects.get(key=f"task:{task.pk}").status == EscrowStatus.HELD

    # 4. The merchant ships the sample.
    m.reload()
    tab_to(m, "#id_carrier")
    m.keyboard.type("顺丰速运")
    m.keyboard.press("Tab")
    expect(m.locator("#id_tracking_no")).to_be_focused()
    m.keyboard.type("SF7788990011")
    tab_to(m, ".task-action--ship_sample button[type=submit]")
    m.keyboard.press("Enter")  # htmx swaps the task in place
    expect(m.locator(".task-state")).to_have_text("待签收")

    # 5. The creator confirms receipt (asked once) and reports the live session.
    c.reload()
    tab_to(c, ".task-action--confirm_receipt button[data-confirm]")
    c.keyboard.press("Enter")
    confirm_in_dialog(c, "确认签收")
    expect(c.locator(".task-state")).to_have_text("待直播")
    tab_to(c, "#id_live_at")
    # Not in the future, not before the task was created (both to the minute).
    live = timezone.localtime().replace(second=0, microsecond=0)
    # en-US: month, day, year; → to the time; hour, minute, then A or P.
    c.keyboard.type(live.strftime("%m%d%Y"))
    c.keyboard.press("ArrowRight")
    c.keyboard.type(live.strftime("%I%M") + live.strftime("%p")[0])
    assert c.input_value("#id_live_at") == live.strftime("%Y-%m-%dT%H:%M")
    tab_to(c, "#id_replay_url", limit=4)  # past the time's last segment, if still inside
    c.keyboard.type("https://live.example.com/replay/keyboard")
    tab_to(c, ".task-action--report_live button[type=submit]")
    c.keyboard.press("Enter")
    shot(c, "keyboard-report-live")
    expect(c.locator(".task-state")).to_have_text("待确认")

    # 6. The merchant confirms completion in the dialog: the escrow is released.
    m.reload()
    tab_to(m, ".task-action--confirm_completion button[data-confirm]")
    m.keyboard.press("Enter")
    shot(m, "keyboard-confirm-dialog")
    confirm_in_dialog(m, "确认完成")
    expect(m.locator(".task-state")).to_have_text("已完成")
    task.refresh_from_db()
    assert task.state == TaskState.COMPLETED
    assert EscrowHold.objects.get(key=f"task:{task.pk}").status == EscrowStatus.RELEASED


def test_a_dialog_keeps_the_focus_inside_and_esc_gives_it_back(live_server, demo_world, contexts):
    from admission.models import User
    from tests.cooperation.task_factories import make_task

    merchant, creator = (User.objects.get(username=u) for u in ("demo_tmall", "demo_streamer"))
    task = Task.objects.filter(merchant=merchant.merchant, creator=creator.creator).filter(
        state=TaskState.LIVE_REPORTED
    ).first() or make_task(merchant=merchant, creator=creator, state=TaskState.LIVE_REPORTED)
    m = contexts()
    keyboard_login(m, live_server, "demo_tmall")
    m.goto(f"{live_server.url}/tasks/{task.pk}/")
    trigger = m.locator(".task-action--confirm_completion button[data-confirm]")
    tab_to(m, ".task-action--confirm_completion button[data-confirm]")
    m.keyboard.press("Space")  # a real button: Space works as well as Enter
    dialog = m.get_by_role("dialog")
    expect(dialog).to_be_visible()
    for _ in range(6):  # the modal dialog keeps Tab inside it (and the browser's own UI)
        m.keyboard.press("Tab")
        inside = m.evaluate(
            "() => document.getElementById('confirm-dialog').contains(document.activeElement)"
            " || document.activeElement === document.body"
        )
        assert inside
    m.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(trigger).to_be_focused()
    assert Task.objects.get(pk=task.pk).state == TaskState.LIVE_REPORTED
