"""选品广场's 7-day-orders sort is exact on every page, beyond the cached top 100.

A hand-worked set sits below 100 best sellers (3 orders each), so it is on page 5
(rows 97–120 at 24 a page): the cached ranking knows none of it, the sort must
still count each product's orders — paid at or after now − 7 days (the boundary
counts, a microsecond before does not), a fully refunded order does not count, a
partly refunded one does — and break ties newest first.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.paginator import Paginator
from django.urls import reverse
from django.utils import timezone

from cooperation.selectors.hot import HOT_RANKED, HOT_WINDOW
from cooperation.selectors.square import SquareQuery, square_products
from cooperation.views.hot import SQUARE_PAGE_SIZE
from tests.admission.factories import CreatorFactory
from tests.cooperation.factories import ProductFactory, admit, paid_order

pytestmark = pytest.mark.django_db

SQUARE = reverse("cooperation:hot_products")
TITLE = re.compile(r'<h3 class="pcard__name" title="([^"]+)"')


@pytest.fixture
def world(merchant, creator):
    admit(merchant, creator)
    shop = merchant.merchant
    buyer = CreatorFactory()
    now = timezone.now().replace(microsecond=500_000)
    since = now - HOT_WINDOW
    for i in range(HOT_RANKED):  # the cached top 100: 3 orders each, inside the window
        best = ProductFactory(merchant=shop, title=f"热卖{i:03d}")
        for _ in range(3):
            paid_order(best, creator=buyer, at=now - timedelta(days=1))
    edge = ProductFactory(merchant=shop, title="边界")
    paid_order(edge, creator=buyer, at=since)  # exactly at the boundary: counts
    paid_order(edge, creator=buyer, at=since - timedelta(microseconds=1))  # just out
    paid_order(edge, creator=buyer, at=now - timedelta(hours=1))  # counts
    refunds = ProductFactory(merchant=shop, title="退款")
    paid_order(refunds, creator=buyer, at=now - timedelta(days=1), amount="80.00", refunded="80.00")
    paid_order(refunds, creator=buyer, at=now - timedelta(days=1), amount="80.00", refunded="30.00")
    paid_order(refunds, creator=buyer, at=now - timedelta(days=2))
    one = ProductFactory(merchant=shop, title="一单")
    paid_order(one, creator=buyer, at=now)
    paid_order(one, creator=buyer, at=now - timedelta(days=3), amount="50.00", refunded="50.00")
    old = ProductFactory(merchant=shop, title="旧单")
    for _ in range(5):
        paid_order(old, creator=buyer, at=since - timedelta(seconds=1))
    ProductFactory(merchant=shop, title="无单")
    return now


def test_page_5_sorts_exactly_at_the_window_boundary_and_refunds(world, creator):
    rows = square_products(creator=creator.creator, query=SquareQuery(), now=world)
    page = Paginator(rows, SQUARE_PAGE_SIZE).page(5)
    got = [(p.title, p.paid_orders) for p in page.object_list]
    assert got == [
        ("热卖003", 3),
        ("热卖002", 3),
        ("热卖001", 3),
        ("热卖000", 3),
        ("退款", 2),  # the partly refunded order counts, the fully refunded one does not
        ("边界", 2),  # the order at exactly now − 7 days counts; tie: older product second
        ("一单", 1),
        ("无单", 0),  # ties at 0: newest first
        ("旧单", 0),  # five orders, all a second before the window
    ]


def test_pages_2_to_4_are_the_best_sellers_in_order(world, creator):
    rows = square_products(creator=creator.creator, query=SquareQuery(), now=world)
    paginator = Paginator(rows, SQUARE_PAGE_SIZE)
    titles = [p.title for n in (2, 3, 4) for p in paginator.page(n).object_list]
    assert titles == [f"热卖{i:03d}" for i in range(HOT_RANKED - 25, HOT_RANKED - 25 - 72, -1)]


def test_the_page_shows_the_exact_counts_and_ranks_beyond_100(client_for, world, creator):
    body = client_for(creator).get(SQUARE + "?page=5").content.decode()
    # Seen a moment after ``world``: the boundary order has left the window (边界 has
    # 1 now, and 一单, newer, goes first).
    assert TITLE.findall(body) == [
        "热卖003",
        "热卖002",
        "热卖001",
        "热卖000",
        "退款",
        "一单",
        "边界",
        "无单",
        "旧单",
    ]
    refunds = body[body.index('title="退款"') : body.index('title="一单"')]
    assert ">101</span>" in refunds  # its rank: 4 pages of 24, then the 5th row
    assert re.search(r"近 7 天订单</dt><dd>2</dd>", refunds)
    nothing = body[body.index('title="无单"') :]
    assert "product-card__rank" not in nothing[: nothing.index("</article>")]
