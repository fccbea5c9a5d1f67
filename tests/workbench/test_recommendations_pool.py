"""达人合作 and 推荐签约达人 at scale: a bounded candidate pool, cached per category set,
re-checked on every request."""

from __future__ import annotations

import pytest

from admission.models import Category
from settlement.models import BindingStatus
from tests.admission.factories import CreatorFactory
from tests.cooperation.factories import ProductFactory, admit, bind
from tests.settlement.factories import BindingFactory
from workbench.selectors import recommendations as selectors
from workbench.selectors import recommended_creators, recruit_creators

pytestmark = pytest.mark.django_db


def creator_in(code: str, *, viewers: int = 1_000, tasks: int = 0, **kw):
    c = CreatorFactory(avg_viewers=viewers, completed_tasks=tasks, **kw)
    c.categories.set([Category.objects.get(code=code)])
    admit(c.user)
    return c


def ids(picks) -> list[int]:
    return [p.creator.pk for p in picks]


def test_candidates_are_ranked_by_categories_covered_then_viewers(merchant, monkeypatch):
    monkeypatch.setattr(selectors, "CANDIDATES", 3)
    monkeypatch.setattr(selectors, "POOL_SCAN", 5)
    for code in ("home", "pets"):
        ProductFactory(merchant=merchant.merchant, category=Category.objects.get(code=code))
    star = creator_in("beauty", viewers=900_000)
    one = creator_in("home", viewers=50_000)
    both = creator_in("home", viewers=10)
    both.categories.add(Category.objects.get(code="pets"))
    pets = creator_in("pets", viewers=20_000)
    pool = selectors._candidate_pool(selectors.admitted_creators(), {"home", "pets"})
    assert pool == [both.pk, one.pk, pets.pk]
    assert star.pk not in pool
    assert set(ids(recommended_creators(merchant))) == {both.pk, one.pk, pets.pk}


def test_admission_is_checked_on_the_first_pool_scan_only(merchant, monkeypatch):
    """The admission rules run on the first POOL_SCAN creators of the ranking (not on all
    100k): unadmitted creators there leave fewer candidates, never unadmitted ones."""
    monkeypatch.setattr(selectors, "CANDIDATES", 3)
    monkeypatch.setattr(selectors, "POOL_SCAN", 3)
    ProductFactory(merchant=merchant.merchant, category=Category.objects.get(code="home"))
    top = creator_in("home", viewers=9_000)
    for v in (8_000, 7_000):
        c = CreatorFactory(avg_viewers=v, alipay_verified=False, guangguang_eligible=False)
        c.categories.set([Category.objects.get(code="home")])
    creator_in("home", viewers=6_000)  # admitted, but past the scan
    assert selectors._candidate_pool(selectors.admitted_creators(), {"home"}) == [top.pk]


def test_no_categories_means_the_most_watched(merchant, monkeypatch):
    monkeypatch.setattr(selectors, "CANDIDATES", 2)
    a, b = creator_in("home", viewers=9_000), creator_in("pets", viewers=8_000)
    creator_in("beauty", viewers=10)
    assert selectors._candidate_pool(selectors.admitted_creators(), set()) == [a.pk, b.pk]


def test_the_pool_is_cached_per_category_set(merchant, other_merchant, monkeypatch):
    for m in (merchant, other_merchant):
        ProductFactory(merchant=m.merchant, category=Category.objects.get(code="home"))
    first = creator_in("home", viewers=5_000)
    assert ids(recommended_creators(merchant)) == [first.pk]
    calls = []
    real = selectors._candidate_pool
    monkeypatch.setattr(
        selectors, "_candidate_pool", lambda *a, **kw: calls.append(1) or real(*a, **kw)
    )
    # Another merchant selling the same categories reuses the pool.
    assert ids(recommended_creators(other_merchant)) == [first.pk]
    assert calls == []
    ProductFactory(merchant=other_merchant.merchant, category=Category.objects.get(code="pets"))
    recommended_creators(other_merchant)
    assert calls == [1]


def test_a_cached_candidate_who_lost_admission_is_not_recommended(merchant):
    ProductFactory(merchant=merchant.merchant, category=Category.objects.get(code="home"))
    a = creator_in("home", viewers=5_000)
    b = creator_in("home", viewers=4_000)
    assert ids(recommended_creators(merchant)) == [a.pk, b.pk]
    type(a).objects.filter(pk=a.pk).update(alipay_verified=False, guangguang_eligible=False)
    assert ids(recommended_creators(merchant)) == [b.pk]


def test_recruits_exclude_creators_bound_or_invited_since_the_pool_was_cached(agency):
    bound_here = creator_in("home", viewers=100)
    bind(bound_here, agency.agency)  # the agency's specialisation: home
    a = creator_in("home", viewers=9_000)
    b = creator_in("home", viewers=8_000)
    c = creator_in("beauty", viewers=7_000)
    assert ids(recruit_creators(agency)) == [a.pk, b.pk, c.pk]
    bind(a, BindingFactory().agency)  # a signs with another agency
    BindingFactory(
        creator=b, agency=agency.agency, status=BindingStatus.INVITED, valid_from=None
    )  # b is invited by this agency
    assert ids(recruit_creators(agency)) == [c.pk]


def test_a_dead_cache_still_recommends(merchant):
    from django.test import override_settings

    from tests.workbench.test_todos import DEAD_REDIS

    ProductFactory(merchant=merchant.merchant, category=Category.objects.get(code="home"))
    a = creator_in("home", viewers=5_000)
    with override_settings(CACHES=DEAD_REDIS):
        assert ids(recommended_creators(merchant)) == [a.pk]
