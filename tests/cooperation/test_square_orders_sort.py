"""选品广场's 7-day-orders sort on every page, beyond the cached top 100.

A hand-worked set sits below 100 best sellers (3 orders each), so it is on page 5
(rows 97–120 at 24 a page): the cached ranking knows none of it, the sort must
still count each product's orders — paid at or after the count's moment − 7 days
(the boundary counts, a microsecond before does not), a fully refunded order does
not count, a partly refunded one does — and break ties newest first. The counts are
taken for every product at once (cooperation.services.sales) and are at most
SALES_STALE_AFTER old: the page says when they were taken, and counts them itself
when they are older.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.paginator import Paginator
from django.urls import reverse
from django.utils import timezone

from cooperation.models import ProductSales, SalesSnapshot
from cooperation.selectors.hot import HOT_RANKED, HOT_WINDOW
from cooperation.selectors.square import SquareQuery, square_products
from cooperation.services.sales import SALES_STALE_AFTER, refresh_product_sales
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
    refresh_product_sales(now=now)
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


def test_the_page_shows_the_counts_of_the_snapshot_and_ranks_beyond_100(client_for, world, creator):
    c = client_for(creator)
    body = c.get(SQUARE + "?page=5").content.decode()
    # As counted at ``world`` (a moment ago, fresh): 边界's boundary order still counts.
    assert TITLE.findall(body) == [
        "热卖003",
        "热卖002",
        "热卖001",
        "热卖000",
        "退款",
        "边界",
        "一单",
        "无单",
        "旧单",
    ]
    refunds = body[body.index('title="退款"') : body.index('title="边界"')]
    assert ">101</span>" in refunds  # its rank: 4 pages of 24, then the 5th row
    assert re.search(r"近 7 天订单</dt><dd>2</dd>", refunds)
    nothing = body[body.index('title="无单"') :]
    assert "product-card__rank" not in nothing[: nothing.index("</article>")]
    at = timezone.localtime(world).strftime("%H:%M")
    assert f"近 7 天订单统计于 {at}" in body
    # Counted a second later the boundary order has left the window: 一单, newer, first.
    refresh_product_sales(now=world + timedelta(seconds=1))
    body = c.get(SQUARE + "?page=5").content.decode()
    assert TITLE.findall(body)[4:7] == ["退款", "一单", "边界"]


def test_a_refresh_drops_products_whose_orders_left_the_window(world):
    assert ProductSales.objects.filter(product__title="边界").get().paid_orders == 2
    later = world + timedelta(
        days=6, seconds=1
    )  # the window starts a day and a second before `world`
    refresh_product_sales(now=later)
    left = dict(ProductSales.objects.values_list("product__title", "paid_orders"))
    assert left == {"边界": 1, "一单": 1}  # their orders an hour before `world`, and at it
    snapshot = SalesSnapshot.objects.get()
    assert (snapshot.computed_at, snapshot.since) == (later, later - HOT_WINDOW)
    refresh_product_sales(now=world + timedelta(days=8))
    assert not ProductSales.objects.exists()


def test_fresh_counts_are_read_and_stale_ones_counted_again(client_for, world, merchant, creator):
    c = client_for(creator)
    shop = merchant.merchant
    late = ProductFactory(merchant=shop, title="新秀")
    for _ in range(9):
        paid_order(late, creator=CreatorFactory(), at=timezone.now())
    # Counted a moment ago: the page reads the counts, 新秀 is not among them yet.
    assert TITLE.findall(c.get(SQUARE).content.decode())[0] == f"热卖{HOT_RANKED - 1:03d}"
    assert not ProductSales.objects.filter(product=late).exists()
    # Older than the bound (beat stopped): the page counts first, and 新秀 leads.
    SalesSnapshot.objects.update(
        computed_at=timezone.now() - SALES_STALE_AFTER - timedelta(seconds=1)
    )
    body = c.get(SQUARE).content.decode()
    assert TITLE.findall(body)[0] == "新秀"
    assert ProductSales.objects.get(product=late).paid_orders == 9
    assert SalesSnapshot.objects.get().computed_at > timezone.now() - timedelta(minutes=1)


def test_a_refresh_asked_only_if_stale_leaves_fresh_counts_alone(world):
    before = SalesSnapshot.objects.get().computed_at
    snapshot = refresh_product_sales(older_than=SALES_STALE_AFTER)
    assert snapshot.computed_at == before == SalesSnapshot.objects.get().computed_at
