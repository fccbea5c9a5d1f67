"""settlement.selectors as its neighbours use it: the binding in force at t, the fee parts
as database expressions, and the figures cooperation and the workbench read."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db.models import Count, Sum
from hypothesis import given, settings
from hypothesis import strategies as st

from hotwave.money import quantize
from settlement.commission import platform_rate, split
from settlement.selectors import (
    binding_in_force,
    bindings_in_force,
    bound_creator_count,
    figures,
    pending_invitations,
)
from settlement.selectors.figures import fee_part, order_fee, order_price
from tests.admission.factories import CreatorFactory
from tests.settlement.factories import BindingFactory, OrderFactory, at

pytestmark = pytest.mark.django_db


def test_in_force_covers_from_its_start_up_to_but_not_including_its_end():
    b = BindingFactory(valid_from=at("2026-10-01 10:00"), valid_to=at("2026-10-20 10:00"))
    for moment, expected in [
        ("2026-10-01 09:59", None),
        ("2026-10-01 10:00", b),
        ("2026-10-20 09:59", b),
        ("2026-10-20 10:00", None),
    ]:
        assert binding_in_force(b.creator, at(moment)) == expected, moment
        assert list(bindings_in_force(at(moment)).filter(creator=b.creator)) == (
            [b] if expected else []
        )


def test_an_invitation_is_never_in_force(agency):
    invited = BindingFactory(
        agency=agency.agency, status="invited", valid_from=None, consented_at=None
    )
    assert binding_in_force(invited.creator, at("2026-10-05 00:00")) is None
    assert list(pending_invitations(agency_id=agency.pk)) == [invited]
    assert bound_creator_count(agency_id=agency.pk) == 0


def test_platform_rate_follows_the_rule():
    assert platform_rate("agency") == Decimal("0.30")
    assert platform_rate("individual") == Decimal("0.40")


TINY = Decimal("0.000001")  # SQLite sums decimals as floats


@settings(max_examples=40, deadline=None)
@given(
    amount=st.decimals(min_value="0.01", max_value="99999.99", places=2),
    rate=st.decimals(min_value="0.01", max_value="0.80", places=2),
    share=st.one_of(st.none(), st.decimals(min_value="0", max_value="1", places=2)),
)
def test_the_fee_parts_in_sql_are_the_rule_before_rounding(amount, rate, share):
    """What the database computes for an order is SPEC §4's rule on the unrounded fee:
    creator 60% (individual) or 70% × (1 − share), agency 70% × share, merchant the
    whole fee; creator + agency + platform is the fee."""
    bound = BindingFactory(agency_share=share) if share is not None else None
    order = OrderFactory(amount=amount, service_fee_rate=rate, bound=bound)
    row = (
        type(order)
        .objects.filter(pk=order.pk)
        .aggregate(
            price=Sum(order_price()),
            fee=Sum(order_fee()),
            creator=Sum(fee_part("creator")),
            agency=Sum(fee_part("agency")),
            merchant=Sum(fee_part("merchant")),
        )
    )
    fee = amount * rate
    rule = split(amount, rate, agency_share=share).rule
    rest = fee * (1 - platform_rate(rule))
    creator = rest * (1 - share) if share is not None else rest
    agency = rest * share if share is not None else None
    assert abs(row["price"] - amount) < TINY
    assert abs(row["fee"] - fee) < TINY and abs(row["merchant"] - fee) < TINY
    assert abs(row["creator"] - creator) < TINY
    if agency is None:
        assert row["agency"] is None  # individual orders have no agency share
    else:
        assert abs(row["agency"] - agency) < TINY
    parts = row["creator"] + (row["agency"] or 0) + row["fee"] * platform_rate(rule)
    assert abs(parts - row["fee"]) < TINY


def test_fee_part_refuses_another_party():
    with pytest.raises(ValueError):
        fee_part("provider")
    with pytest.raises(ValueError):
        figures.daily_order_sums(party="platform", party_id=1, since=date(2026, 10, 1))


def test_daily_order_sums_group_by_shanghai_day_of_payment(creator):
    c = creator.creator
    OrderFactory(creator=c, paid_at=at("2026-10-05 23:59"), amount=Decimal("10.00"))
    OrderFactory(creator=c, paid_at=at("2026-10-06 00:00"), amount=Decimal("20.00"))
    OrderFactory(creator=c, paid_at=at("2026-10-06 12:00"), refunded=Decimal("5.00"))
    OrderFactory(paid_at=at("2026-10-06 12:00"))  # someone else's
    rows = figures.daily_order_sums(
        party="creator",
        party_id=c.pk,
        since=date(2026, 10, 5),
        until=date(2026, 10, 7),
        sales=Sum(order_price()),
        orders=Count("pk"),
    )
    assert [(r["day"], quantize(r["sales"]), r["orders"]) for r in rows] == [
        (date(2026, 10, 5), Decimal("10.00"), 1),
        (date(2026, 10, 6), Decimal("115.00"), 2),
    ]
    assert (
        figures.daily_order_sums(
            party="creator", party_id=c.pk, since=date(2026, 10, 6), until=date(2026, 10, 6)
        )
        == []
    )


def test_order_totals_and_settled_yet(creator):
    c = creator.creator
    OrderFactory(creator=c, paid_at=at("2026-10-05 10:00"), refunded=Decimal("40.00"))
    OrderFactory(creator=c, paid_at=at("2026-09-01 10:00"))
    totals = figures.order_totals(party="creator", party_id=c.pk, paid_since=at("2026-10-01 00:00"))
    assert (totals.orders, totals.sales) == (1, Decimal("60.00"))
    assert figures.has_settled_orders(party="creator", party_id=c.pk) is False
    OrderFactory(
        creator=c,
        status="settled",
        confirmed_at=at("2026-10-05 12:00"),
        settled_at=at("2026-10-06 02:00"),
        settled_on=date(2026, 10, 6),
    )
    assert figures.has_settled_orders(party="creator", party_id=c.pk) is True


def test_paid_orders_by_product_leave_out_fully_refunded_and_older_orders():
    other = CreatorFactory()
    a = OrderFactory(product_sku="A", paid_at=at("2026-10-05 10:00"))
    OrderFactory(merchant=a.merchant, product_sku="A", paid_at=at("2026-10-06 10:00"))
    OrderFactory(merchant=a.merchant, product_sku="A", creator=other, refunded=Decimal("100.00"))
    OrderFactory(merchant=a.merchant, product_sku="B", paid_at=at("2026-09-01 10:00"))
    rows = list(figures.paid_orders_by_product(since=at("2026-10-01 00:00")))
    assert rows == [{"merchant_id": a.merchant_id, "product_sku": "A", "paid_orders": 2}]


def test_released_slot_fees_count_from_the_start_of_the_day(merchant, creator):
    from settlement.services.escrow import escrow_hold, escrow_release

    day = date(2026, 10, 5)
    escrow_hold(
        key="t:1",
        merchant=merchant.merchant,
        creator=creator.creator,
        amount=Decimal("80.00"),
        at=at("2026-10-04 10:00"),
    )
    escrow_release(key="t:1", at=at("2026-10-05 00:00"))
    assert figures.released_slot_fees(merchant_id=merchant.pk, since=day) == Decimal("80.00")
    later = day + timedelta(days=1)
    assert figures.released_slot_fees(merchant_id=merchant.pk, since=later) == Decimal("0.00")
