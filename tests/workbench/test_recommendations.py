"""平台推荐: the documented score, and rankings that follow the merchant's products."""

from __future__ import annotations

from decimal import Decimal

import pytest

from admission.models import Category
from tests.admission.factories import CreatorFactory
from tests.cooperation.factories import ProductFactory, admit
from workbench.selectors import recommendation_score, recommended_creators


def score(**kw):
    base = dict(
        creator_categories=set(),
        merchant_categories=set(),
        avg_viewers=0,
        completed_tasks=0,
        quote=Decimal("1000"),
        typical_slot_fee=None,
    )
    return recommendation_score(**{**base, **kw})


def test_score_components_and_weights():
    s = score(
        creator_categories={"home", "food"},
        merchant_categories={"home", "beauty"},
        avg_viewers=99_999,  # log10(100000)/5 = 1
        completed_tasks=5,  # 5/(5+5) = 0.5
        quote=Decimal("2000"),
        typical_slot_fee=Decimal("1000"),  # 1000/2000 = 0.5
    )
    assert s.category == Decimal("0.5")
    assert s.audience == 1
    assert s.track == Decimal("0.5")
    assert s.price == Decimal("0.5")
    assert s.total == Decimal("62.5")  # 40×0.5 + 25×1 + 20×0.5 + 15×0.5


def test_quote_within_the_typical_slot_fee_gets_full_price_marks():
    assert score(quote=Decimal("800"), typical_slot_fee=Decimal("1000")).price == 1
    assert score(quote=Decimal("800"), typical_slot_fee=None).price == Decimal("0.5")


def test_no_merchant_categories_means_no_category_points():
    assert score(creator_categories={"home"}).category == 0


def test_each_component_raises_the_score():
    low = score().total
    assert score(creator_categories={"home"}, merchant_categories={"home"}).total > low
    assert score(avg_viewers=5_000).total > low
    assert score(completed_tasks=3).total > low
    assert score(typical_slot_fee=Decimal("5000")).total > low


@pytest.fixture
def two_creators(db):
    home = CreatorFactory(nickname="家居达人", avg_viewers=2_000)
    home.categories.set([Category.objects.get(code="home")])
    beauty = CreatorFactory(nickname="美妆达人", avg_viewers=2_000)
    beauty.categories.set([Category.objects.get(code="beauty")])
    unadmitted = CreatorFactory(nickname="未准入", avg_viewers=900_000, alipay_verified=False)
    admit(home.user, beauty.user)
    return home, beauty, unadmitted


def test_recommendations_change_with_the_merchants_products(merchant, two_creators):
    home, beauty, unadmitted = two_creators
    ProductFactory(merchant=merchant.merchant, category=Category.objects.get(code="home"))
    picks = recommended_creators(merchant)
    assert [p.creator.pk for p in picks][:2] == [home.pk, beauty.pk]
    assert unadmitted.pk not in [p.creator.pk for p in picks]
    assert any("擅长你在售的类目" in r for r in picks[0].reasons)

    ProductFactory(merchant=merchant.merchant, category=Category.objects.get(code="beauty"))
    ProductFactory(merchant=merchant.merchant, category=Category.objects.get(code="beauty"))
    for p in merchant.merchant.products.filter(category="home"):
        p.status = "archived"
        p.save()
    picks = recommended_creators(merchant)
    assert picks[0].creator.pk == beauty.pk


def test_quote_reason_uses_the_merchants_typical_slot_fee(merchant, two_creators):
    from tests.cooperation.task_factories import make_task

    home, beauty, _ = two_creators
    make_task(merchant=merchant, creator=home.user, slot_fee=Decimal("1500.00"))
    picks = {p.creator.pk: p for p in recommended_creators(merchant)}
    assert any("¥1,500.00" in r for r in picks[beauty.pk].reasons)


def test_a_measured_fulfilment_rate_is_the_track_record():
    assert score(completed_tasks=5, fulfilment_rate=Decimal("0.96")).track == Decimal("0.96")
    assert score(completed_tasks=5, fulfilment_rate=None).track == Decimal("0.5")


@pytest.mark.django_db
def test_the_reason_shows_the_verified_record(merchant, two_creators):
    from datetime import timedelta

    from django.utils import timezone

    from cooperation.models import CreatorScorecard

    home, beauty, _ = two_creators
    ProductFactory(merchant=merchant.merchant, category=Category.objects.get(code="home"))
    now = timezone.now()
    CreatorScorecard.objects.create(
        creator=home,
        period_start=now - timedelta(days=90),
        period_end=now,
        computed_at=now,
        tasks_completed=25,
        tasks_counted=25,
        tasks_fulfilled=24,
        fulfilment_rate=Decimal("0.9600"),
        gmv_per_session=Decimal("12000.00"),
        live_sessions=25,
    )
    picks = {p.creator.nickname: p for p in recommended_creators(merchant)}
    # No session in the merchant's main category (家居) stored: the all-category figure, so labelled.
    assert picks["家居达人"].reasons[0] == "履约率 96%，全部类目场均成交 ¥12,000.00"
    assert not any("履约率" in r for r in picks["美妆达人"].reasons)


@pytest.mark.django_db
def test_the_reason_quotes_gmv_per_session_in_the_merchants_main_category(merchant, two_creators):
    """Main category = most products on sale: two 家居 products, one 美妆 → 家居.

    The creator's stored rows: 家居 4 sessions at ¥8,000.00, 美妆 21 at ¥12,761.90 (all
    categories ¥12,000.00): the reason quotes 家居's ¥8,000.00.
    """
    from datetime import timedelta

    from django.utils import timezone

    from cooperation.models import CreatorCategoryScorecard, CreatorScorecard

    home, _beauty, _ = two_creators
    for code in ("home", "home", "beauty"):
        ProductFactory(merchant=merchant.merchant, category=Category.objects.get(code=code))
    now = timezone.now()
    CreatorScorecard.objects.create(
        creator=home,
        period_start=now - timedelta(days=90),
        period_end=now,
        computed_at=now,
        tasks_completed=25,
        tasks_counted=25,
        tasks_fulfilled=24,
        fulfilment_rate=Decimal("0.9600"),
        gmv_per_session=Decimal("12000.00"),
        live_sessions=25,
    )
    for code, n, gmv in (("home", 4, "8000.00"), ("beauty", 21, "12761.90")):
        CreatorCategoryScorecard.objects.create(
            creator=home,
            category_id=code,
            computed_at=now,
            live_sessions=n,
            gmv_total=Decimal(gmv) * n,
            gmv_per_session=Decimal(gmv),
        )
    picks = {p.creator.nickname: p for p in recommended_creators(merchant)}
    assert picks["家居达人"].reasons[0] == "履约率 96%，家居类目场均成交 ¥8,000.00"
    # The merchant's products change: now mostly 美妆, so the reason follows.
    for _n in range(2):
        ProductFactory(merchant=merchant.merchant, category=Category.objects.get(code="beauty"))
    picks = {p.creator.nickname: p for p in recommended_creators(merchant)}
    assert picks["家居达人"].reasons[0] == "履约率 96%，美妆类目场均成交 ¥12,761.90"
