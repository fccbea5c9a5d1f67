"""达人主页 (issue 17): 品类分布 from our order data and 直播场次 with their attributed results,
hand-worked; others' merchants anonymised; empty states; percentages adding up to 100%."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from admission.models import Category
from cooperation.models import Task, TaskState
from cooperation.selectors.plaza import creator_category_mix, creator_live_sessions
from hotwave.money import percent_shares
from settlement.services.events import ingest_objects
from tests.cooperation.factories import ProductFactory, admit
from tests.cooperation.task_factories import make_task
from tests.settlement.factories import paid, refunded

pytestmark = pytest.mark.django_db

HOMEPAGE_QUERIES = 24


def iso(dt) -> str:
    return timezone.localtime(dt).isoformat()


def test_percent_shares_add_up_by_largest_remainder():
    assert percent_shares([Decimal(1)] * 3) == [Decimal("33.4"), Decimal("33.3"), Decimal("33.3")]
    assert percent_shares([Decimal("250"), Decimal("150"), Decimal("100")]) == [
        Decimal("50.0"),
        Decimal("30.0"),
        Decimal("20.0"),
    ]
    # 2/7, 2/7, 3/7 = 28.571…, 28.571…, 42.857…: floors 28.5 + 28.5 + 42.8 = 99.8; the two
    # units left go to the largest remainders (0.71 twice), not to 42.857 (0.57).
    shares = percent_shares([Decimal(2), Decimal(2), Decimal(3)])
    assert shares == [Decimal("28.6"), Decimal("28.6"), Decimal("42.8")]
    assert sum(shares) == 100
    assert percent_shares([]) == [] and percent_shares([Decimal(0)]) == [Decimal("0.0")]


def test_category_mix_hand_worked(client_for, merchant, creator):
    admit(merchant, creator)
    m = merchant.merchant
    beauty = ProductFactory(merchant=m, sku="B-1", category=Category.objects.get(pk="beauty"))
    food = ProductFactory(merchant=m, sku="F-1", category=Category.objects.get(pk="food"))
    now = timezone.now()
    day = now - timedelta(days=1)
    ingest_objects(
        [
            paid("O-1", merchant, creator, "100.00", "0.20", iso(day), product=beauty.sku),
            paid("O-2", merchant, creator, "200.00", "0.20", iso(day), product=beauty.sku),
            refunded("O-2", "50.00", iso(day + timedelta(hours=1))),
            paid("O-3", merchant, creator, "150.00", "0.20", iso(day), product=food.sku),
            paid("O-4", merchant, creator, "80.00", "0.20", iso(day), product=food.sku),
            refunded("O-4", "80.00", iso(day + timedelta(hours=1))),
            paid("O-5", merchant, creator, "100.00", "0.20", iso(day), product="NOT-LISTED"),
            # 91 days ago: outside the 90 days.
            paid(
                "O-6",
                merchant,
                creator,
                "999.00",
                "0.20",
                iso(now - timedelta(days=91)),
                product=beauty.sku,
            ),
        ]
    )
    mix = creator_category_mix(creator=creator.creator, now=now)
    assert [(r.label, r.gmv, r.orders, r.percent) for r in mix] == [
        ("美妆", Decimal("250.00"), 2, Decimal("50.0")),
        ("食品", Decimal("150.00"), 2, Decimal("30.0")),
        ("其他", Decimal("100.00"), 1, Decimal("20.0")),
    ]
    body = client_for(merchant).get(reverse("cooperation:creator_detail", args=[creator.pk]))
    text = body.content.decode()
    assert "品类分布" in text and "¥250.00" in text and "50.0%" in text and "20.0%" in text
    en = client_for(merchant).get(
        reverse("cooperation:creator_detail", args=[creator.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "Beauty" in en.content.decode() or "美妆" in en.content.decode()


def _completed_with_live(merchant, creator, live_at, sku):
    product = ProductFactory(merchant=merchant.merchant, sku=sku)
    task = make_task(
        merchant=merchant, creator=creator, state=TaskState.COMPLETED, products=[product]
    )
    Task.objects.filter(pk=task.pk).update(live_at=live_at)
    return task


def test_live_sessions_with_results_and_anonymised_merchants(
    client_for, merchant, other_merchant, creator
):
    now = timezone.now()
    live = now - timedelta(hours=5)
    own = _completed_with_live(merchant, creator, live, "OWN-1")
    theirs = _completed_with_live(other_merchant, creator, live - timedelta(days=2), "THEIRS-1")
    in_window = iso(live + timedelta(hours=1))
    ingest_objects(
        [
            paid("L-1", merchant, creator, "300.00", "0.20", in_window, product="OWN-1"),
            paid("L-2", merchant, creator, "200.00", "0.20", in_window, product="OWN-1"),
            refunded("L-2", "50.00", iso(live + timedelta(hours=2))),
            # Before the live session: not attributed.
            paid(
                "L-3",
                merchant,
                creator,
                "999.00",
                "0.20",
                iso(live - timedelta(hours=1)),
                product="OWN-1",
            ),
            paid(
                "L-4",
                other_merchant,
                creator,
                "120.00",
                "0.20",
                iso(live - timedelta(days=2) + timedelta(hours=1)),
                product="THEIRS-1",
            ),
        ]
    )
    url = reverse("cooperation:creator_detail", args=[creator.pk])
    body = client_for(merchant).get(url).content.decode()
    section = body[body.index('id="s-sessions"') :]
    assert "¥450.00" in section and "¥120.00" in section
    assert merchant.merchant.shop_name in section
    assert other_merchant.merchant.shop_name not in section and "其他商家" in section
    assert reverse("cooperation:task_detail", args=[own.pk]) in section
    assert reverse("cooperation:task_detail", args=[theirs.pk]) not in section
    # The creator sees both shops on its own page.
    mine = client_for(creator).get(url).content.decode()
    mine = mine[mine.index('id="s-sessions"') :]
    assert other_merchant.merchant.shop_name in mine and merchant.merchant.shop_name in mine


def test_sessions_are_paginated_newest_first(client_for, merchant, creator):
    now = timezone.now()
    for n in range(11):
        _completed_with_live(merchant, creator, now - timedelta(days=n + 1), f"S-{n}")
    url = reverse("cooperation:creator_detail", args=[creator.pk])
    first = client_for(merchant).get(url).content.decode()
    assert "更多场次" in first and "?sessions=2#sessions" in first
    second = client_for(merchant).get(url, {"sessions": "2"}).content.decode()
    oldest = timezone.localtime(now - timedelta(days=11)).strftime("%Y-%m-%d")
    assert oldest in second[second.index('id="s-sessions"') :]
    assert len(list(creator_live_sessions(creator=creator.creator))) == 11


def test_empty_states(client_for, merchant, creator):
    admit(merchant, creator)
    body = client_for(merchant).get(reverse("cooperation:creator_detail", args=[creator.pk]))
    text = body.content.decode()
    assert "近 90 天还没有成交，暂无品类分布。" in text
    assert "还没有已完成合作的直播。" in text


def test_homepage_query_count_is_pinned_with_sessions_and_mix(
    client_for, merchant, other_merchant, creator, django_assert_num_queries
):
    now = timezone.now()
    _completed_with_live(merchant, creator, now - timedelta(hours=5), "Q-0")
    client = client_for(merchant)
    url = reverse("cooperation:creator_detail", args=[creator.pk])
    client.get(url)
    # 24 = the 20 the page made before + 4: the sessions' count, their page (merchants
    # joined), their results (one set-based query) and the mix (one grouped query).
    # The same with one session or five and more orders.
    with django_assert_num_queries(HOMEPAGE_QUERIES):
        assert client.get(url).status_code == 200
    for n in range(4):
        owner = merchant if n % 2 else other_merchant
        _completed_with_live(owner, creator, now - timedelta(days=n + 1), f"Q-{n + 1}")
    ingest_objects(
        [
            paid(
                f"Q-O-{n}",
                merchant,
                creator,
                "10.00",
                "0.20",
                iso(now - timedelta(hours=4)),
                product="Q-0",
            )
            for n in range(3)
        ]
    )
    with django_assert_num_queries(HOMEPAGE_QUERIES):
        assert client.get(url).status_code == 200
