"""操作指引: numbered steps per role, each marked done from the user's real data."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from cooperation.models import TaskState
from settlement.services.settle import settle_through
from tests.admission.factories import CreatorFactory
from tests.cooperation.factories import CartItemFactory, ProductFactory, admit, bind, paid_order
from tests.cooperation.task_factories import make_task
from workbench.selectors import guide_for


def marks(user) -> dict[str, bool]:
    return {s.title: s.done for s in guide_for(user).steps}


def urls(user) -> dict[str, str | None]:
    return {s.title: s.url for s in guide_for(user).steps}


def settle_order(order) -> None:
    order.status = "confirmed"
    order.confirmed_at = order.paid_at + timedelta(hours=1)
    order.save(update_fields=["status", "confirmed_at"])
    settle_through(business_date=timezone.localdate(order.confirmed_at))


def test_merchant_steps_in_order_with_their_pages(merchant):
    guide = guide_for(merchant)
    assert [s.title for s in guide.steps] == [
        "完成准入", "发布商品", "挑选达人", "发起合作", "寄样", "确认完成", "查看结算",
    ]  # fmt: skip
    assert urls(merchant) == {
        "完成准入": "/admission/",
        "发布商品": "/products/",
        "挑选达人": "/plaza/",
        "发起合作": "/tasks/",
        "寄样": "/tasks/?state=accepted",
        "确认完成": "/tasks/?state=live_reported",
        "查看结算": "/funds/",
    }
    assert guide.done_count == 0
    assert guide.next_step.title == "完成准入"


def test_merchant_done_marks_follow_what_the_merchant_did(merchant, creator, other_creator):
    admit(merchant)
    assert marks(merchant)["完成准入"] and not marks(merchant)["发布商品"]
    product = ProductFactory(merchant=merchant.merchant)
    assert marks(merchant)["发布商品"] and not marks(merchant)["挑选达人"]
    make_task(merchant=merchant, creator=creator, state=TaskState.INVITED, products=[product])
    m = marks(merchant)
    assert m["挑选达人"] and not m["发起合作"]
    make_task(merchant=merchant, creator=other_creator, state=TaskState.SHIPPED, products=[product])
    m = marks(merchant)
    assert m["发起合作"] and m["寄样"] and not m["确认完成"]
    third = CreatorFactory().user
    make_task(merchant=merchant, creator=third, state=TaskState.COMPLETED, products=[product])
    assert marks(merchant)["确认完成"] and not marks(merchant)["查看结算"]
    order = paid_order(product, creator=creator.creator, at=timezone.now() - timedelta(days=2))
    settle_order(order)
    assert all(marks(merchant).values())
    assert guide_for(merchant).next_step is None


def test_creator_done_marks(merchant, creator):
    assert [s.title for s in guide_for(creator).steps] == [
        "完成准入", "选品加入带货车 / 处理邀约", "签收样品", "直播", "查看收益",
    ]  # fmt: skip
    assert not any(marks(creator).values())
    admit(creator)
    assert marks(creator)["完成准入"]
    CartItemFactory(creator=creator.creator, product=ProductFactory(merchant=merchant.merchant))
    assert marks(creator)["选品加入带货车 / 处理邀约"]
    make_task(merchant=merchant, creator=creator, state=TaskState.RECEIVED)
    m = marks(creator)
    assert m["签收样品"] and not m["直播"]
    make_task(merchant=merchant, creator=creator, state=TaskState.LIVE_REPORTED)
    assert marks(creator)["直播"] and not marks(creator)["查看收益"]


def test_accepting_an_invitation_also_completes_the_selection_step(merchant, creator):
    make_task(merchant=merchant, creator=creator, state=TaskState.ACCEPTED)
    assert marks(creator)["选品加入带货车 / 处理邀约"]


def test_agency_steps_follow_its_bindings(agency, agency_creator):
    assert [s.title for s in guide_for(agency).steps] == [
        "完成准入", "邀请达人绑定", "达人确认分成", "查看机构收益",
    ]  # fmt: skip
    admit(agency)
    assert marks(agency) == {
        "完成准入": True, "邀请达人绑定": False, "达人确认分成": False, "查看机构收益": False,
    }  # fmt: skip
    bind(agency_creator.creator, agency.agency)
    m = marks(agency)
    assert m["邀请达人绑定"] and m["达人确认分成"] and not m["查看机构收益"]


def test_done_marks_show_on_the_page(merchant, client_for):
    admit(merchant)
    html = client_for(merchant).get("/").content.decode()
    assert html.count('data-step-done="1"') == 1
    assert html.count('data-step-done="0"') == 6
    assert "已完成 1/7 步" in html
