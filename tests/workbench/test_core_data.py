"""核心数据: real figures per role from settlement's orders and ledger and cooperation's tasks."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from cooperation.models import TaskState
from settlement.models import EscrowHold
from settlement.services.settle import settle_through
from tests.cooperation.factories import ProductFactory, admit, bind, paid_order
from tests.cooperation.task_factories import make_task
from tests.settlement.factories import payable
from workbench.selectors import TREND_DAYS, core_data_for


@pytest.fixture(autouse=True)
def _payable_parties(creator, agency_creator, agency):
    """Paid parties are admitted with a verified 收款账户 (SPEC §7; held otherwise)."""
    payable(creator, agency_creator, agency)


SH = ZoneInfo("Asia/Shanghai")


def figures(user) -> dict[str, object]:
    return {s.label: s.value for s in core_data_for(user).stats}


def days_ago(n: int, hour: int = 12) -> datetime:
    d = timezone.localdate(timezone.now(), SH) - timedelta(days=n)
    return datetime(d.year, d.month, d.day, hour, tzinfo=SH)


@pytest.fixture
def sales(merchant, creator):
    admit(merchant, creator)
    product = ProductFactory(
        merchant=merchant.merchant, price=Decimal("100.00"), service_fee_rate=Decimal("0.2000")
    )
    paid_order(product, creator=creator.creator, at=days_ago(1, 0))  # yesterday, 00:00 Shanghai
    paid_order(product, creator=creator.creator, at=days_ago(1, 23), refunded="40.00")
    paid_order(product, creator=creator.creator, at=days_ago(5))
    paid_order(product, creator=creator.creator, at=days_ago(20))
    paid_order(product, creator=creator.creator, at=days_ago(45))  # outside the 30 days
    return product


def test_merchant_figures(merchant, creator, other_merchant, sales):
    # Another merchant's sales never count.
    paid_order(ProductFactory(merchant=other_merchant.merchant), creator=creator.creator)
    f = figures(merchant)
    assert f["昨日达人带货销售额"] == Decimal("160.00")
    assert f["近7天销售额"] == Decimal("260.00")
    assert f["近30天销售额"] == Decimal("360.00")
    assert f["近30天推广服务费"] == Decimal("72.00")
    assert f["近30天订单数"] == 4
    assert f["进行中的合作任务"] == 0
    assert f["投入产出比 (ROI)"] == Decimal("5.00")  # 360 ÷ 72, no slot fees yet


def test_merchant_roi_counts_released_slot_fees_and_active_tasks(merchant, creator, sales):
    make_task(
        merchant=merchant, creator=creator, state=TaskState.COMPLETED, slot_fee=Decimal("108.00")
    )
    assert EscrowHold.objects.filter(merchant=merchant.merchant, status="released").exists()
    f = figures(merchant)
    assert f["投入产出比 (ROI)"] == Decimal("2.00")  # 360 ÷ (72 + 108)
    make_task(merchant=merchant, creator=creator, state=TaskState.SHIPPED)
    assert figures(merchant)["进行中的合作任务"] == 1


def test_merchant_trend_has_one_point_per_day(merchant, sales):
    chart = core_data_for(merchant).chart
    assert len(chart.points) == TREND_DAYS
    assert chart.points[-2].value == "¥160.00"
    assert not chart.empty


def test_creator_figures_estimate_then_settle(merchant, creator, sales):
    f = figures(creator)
    # Individual creator: 60% of the fee. Yesterday: (100 + 60) × 20% × 60%.
    assert f["昨日预估收益"] == Decimal("19.20")
    assert f["本月已结算收益"] == Decimal("0.00")
    assert f["近30天带货销售额"] == Decimal("360.00")
    order = creator.creator.orders.get(paid_at=days_ago(5))
    order.status, order.confirmed_at = "confirmed", order.paid_at + timedelta(hours=1)
    order.save(update_fields=["status", "confirmed_at"])
    settle_through(business_date=timezone.localdate(order.confirmed_at, SH))
    f = figures(creator)
    settled_month = (
        order.confirmed_at.astimezone(SH).month == timezone.localdate(timezone.now(), SH).month
    )
    if settled_month:
        assert f["本月已结算收益"] == Decimal("12.00")  # 100 × 20% × 60%
    assert f["账户余额"] == Decimal("0.00")  # paid out after settling


def test_agency_figures(merchant, agency, agency_creator):
    admit(merchant, agency, agency_creator)
    binding = bind(agency_creator.creator, agency.agency, share="0.50")
    product = ProductFactory(merchant=merchant.merchant, price=Decimal("100.00"))
    paid_order(product, creator=agency_creator.creator, at=days_ago(1), binding=binding)
    f = figures(agency)
    assert f["绑定达人"] == 1
    assert f["旗下达人近30天销售额"] == Decimal("100.00")
    assert f["昨日预估机构分成"] == Decimal("7.00")  # 20 × 70% × 50%
    # The bound creator's own estimate follows the same frozen rule.
    assert figures(agency_creator)["昨日预估收益"] == Decimal("7.00")


def test_the_trend_chart_switches_between_7_30_and_90_days_without_js(merchant, sales, client_for):
    c = client_for(merchant)
    for days, points in (("7", 7), ("90", 90), ("365", 30), ("x", 30)):
        response = c.get("/", {"days": days})
        assert len(response.context["core"].chart.points) == points, days
    html = c.get("/", {"days": "7"}).content.decode()
    assert 'aria-label="近7天达人带货销售额"' in html
    assert 'href="?days=90#s-core"' in html and 'aria-current="true">近7天<' in html
    # The figures keep their 30-day window whatever the chart shows.
    assert "¥360.00" in html


def test_the_trend_chart_is_drawn_on_the_page(merchant, sales, client_for):
    html = client_for(merchant).get("/").content.decode()
    assert '<svg class="chart chart--wide"' in html and 'aria-label="近30天达人带货销售额"' in html
    assert "¥360.00" in html  # 近30天销售额
