"""工作台 热销商品 for a creator reads the ranking's head, and the whole ranking only when
products that may not be promoted leave the head short (workbench.selectors.recommendations)."""

from __future__ import annotations

import pytest

from cooperation.selectors.hot import forget_hot_ranking
from tests.admission.factories import CreatorFactory
from tests.cooperation.factories import ProductFactory, paid_order, restrict
from workbench.selectors import recommendations

pytestmark = pytest.mark.django_db


def _hot(titles_and_orders):
    products = {}
    for title, n in titles_and_orders:
        products[title] = ProductFactory(title=title)
        buyer = CreatorFactory()
        for _ in range(n):
            paid_order(products[title], creator=buyer)
    forget_hot_ranking()
    return products


def _picks(creator, limit=2):
    return [p.product.title for p in recommendations.hot_products_for(creator, limit=limit)]


def test_the_head_of_the_ranking_in_order(creator, monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(recommendations, "HOT_HEAD", 1)  # head = 1 × limit
    _hot([("甲", 5), ("乙", 4), ("丙", 3), ("丁", 2)])
    _picks(creator)  # the ranking is cached now
    with django_assert_num_queries(2):  # the head's products, the binding in force
        assert _picks(creator) == ["甲", "乙"]


def test_restricted_products_in_the_head_give_way_to_the_rest(creator, monkeypatch):
    monkeypatch.setattr(recommendations, "HOT_HEAD", 1)
    products = _hot([("甲", 5), ("乙", 4), ("丙", 3), ("丁", 2)])
    restrict(products["甲"])
    restrict(products["乙"])
    assert _picks(creator) == ["丙", "丁"]
    restrict(products["丙"])
    assert _picks(creator) == ["丁"]  # the whole ranking has no more
