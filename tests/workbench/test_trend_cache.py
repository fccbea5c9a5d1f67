"""The 30-day trend: closed days cached (TREND_TTL), today always live."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache

from tests.cooperation.factories import ProductFactory, admit, paid_order
from tests.workbench.test_core_data import days_ago, figures

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(merchant, creator):
    admit(merchant, creator)
    return ProductFactory(
        merchant=merchant.merchant, price=Decimal("100.00"), service_fee_rate=Decimal("0.2000")
    )


def test_todays_orders_show_at_once_older_days_after_the_cache(merchant, creator, product):
    paid_order(product, creator=creator.creator, at=days_ago(3))
    assert figures(merchant)["近30天销售额"] == Decimal("100.00")

    # Paid today: counted on the next request, whatever the cache holds.
    paid_order(product, creator=creator.creator, at=days_ago(0, 0))
    f = figures(merchant)
    assert f["近30天销售额"] == Decimal("200.00")
    assert f["近30天订单数"] == 2

    # A closed day is served from the cache until it expires (TREND_TTL), then exact.
    paid_order(product, creator=creator.creator, at=days_ago(2))
    assert figures(merchant)["近30天销售额"] == Decimal("200.00")
    cache.clear()  # = the TTL has passed
    assert figures(merchant)["近30天销售额"] == Decimal("300.00")


def test_each_party_and_role_has_its_own_trend(merchant, other_merchant, creator, product):
    paid_order(product, creator=creator.creator, at=days_ago(1))
    assert figures(merchant)["近30天销售额"] == Decimal("100.00")
    assert figures(other_merchant)["近30天销售额"] == Decimal("0.00")
    assert figures(creator)["近30天带货销售额"] == Decimal("100.00")


def test_the_trend_works_without_the_cache(merchant, creator, product, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    paid_order(product, creator=creator.creator, at=days_ago(4))
    paid_order(product, creator=creator.creator, at=days_ago(0, 0))
    assert figures(merchant)["近30天销售额"] == Decimal("200.00")
