"""主播广场 filters and sorting (PlazaFilter over the plaza selector)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.http import Http404

from admission.models import Category
from cooperation.filters import PlazaFilter
from cooperation.selectors.plaza import plaza_creators
from tests.admission.factories import AgencyFactory, CreatorFactory
from tests.cooperation.factories import admit, bind

pytestmark = pytest.mark.django_db


def creator(**fields):
    categories = fields.pop("categories", [])
    c = CreatorFactory(**fields)
    if categories:
        c.categories.set(Category.objects.filter(code__in=categories))
    admit(c.user)
    return c


def nicknames(merchant, **params):
    fs = PlazaFilter(params, queryset=plaza_creators(actor=merchant))
    return [c.nickname for c in fs.qs]


@pytest.fixture
def world(merchant):
    admit(merchant)
    agency = AgencyFactory()
    a = creator(
        nickname="阿美",
        fans=5_000,
        avg_viewers=300,
        quote=Decimal("800"),
        level=1,
        categories=["beauty"],
    )
    b = creator(
        nickname="阿杰",
        fans=200_000,
        avg_viewers=9_000,
        quote=Decimal("5000"),
        level=4,
        categories=["digital", "sports"],
    )
    c = creator(
        nickname="小鹿",
        fans=50_000,
        avg_viewers=2_000,
        quote=Decimal("2000"),
        level=3,
        categories=["home", "beauty"],
        completed_tasks=7,
    )
    bind(b, agency)
    # Not admitted: level V0 without 逛逛 eligibility.
    creator(nickname="新人", fans=900_000, avg_viewers=90_000, level=0, guangguang_eligible=False)
    return {"a": a, "b": b, "c": c, "agency": agency}


def test_only_admitted_creators_default_sort_by_avg_viewers(merchant, world):
    assert nicknames(merchant) == ["阿杰", "小鹿", "阿美"]


def test_plaza_is_for_merchants_only(creator, agency):
    for user in (creator, agency):
        with pytest.raises(Http404):
            plaza_creators(actor=user)


def test_search_by_nickname(merchant, world):
    assert nicknames(merchant, q="阿") == ["阿杰", "阿美"]
    assert nicknames(merchant, q="  小鹿 ") == ["小鹿"]
    assert nicknames(merchant, q="不存在") == []


def test_filter_by_category_without_duplicates(merchant, world):
    assert nicknames(merchant, category="beauty") == ["小鹿", "阿美"]
    assert nicknames(merchant, category="sports") == ["阿杰"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"fans_min": "10000"}, ["阿杰", "小鹿"]),
        ({"fans_max": "50000"}, ["小鹿", "阿美"]),
        ({"viewers_min": "1000", "viewers_max": "5000"}, ["小鹿"]),
        ({"quote_min": "1000", "quote_max": "5000"}, ["阿杰", "小鹿"]),
        ({"quote_max": "800"}, ["阿美"]),
        ({"level": "4"}, ["阿杰"]),
        ({"kind": "agency"}, ["阿杰"]),
        ({"kind": "individual"}, ["小鹿", "阿美"]),
        ({"kind": "individual", "category": "beauty", "fans_min": "10000"}, ["小鹿"]),
    ],
)
def test_filters(merchant, world, params, expected):
    assert nicknames(merchant, **params) == expected


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("-viewers", ["阿杰", "小鹿", "阿美"]),
        ("-fans", ["阿杰", "小鹿", "阿美"]),
        ("-tasks", ["小鹿", "阿美", "阿杰"]),
        ("quote", ["阿美", "小鹿", "阿杰"]),
        ("-quote", ["阿杰", "小鹿", "阿美"]),
    ],
)
def test_sorts(merchant, world, sort, expected):
    got = nicknames(merchant, sort=sort)
    if sort == "-tasks":
        # 阿美 and 阿杰 both have 0 tasks: the tie-breaker is the user id.
        assert got[0] == "小鹿" and sorted(got[1:]) == sorted(expected[1:])
    else:
        assert got == expected


def test_an_unknown_sort_falls_back_to_the_default(merchant, world):
    fs = PlazaFilter({"sort": "password"}, queryset=plaza_creators(actor=merchant))
    assert [c.nickname for c in fs.qs] == ["阿杰", "小鹿", "阿美"]
    assert "sort" in fs.form.errors


def test_bad_number_is_an_error_at_the_field_and_ignored(merchant, world):
    fs = PlazaFilter({"fans_min": "很多", "level": "9"}, queryset=plaza_creators(actor=merchant))
    assert "fans_min" in fs.form.errors and "level" in fs.form.errors
    assert len(fs.qs) == 3


def test_an_ended_binding_makes_an_individual(merchant, world):
    from django.utils import timezone

    a = world["a"]
    past = timezone.now() - timezone.timedelta(days=10)
    bind(a, world["agency"], since=past - timezone.timedelta(days=10), until=past)
    assert nicknames(merchant, kind="individual") == ["小鹿", "阿美"]


def test_cards_carry_binding_and_agency_name(merchant, world):
    by_name = {c.nickname: c for c in plaza_creators(actor=merchant)}
    assert by_name["阿杰"].is_bound is True
    assert by_name["阿杰"].agency_name == world["agency"].name
    assert by_name["小鹿"].is_bound is False and by_name["小鹿"].agency_name is None


def test_a_minimum_above_the_maximum_is_an_error_at_the_maximum(merchant, world):
    params = {"fans_min": "100000", "fans_max": "10"}
    fs = PlazaFilter(params, queryset=plaza_creators(actor=merchant))
    assert "fans_max" in fs.form.errors
    # The contradictory bound is dropped; the other still applies.
    assert [c.nickname for c in fs.qs] == ["阿杰"]
