"""SETTLEMENT_HOLD_DAYS (issue 20): settle an order only once it has been confirmed for N
days; 0 (the default) is SPEC §4 exactly. Tested at the boundary second, both kernels."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.test import override_settings

from settlement.models import Order
from settlement.services.events import ingest_objects
from settlement.services.ledger import SHANGHAI, day_end, settle_cutoff
from settlement.services.settle import settle_through
from tests.settlement.factories import confirmed, paid

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 10)
KERNELS = ["python", "sql"]


def _order(order_id: str, merchant, creator, confirmed_at: datetime) -> None:
    ingest_objects(
        [
            paid(order_id, merchant, creator, "100.00", "0.20", "2026-11-01T10:00:00+08:00"),
            confirmed(order_id, confirmed_at.isoformat()),
        ],
        source="file",
    )


def _settled(order_id: str) -> bool:
    return Order.objects.get(order_id=order_id).status == "settled"


def _kernel_ok(kernel: str) -> None:
    from django.db import connection

    if kernel == "sql" and connection.vendor != "postgresql":
        pytest.skip("the set-based kernel runs on PostgreSQL")


def test_the_default_is_the_night_after_confirmation():
    assert settle_cutoff(DAY) == day_end(DAY) == datetime(2026, 11, 11, tzinfo=SHANGHAI)


@pytest.mark.parametrize("kernel", KERNELS)
def test_zero_days_settles_what_was_confirmed_until_the_last_second_of_the_day(
    kernel, merchant, creator
):
    _kernel_ok(kernel)
    end = day_end(DAY)
    _order("H-IN", merchant, creator, end - timedelta(seconds=1))
    _order("H-OUT", merchant, creator, end)
    settle_through(business_date=DAY, kernel=kernel)
    assert (_settled("H-IN"), _settled("H-OUT")) == (True, False)


@pytest.mark.parametrize("kernel", KERNELS)
@override_settings(SETTLEMENT_HOLD_DAYS=3)
def test_three_days_settle_an_order_once_it_has_been_confirmed_for_three_days(
    kernel, merchant, creator
):
    _kernel_ok(kernel)
    boundary = day_end(DAY) - timedelta(days=3)  # 2026-11-08 00:00:00 Shanghai
    assert settle_cutoff(DAY) == boundary
    _order("H-IN", merchant, creator, boundary - timedelta(seconds=1))
    _order("H-OUT", merchant, creator, boundary)
    settle_through(business_date=DAY, kernel=kernel)
    assert (_settled("H-IN"), _settled("H-OUT")) == (True, False)
    settle_through(business_date=DAY + timedelta(days=1), kernel=kernel)
    assert _settled("H-OUT")
