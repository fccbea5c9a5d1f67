"""场均成交 per category (issue 17): the recompute, the plaza and the recommendation reason.

The hand-worked history of 达人 C with 商家 M (products: 面霜 A in 美妆 beauty, 茶叶 B in
食品 food; every order in its session's 48 h window):

* T1 (A): order ¥1,000, ¥400 refunded → 美妆 ¥600;
* T2 (A): order ¥200 → 美妆 ¥200;
* T3 (A and B): order of A ¥300, order of B ¥900 → 美妆 ¥300, 食品 ¥900;
* T4 (B): no order → 食品 ¥0.

美妆: 3 sessions, ¥1,100 → 场均成交 ¥366.67; 食品: 2 sessions, ¥900 → ¥450.00;
all categories: 4 sessions, ¥2,000 → ¥500.00 (the categories add up to the total).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from admission.models import Category
from cooperation.models import CreatorCategoryScorecard, CreatorScorecard, Task, TaskState
from cooperation.services import tasks as services
from cooperation.services.scorecards import scorecards_recompute
from settlement.services.events import ingest_objects
from tests.cooperation.task_factories import ProductFactory, make_task
from tests.settlement.factories import paid, refunded

pytestmark = pytest.mark.django_db


def _iso(dt):
    return timezone.localtime(dt).isoformat()


def _session(merchant, creator, products, orders):
    """A completed task with a live session 2 h ago; ``orders`` = [(id, product, amount)]."""
    task = make_task(
        merchant=merchant, creator=creator, state=TaskState.RECEIVED, products=products
    )
    Task.objects.filter(pk=task.pk).update(created_at=timezone.now() - timedelta(days=3))
    live = timezone.now() - timedelta(hours=2)
    services.task_report_live(
        task=task, actor=creator, live_at=live, replay_url="https://live.example.com/r"
    )
    objs = [
        paid(oid, merchant, creator, amount, "0.20", _iso(live + timedelta(minutes=30)), p.sku)
        for oid, p, amount in orders
    ]
    if objs:
        ingest_objects(objs)
    services.task_confirm_completion(task=task, actor=merchant)
    return task


@pytest.fixture
def cats(db):
    return Category.objects.get(code="beauty"), Category.objects.get(code="food")


@pytest.fixture
def history(merchant, creator, cats):
    beauty, food = cats
    a1, a2, a3 = (ProductFactory(merchant=merchant.merchant, category=beauty) for _ in range(3))
    b3, b4 = (ProductFactory(merchant=merchant.merchant, category=food) for _ in range(2))
    _session(merchant, creator, [a1], [("CAT-1", a1, "1000.00")])
    ingest_objects([refunded("CAT-1", "400.00", _iso(timezone.now() - timedelta(hours=1)))])
    _session(merchant, creator, [a2], [("CAT-2", a2, "200.00")])
    _session(merchant, creator, [a3, b3], [("CAT-3", a3, "300.00"), ("CAT-4", b3, "900.00")])
    _session(merchant, creator, [b4], [])


def _rows(creator):
    return {
        r.category_id: (r.live_sessions, r.gmv_total, r.gmv_per_session)
        for r in CreatorCategoryScorecard.objects.filter(creator_id=creator.pk)
    }


def test_gmv_per_session_per_category_matches_the_hand_worked_history(history, creator):
    scorecards_recompute()
    assert _rows(creator) == {
        "beauty": (3, Decimal("1100.00"), Decimal("366.67")),
        "food": (2, Decimal("900.00"), Decimal("450.00")),
    }
    card = CreatorScorecard.objects.get(creator_id=creator.pk)
    assert (card.live_sessions, card.gmv_total, card.gmv_per_session) == (
        4,
        Decimal("2000.00"),
        Decimal("500.00"),
    )


def test_a_later_refund_lowers_the_category_figure_only(history, creator):
    scorecards_recompute()
    ingest_objects([refunded("CAT-4", "300.00", _iso(timezone.now()))])
    scorecards_recompute()
    rows = _rows(creator)
    assert rows["food"] == (2, Decimal("600.00"), Decimal("300.00"))
    assert rows["beauty"] == (3, Decimal("1100.00"), Decimal("366.67"))


def test_rows_follow_the_period_and_the_scope(history, creator, other_creator):
    scorecards_recompute()
    assert set(_rows(creator)) == {"beauty", "food"}
    assert not _rows(other_creator)
    # Scoped refresh replaces only the named creator's rows.
    scorecards_recompute(creator_ids=[creator.pk], merchant_ids=[])
    assert set(_rows(creator)) == {"beauty", "food"}
    # 91 days later the sessions are out of the period: the rows go.
    scorecards_recompute(now=timezone.now() + timedelta(days=91))
    assert not _rows(creator)


def test_the_plaza_in_a_category_filters_and_sorts_by_that_categorys_figure(
    client, merchant, history, creator, other_creator, cats
):
    beauty, food = cats
    creator.creator.categories.set([beauty, food])
    other_creator.creator.categories.set([beauty, food])
    # The other creator: one beauty session of ¥400 (more than 366.67), none in food.
    p = ProductFactory(merchant=merchant.merchant, category=beauty)
    _session(merchant, other_creator, [p], [("CAT-O", p, "400.00")])
    scorecards_recompute()
    client.force_login(merchant)

    def names(query):
        page = client.get(reverse("cooperation:plaza") + "?" + query).context["page"]
        return [c.pk for c in page.object_list]

    assert names("category=beauty&sort=-gmv") == [other_creator.pk, creator.pk]
    assert names("category=food&sort=-gmv")[:1] == [creator.pk]
    # ≥ ¥420: in 食品 only C (450); in 美妆 nobody's 场均成交 reaches it (400, 366.67).
    assert names("category=food&gmv_min=420") == [creator.pk]
    assert names("category=beauty&gmv_min=420") == []
    # Without a category the filter is the all-category figure: C 500, other 400.
    assert names("gmv_min=420") == [creator.pk]
    html = client.get(reverse("cooperation:plaza") + "?category=food&sort=-gmv").content.decode()
    assert "食品场均成交" in html and "¥450.00" in html


def test_the_plaza_in_a_category_makes_one_query_more_for_the_category(
    client, merchant, history, creator, other_creator, cats, django_assert_num_queries
):
    """The category figure is a join on the unique (creator, category) row, not a query: the
    plaza in a category sorted by its 场均成交 with two filters makes 8 queries — the 7 of
    the plaza sorted by 履约率 with two filters (``test_scorecard_pages``) and the lookup
    of the chosen category (the filter's ModelChoiceField)."""
    beauty, food = cats
    for c in (creator, other_creator):
        c.creator.categories.set([beauty, food])
    scorecards_recompute()
    client.force_login(merchant)
    url = reverse("cooperation:plaza")
    params = {"category": "beauty", "sort": "-gmv", "gmv_min": "100", "fulfilment_min": "0.9"}
    client.get(url, params)
    with django_assert_num_queries(8):
        assert client.get(url, params).status_code == 200
    # And the page is the plaza with its results, not an error page.
    params = {"category": "beauty", "sort": "-gmv", "gmv_min": "100"}
    page = client.get(url, params)
    assert [c.pk for c in page.context["page"].object_list] == [creator.pk]
