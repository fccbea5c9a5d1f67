"""热销商品 at scale: one ranking for every creator, cached; what stays per request.

The ranking is one aggregate over the window's orders, cached under one key
for HOT_CACHE_SECONDS; whether a product may be promoted, ``in_cart`` and the
estimate are read on every request.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from cooperation.models import ProductStatus
from cooperation.selectors import hot
from cooperation.selectors.hot import forget_hot_ranking, hot_products, hot_ranking
from tests.admission.factories import CreatorFactory
from tests.cooperation.factories import CartItemFactory, ProductFactory, paid_order, restrict

pytestmark = pytest.mark.django_db

DEAD_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        # Nothing listens on port 1: every cache call fails fast.
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


def sell(product, n, *, at=None):
    buyer = CreatorFactory()
    for _ in range(n):
        paid_order(product, creator=buyer, at=at)


def ranked(creator):
    return [(p.title, p.paid_orders) for p in hot_products(creator=creator.creator)]


def test_the_ranking_is_cached_under_one_key_until_forgotten(creator, other_creator):
    a = ProductFactory(title="甲")
    sell(a, 2)
    assert ranked(creator) == [("甲", 2)]
    stored = cache.get(hot.HOT_CACHE_KEY)  # with the tables it was computed from
    assert stored.value == [(a.pk, 2)] and stored.tables
    b = ProductFactory(title="乙")
    sell(b, 3)
    sell(a, 1)
    # Every creator reads the same cached ranking until it expires or is forgotten.
    assert ranked(creator) == [("甲", 2)]
    assert ranked(other_creator) == [("甲", 2)]
    forget_hot_ranking()
    assert ranked(other_creator) == [("乙", 3), ("甲", 3)]
    assert ranked(creator) == [("乙", 3), ("甲", 3)]


def test_a_new_order_shows_once_the_ranking_expires(creator, monkeypatch):
    monkeypatch.setattr(hot, "HOT_CACHE_SECONDS", 1)
    a = ProductFactory(title="甲")
    sell(a, 1)
    assert ranked(creator) == [("甲", 1)]
    sell(a, 1)
    assert ranked(creator) == [("甲", 1)]
    time.sleep(1.2)
    assert ranked(creator) == [("甲", 2)]


def test_ranking_order_is_orders_then_newest_product(creator):
    now = timezone.now()
    old = ProductFactory(title="老品")
    new = ProductFactory(title="新品")
    type(old).objects.filter(pk=old.pk).update(created_at=now - timedelta(days=30))
    best = ProductFactory(title="爆款")
    for p, n in ((old, 2), (new, 2), (best, 5)):
        sell(p, n)
    sell(ProductFactory(title="过期"), 9, at=now - timedelta(days=8))
    assert ranked(creator) == [("爆款", 5), ("新品", 2), ("老品", 2)]
    # The cached ranking holds product ids in that order, with their counts.
    assert hot_ranking() == [(best.pk, 5), (new.pk, 2), (old.pk, 2)]


def test_only_the_best_sellers_are_ranked(creator, monkeypatch):
    monkeypatch.setattr(hot, "HOT_RANKED", 2)
    for title, n in (("一", 4), ("二", 3), ("三", 2)):
        sell(ProductFactory(title=title), n)
    assert ranked(creator) == [("一", 4), ("二", 3)]


def test_promotable_is_checked_on_every_request(creator):
    archived_later = ProductFactory(title="将下架")
    restricted_later = ProductFactory(title="将受限")
    keep = ProductFactory(title="正常")
    for p in (archived_later, restricted_later, keep):
        sell(p, 1)
    assert len(ranked(creator)) == 3
    type(keep).objects.filter(pk=archived_later.pk).update(status=ProductStatus.ARCHIVED)
    restrict(restricted_later)
    # Same cached ranking, but neither may be promoted any more.
    assert ranked(creator) == [("正常", 1)]


def test_in_cart_is_per_creator_over_the_shared_ranking(creator, other_creator):
    p = ProductFactory()
    sell(p, 1)
    CartItemFactory(creator=creator.creator, product=p)
    assert [x.in_cart for x in hot_products(creator=creator.creator)] == [True]
    assert [x.in_cart for x in hot_products(creator=other_creator.creator)] == [False]


def test_an_explicit_now_is_ranked_for_that_moment_and_not_cached(creator):
    p = ProductFactory(title="甲")
    sell(p, 1, at=timezone.now() - timedelta(days=10))
    past = timezone.now() - timedelta(days=5)
    assert [x.title for x in hot_products(creator=creator.creator, now=past)] == ["甲"]
    assert cache.get(hot.HOT_CACHE_KEY) is None
    assert ranked(creator) == []


def test_a_dead_cache_ranks_from_the_database(creator):
    sell(ProductFactory(title="甲"), 2)
    with override_settings(CACHES=DEAD_REDIS):
        assert ranked(creator) == [("甲", 2)]
        forget_hot_ranking()  # no error either
