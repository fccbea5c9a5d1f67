"""Task pages: who sees what (404 for anyone else), htmx partials vs full pages, errors at the field."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from admission.models import RestrictedProduct, ShopStatus
from cooperation.models import Task, TaskState
from settlement.models import EscrowHold
from tests.admission.factories import CreatorFactory
from tests.cooperation.task_factories import ProductFactory, admit, make_task

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def url(name, *args):
    return reverse(f"cooperation:{name}", args=args)


# --- access ---------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(anonymous, merchant, creator):
    task = make_task(merchant=merchant, creator=creator)
    for target in (url("task_list"), url("task_detail", task.pk)):
        response = anonymous.get(target)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert anonymous.post(url("task_accept", task.pk)).status_code == 302
    assert Task.objects.get(pk=task.pk).state == TaskState.INVITED


def test_only_the_two_sides_see_a_task(
    client_for, merchant, creator, other_merchant, other_creator, agency, operator
):
    task = make_task(merchant=merchant, creator=creator)
    assert client_for(merchant).get(url("task_detail", task.pk)).status_code == 200
    assert client_for(creator).get(url("task_detail", task.pk)).status_code == 200
    for outsider in (other_merchant, other_creator, agency, operator):
        c = client_for(outsider)
        assert c.get(url("task_detail", task.pk)).status_code == 404
        assert c.post(url("task_accept", task.pk)).status_code == 404
        assert c.post(url("task_cancel", task.pk)).status_code == 404
    assert Task.objects.get(pk=task.pk).state == TaskState.INVITED
    assert client_for(agency).get(url("task_list")).status_code == 404
    assert client_for(other_creator).get(url("task_list")).status_code == 200


def test_only_merchants_reach_the_cooperate_form(client_for, creator, other_creator, agency):
    target = url("task_create", creator.pk)
    for outsider in (other_creator, agency):
        assert client_for(outsider).get(target).status_code == 404
        assert client_for(outsider).post(target).status_code == 404


# --- list -------------------------------------------------------------------------------


def test_list_tabs_count_each_state_and_filter(client_for, merchant, creator, other_creator):
    make_task(merchant=merchant, creator=creator, state=TaskState.SHIPPED)
    make_task(merchant=merchant, creator=creator, state=TaskState.COMPLETED)
    make_task(merchant=merchant, creator=other_creator)
    c = client_for(merchant)
    page = c.get(url("task_list"))
    tabs = {t["state"]: t["count"] for t in page.context["tabs"]}
    assert tabs[""] == 3
    assert (tabs["invited"], tabs["shipped"], tabs["completed"], tabs["expired"]) == (1, 1, 1, 0)
    shipped = c.get(url("task_list"), {"state": "shipped"})
    assert [t.state for t in shipped.context["page"].object_list] == ["shipped"]
    assert "<html" in shipped.content.decode()
    partial = c.get(url("task_list"), {"state": "invited"}, **HX)
    body = partial.content.decode()
    assert "<html" not in body and "task-tabs" in body
    assert other_creator.creator.nickname in body
    assert c.get(url("task_list"), {"state": "bogus"}).context["state"] == ""
    # The creator sees the same tasks from its side.
    mine = client_for(creator).get(url("task_list"))
    assert {t["state"]: t["count"] for t in mine.context["tabs"]}[""] == 2


def test_empty_states_point_at_the_next_step(client_for, merchant, creator):
    assert "去主播广场" in client_for(merchant).get(url("task_list")).content.decode()
    assert "去看热销商品" in client_for(creator).get(url("task_list")).content.decode()


def _tasks(merchant, n):
    admit(merchant)
    product = ProductFactory(merchant=merchant.merchant)
    for _ in range(n):
        creator = CreatorFactory().user
        make_task(merchant=merchant, creator=creator, products=[product])


def test_list_query_count_does_not_grow_with_rows(client_for, merchant, django_assert_num_queries):
    from conversations.models import Message
    from conversations.services import thread_for_task

    _tasks(merchant, 2)
    c = client_for(merchant)
    c.get(url("task_list"))  # warm the session
    # session, user, its profile (top bar), page count, rows, unread messages of the
    # page's threads (one aggregate), tab counts, products of the page
    with django_assert_num_queries(8):
        c.get(url("task_list"))
    _tasks(merchant, 25)
    for task in Task.objects.filter(merchant_id=merchant.pk)[:15]:
        thread = thread_for_task(task=task)
        Message.objects.create(
            thread=thread, sender_id=task.creator_id, body="你好", created_at=task.created_at
        )
    with django_assert_num_queries(8):
        response = c.get(url("task_list"))
    assert len(response.context["page"].object_list) == 20
    assert sum(t.unread for t in response.context["page"].object_list) >= 1
    with django_assert_num_queries(7):  # the partial has no top bar
        c.get(url("task_list"), {"state": "invited", "page": 2}, **HX)


def test_detail_query_count_is_fixed(client_for, merchant, creator, django_assert_num_queries):
    task = make_task(merchant=merchant, creator=creator, state=TaskState.COMPLETED)
    c = client_for(merchant)
    c.get(url("task_detail", task.pk))
    # session, user, its profile (top bar), task, items, transitions (actors and profiles),
    # timeline events, disputes, the task's attributed orders (named ones, then the orders:
    # counted from the rows read, not read a second time), its two ratings (评价)
    with django_assert_num_queries(11):
        c.get(url("task_detail", task.pk))
    # The creator also sees the merchant record (one more: the stored scorecard).
    c = client_for(creator)
    c.get(url("task_detail", task.pk))
    with django_assert_num_queries(12):
        c.get(url("task_detail", task.pk))


# --- detail and actions ---------------------------------------------------------------------


def test_detail_shows_the_timeline_and_the_viewers_next_action(client_for, merchant, creator):
    task = make_task(merchant=merchant, creator=creator, state=TaskState.ACCEPTED)
    body = client_for(merchant).get(url("task_detail", task.pk)).content.decode()
    assert "流转记录" in body and "发起合作" in body and "接受邀请" in body
    assert url("task_ship", task.pk) in body and url("task_cancel", task.pk) in body
    creator_body = client_for(creator).get(url("task_detail", task.pk)).content.decode()
    assert url("task_ship", task.pk) not in creator_body
    assert "等待商家寄出样品" in creator_body


def test_accept_full_page_redirects_and_htmx_returns_the_partial(client_for, merchant, creator):
    task = make_task(merchant=merchant, creator=creator)
    c = client_for(creator)
    response = c.post(url("task_accept", task.pk))
    assert response.status_code == 302
    assert response["Location"] == url("task_detail", task.pk)
    assert "坑位费已由平台托管" in c.get(response["Location"]).content.decode()
    assert EscrowHold.objects.filter(key=f"task:{task.pk}").count() == 1
    m = client_for(merchant)
    partial = m.post(
        url("task_ship", task.pk), {"carrier": "顺丰速运", "tracking_no": "sf1234567"}, **HX
    )
    body = partial.content.decode()
    assert partial.status_code == 200
    assert "<html" not in body and 'id="task"' in body
    assert "已登记寄样" in body and "SF1234567" in body
    task.refresh_from_db()
    assert (task.state, task.sample_tracking_no) == (TaskState.SHIPPED, "SF1234567")


def test_an_illegal_transition_is_refused_with_a_message_and_changes_nothing(
    client_for, merchant, creator
):
    task = make_task(merchant=merchant, creator=creator, state=TaskState.ACCEPTED)
    c = client_for(creator)
    response = c.post(url("task_accept", task.pk))  # accepting twice
    assert response.status_code == 400
    assert "任务当前状态为「待寄样」，不能接受邀请。" in response.content.decode()
    htmx = c.post(url("task_confirm", task.pk), **HX)  # a creator confirming completion
    assert htmx.status_code == 200
    assert "只有商家可以确认完成。" in htmx.content.decode()
    task.refresh_from_db()
    assert task.state == TaskState.ACCEPTED
    assert task.transitions.count() == 2


def test_field_errors_show_at_the_field(client_for, merchant, creator):
    accepted = make_task(merchant=merchant, creator=creator, state=TaskState.ACCEPTED)
    response = client_for(merchant).post(
        url("task_ship", accepted.pk), {"carrier": "", "tracking_no": "12"}
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "请填写快递公司。" in body and "快递单号至少 6 位。" in body
    received = make_task(merchant=merchant, creator=creator, state=TaskState.RECEIVED)
    future = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client_for(creator).post(
        url("task_report_live", received.pk), {"live_at": future, "replay_url": "not a url"}, **HX
    )
    body = response.content.decode()
    assert "直播时间不能晚于现在" in body and "请输入有效的链接" in body
    assert Task.objects.get(pk=received.pk).state == TaskState.RECEIVED


def test_a_refusal_by_admission_is_shown_with_its_reasons(client_for, merchant, creator):
    task = make_task(merchant=merchant, creator=creator, state=TaskState.ACCEPTED)
    merchant.merchant.shop_status = ShopStatus.RESTRICTED
    merchant.merchant.save()
    response = client_for(merchant).post(
        url("task_ship", task.pk), {"carrier": "顺丰速运", "tracking_no": "SF1234567"}, **HX
    )
    body = response.content.decode()
    assert "尚未通过准入" in body
    assert Task.objects.get(pk=task.pk).state == TaskState.ACCEPTED


# --- 我要合作 ------------------------------------------------------------------------------


def _form(products, **extra):
    data = {
        "products": [p.pk for p in products],
        "slot_fee": "2500.00",
        "planned_live_date": (timezone.localdate() + timedelta(days=5)).isoformat(),
        "note": "周六晚八点",
    }
    data.update(extra)
    return data


def test_cooperate_form_starts_at_the_creators_quote(client_for, merchant, creator):
    admit(merchant, creator)
    ProductFactory(merchant=merchant.merchant, title="陶瓷餐具")
    response = client_for(merchant).get(url("task_create", creator.pk))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'value="1000.00"' in body  # the creator's quote
    assert "陶瓷餐具" in body


def test_cooperate_creates_a_task_with_two_products(client_for, merchant, creator):
    admit(merchant, creator)
    p1, p2 = ProductFactory(merchant=merchant.merchant), ProductFactory(merchant=merchant.merchant)
    c = client_for(merchant)
    response = c.post(url("task_create", creator.pk), _form([p1, p2]))
    task = Task.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("task_detail", task.pk)
    assert task.slot_fee == Decimal("2500.00")
    assert set(task.items.values_list("product_id", flat=True)) == {p1.pk, p2.pk}


def test_cooperate_with_htmx_redirects_the_client(client_for, merchant, creator):
    admit(merchant, creator)
    p = ProductFactory(merchant=merchant.merchant)
    response = client_for(merchant).post(url("task_create", creator.pk), _form([p]), **HX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == url("task_detail", Task.objects.get().pk)


def test_cooperate_refusals_are_shown_at_the_form(client_for, merchant, creator):
    admit(merchant, creator)
    p = ProductFactory(merchant=merchant.merchant, sku="RX-9")
    c = client_for(merchant)
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    body = c.post(url("task_create", creator.pk), _form([p], planned_live_date=past)).content
    assert "计划直播日期不能早于今天。" in body.decode()
    body = c.post(url("task_create", creator.pk), _form([]), **HX).content.decode()
    assert "请至少选择一个商品。" in body and "<html" not in body
    body = c.post(url("task_create", creator.pk), _form([p], slot_fee="-5")).content.decode()
    assert "坑位费不能为负数。" in body
    RestrictedProduct.objects.create(merchant=merchant.merchant, sku="RX-9", reason="资质待审")
    body = c.post(url("task_create", creator.pk), _form([p])).content.decode()
    assert "限制推广商品" in body and "资质待审" in body
    assert not Task.objects.exists()


def test_cooperate_refuses_an_unadmitted_merchant_with_reasons(client_for, other_merchant, creator):
    admit(creator)  # other_merchant has not signed the agreement
    p = ProductFactory(merchant=other_merchant.merchant)
    response = client_for(other_merchant).post(url("task_create", creator.pk), _form([p]))
    body = response.content.decode()
    assert response.status_code == 400
    assert "尚未通过准入" in body and "授权协议" in body
    assert not Task.objects.exists()


def test_operators_read_tasks_in_admin_but_cannot_change_them(
    client_for, operator, merchant, creator
):
    task = make_task(merchant=merchant, creator=creator, state=TaskState.SHIPPED)
    c = client_for(operator)
    listing = c.get("/admin/cooperation/task/", {"q": creator.creator.nickname})
    assert listing.status_code == 200 and f">{task.pk}<" in listing.content.decode()
    page = c.get(f"/admin/cooperation/task/{task.pk}/change/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "SF1234567890" in body and "寄出样品" in body  # inline timeline
    assert c.get("/admin/cooperation/task/add/").status_code == 403
    c.post(f"/admin/cooperation/task/{task.pk}/change/", {"state": "completed"})
    assert Task.objects.get(pk=task.pk).state == TaskState.SHIPPED


def _steps(html: str) -> list[tuple[str, str]]:
    """(status, label) of each step of the task page's stepper."""
    progress = html.split('class="task-progress"', 1)[1].split("</ol>", 1)[0]
    found = re.findall(
        r'task-progress__step is-(\w+)".*?task-progress__label">([^<]+)', progress, re.S
    )
    return [(status, label.strip()) for status, label in found]


def test_a_completed_tasks_stepper_names_the_steps_not_the_states(client_for, merchant, creator):
    task = make_task(merchant=merchant, creator=creator, state=TaskState.COMPLETED)
    html = client_for(merchant).get(reverse("cooperation:task_detail", args=[task.pk])).content
    assert _steps(html.decode()) == [
        ("done", "发出邀请"),
        ("done", "达人接受"),
        ("done", "寄出样品"),
        ("done", "签收样品"),
        ("done", "完成直播"),
        ("done", "确认完成"),
    ]


def test_the_stepper_marks_the_step_being_waited_for(client_for, merchant, creator):
    task = make_task(merchant=merchant, creator=creator, state=TaskState.ACCEPTED)
    html = client_for(creator).get(reverse("cooperation:task_detail", args=[task.pk])).content
    steps = _steps(html.decode())
    assert steps[:3] == [("done", "发出邀请"), ("done", "达人接受"), ("current", "寄出样品")]
    assert {s for s, _label in steps[3:]} == {"todo"}
    declined = make_task(merchant=merchant, creator=creator, state=TaskState.DECLINED)
    html = client_for(merchant).get(reverse("cooperation:task_detail", args=[declined.pk]))
    assert _steps(html.content.decode())[:2] == [("done", "发出邀请"), ("stopped", "已拒绝")]
