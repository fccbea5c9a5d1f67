"""Every pending order in 资金账户 says when it will settle, or why it waits (issue 20)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from settlement.models import Order
from settlement.selectors.funds import order_line
from settlement.services.events import ingest_objects
from settlement.services.ledger import business_date_of
from tests.settlement.factories import confirmed, paid

pytestmark = pytest.mark.django_db


def _pending(merchant, creator, order_id, confirmed_at=None) -> Order:
    paid_at = (confirmed_at or timezone.now()) - timedelta(hours=2)
    events = [paid(order_id, merchant, creator, "100.00", "0.20", paid_at.isoformat())]
    if confirmed_at:
        events.append(confirmed(order_id, confirmed_at.isoformat()))
    ingest_objects(events, source="file")
    return Order.objects.get(order_id=order_id)


def test_a_confirmed_order_settles_the_night_after_confirmation(merchant, creator):
    at = timezone.now() - timedelta(minutes=5)
    order = _pending(merchant, creator, "E-1", at)
    assert order_line(creator, order).settles_on == business_date_of(at) + timedelta(days=1)


def test_an_unconfirmed_order_waits_for_the_buyer(merchant, creator, client_for):
    order = _pending(merchant, creator, "E-2")
    assert order_line(creator, order).settles_on is None
    page = client_for(creator).get("/funds/?tab=pending").content.decode()
    assert "等待买家确认收货" in page


def test_a_missed_night_is_expected_at_the_next_run(merchant, creator):
    order = _pending(merchant, creator, "E-3", timezone.now() - timedelta(days=5))
    assert order_line(creator, order).settles_on == timezone.localdate() + timedelta(days=1)


@override_settings(SETTLEMENT_HOLD_DAYS=3)
def test_the_hold_days_push_the_date(merchant, creator, client_for):
    at = timezone.now() - timedelta(minutes=5)
    order = _pending(merchant, creator, "E-4", at)
    day = business_date_of(at) + timedelta(days=4)
    assert order_line(creator, order).settles_on == day
    page = client_for(creator).get("/funds/?tab=pending").content.decode()
    assert f"预计 {day:%m-%d} 结算" in page
