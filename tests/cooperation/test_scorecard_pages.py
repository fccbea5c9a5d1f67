"""Where scorecards show (issue 17): plaza cards, filters and sorts, the creator homepage,
the merchant record on the task page and the merchant's page, 再次合作, the help page."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from cooperation.models import CreatorScorecard, MerchantScorecard, TaskState
from cooperation.services import ratings
from settlement.services.events import ingest_objects
from tests.admission.factories import CreatorFactory
from tests.cooperation.factories import admit, bind
from tests.cooperation.task_factories import make_task
from tests.settlement.factories import paid

pytestmark = pytest.mark.django_db

PLAZA = reverse("cooperation:plaza")


def card(creator, **figures) -> CreatorScorecard:
    now = timezone.now()
    values = {
        "period_start": now - timedelta(days=90),
        "period_end": now,
        "computed_at": now,
        "tasks_completed": 10,
        "tasks_counted": 10,
        "tasks_fulfilled": 9,
        "fulfilment_rate": Decimal("0.9000"),
        "gmv_per_session": Decimal("12000.00"),
        "live_sessions": 10,
        "rating_avg": Decimal("4.60"),
        "rating_count": 8,
    }
    values.update(figures)
    return CreatorScorecard.objects.create(creator=creator, **values)


def creators(*nicknames):
    out = [CreatorFactory(nickname=n) for n in nicknames]
    admit(*[c.user for c in out])
    return out


def test_plaza_cards_show_the_figures_new_and_computing(client_for, merchant):
    a, b, c = creators("老将", "新人", "刚来")
    card(a.user.creator, fulfilment_rate=Decimal("0.9650"))
    card(b.user.creator, tasks_completed=2, fulfilment_rate=None)
    body = client_for(merchant).get(PLAZA).content.decode()
    assert "96.5%" in body and "¥12,000.00" in body and "4.60" in body
    assert "新达人" in body and "计算中" in body
    assert "100%" not in body


def test_plaza_sorts_by_fulfilment_new_and_missing_last(client_for, merchant):
    a, b, c, d = creators("甲", "乙", "丙", "丁")
    card(a, fulfilment_rate=Decimal("0.8000"))
    card(b, fulfilment_rate=Decimal("0.9900"))
    card(c, tasks_completed=1, fulfilment_rate=None)
    page = client_for(merchant).get(PLAZA, {"sort": "-fulfilment"}).context["page"]
    assert [x.nickname for x in page.object_list] == ["乙", "甲", "丙", "丁"]


def test_plaza_filters_by_fulfilment_and_rating(client_for, merchant):
    a, b, c = creators("稳", "一般", "新")
    card(a, fulfilment_rate=Decimal("0.9600"), rating_avg=Decimal("4.80"))
    card(b, fulfilment_rate=Decimal("0.8500"), rating_avg=Decimal("4.90"))
    card(c, tasks_completed=1, fulfilment_rate=None, rating_avg=Decimal("5.00"))
    client = client_for(merchant)
    page = client.get(PLAZA, {"fulfilment_min": "0.9", "rating_min": "4.5"}).context["page"]
    assert [x.nickname for x in page.object_list] == ["稳"]
    bad = client.get(PLAZA, {"fulfilment_min": "2"})
    assert bad.status_code == 200 and "fulfilment_min" in bad.context["filterset"].form.errors


def test_plaza_query_count_with_scorecard_sort_and_two_filters(
    client_for, merchant, django_assert_num_queries
):
    for i, c in enumerate(creators(*[f"达人{i}" for i in range(6)])):
        card(c, fulfilment_rate=Decimal("0.9") + Decimal(i) / 100)
    client = client_for(merchant)
    params = {"sort": "-fulfilment", "fulfilment_min": "0.9", "rating_min": "4"}
    client.get(PLAZA, params)
    with django_assert_num_queries(7):
        assert client.get(PLAZA, params).status_code == 200


def test_creator_homepage_shows_scorecard_ratings_and_own_tasks_in_full(
    client_for, merchant, other_merchant, creator
):
    own = make_task(merchant=merchant, creator=creator, state=TaskState.COMPLETED)
    # An order of the creator today: the 30-day trend draws it.
    ingest_objects(
        [paid("TR-1", merchant, creator, "321.00", "0.20", timezone.localtime().isoformat())]
    )
    make_task(merchant=other_merchant, creator=creator, state=TaskState.COMPLETED)
    ratings.rating_create(task=own, actor=merchant, stars=5, text="复购很好")
    url = reverse("cooperation:creator_detail", args=[creator.pk])
    body = client_for(merchant).get(url).content.decode()
    assert "计算中" in body  # no scorecard yet: the page still renders
    assert "近30天每日成交额" in body
    assert own.reference in body and "再次合作" in body and "复购很好" in body
    assert "¥321.00" in body
    assert "与其他 1 家商家完成 1 个合作" in body
    other = client_for(other_merchant).get(url).content.decode()
    assert own.reference not in other and "与其他 1 家商家完成 1 个合作" in other


def test_creator_homepage_query_count_is_pinned(
    client_for, merchant, creator, django_assert_num_queries
):
    task = make_task(merchant=merchant, creator=creator, state=TaskState.COMPLETED)
    ratings.rating_create(task=task, actor=merchant, stars=4)
    card(creator.creator)
    client = client_for(merchant)
    url = reverse("cooperation:creator_detail", args=[creator.pk])
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(2):
        t = make_task(merchant=merchant, creator=creator, state=TaskState.COMPLETED)
        ratings.rating_create(task=t, actor=merchant, stars=5)
    with django_assert_num_queries(len(one.captured_queries)):
        assert client.get(url).status_code == 200


def test_invitation_shows_the_merchant_record_to_the_creator(client_for, merchant, creator):
    task = make_task(merchant=merchant, creator=creator)
    now = timezone.now()
    MerchantScorecard.objects.create(
        merchant=merchant.merchant,
        period_start=now - timedelta(days=90),
        period_end=now,
        computed_at=now,
        tasks_completed=12,
        ships_due=12,
        ships_on_time=11,
        on_time_shipping_rate=Decimal("0.9167"),
        rating_avg=Decimal("4.50"),
        rating_count=6,
        typical_slot_fee=Decimal("2000.00"),
        slot_fee_tasks=12,
    )
    url = reverse("cooperation:task_detail", args=[task.pk])
    body = client_for(creator).get(url).content.decode()
    assert "商家记录" in body and "91.7%" in body and "¥2,000.00" in body
    assert "查看商家主页" in body
    assert "常见坑位费" not in client_for(merchant).get(url).content.decode()


def test_merchant_page_for_creators_not_for_other_merchants(
    client_for, merchant, other_merchant, creator, agency, django_assert_num_queries
):
    url = reverse("cooperation:merchant_detail", args=[merchant.pk])
    client = client_for(creator)
    client.get(url)
    with django_assert_num_queries(5):
        body = client.get(url).content.decode()
    assert "商家记录计算中" in body and "还没有评价" in body
    assert client_for(agency).get(url).status_code == 200
    assert client_for(merchant).get(url).status_code == 200
    assert client_for(other_merchant).get(url).status_code == 404
    assert client.get(reverse("cooperation:merchant_detail", args=[999_999])).status_code == 404


def test_cooperate_again_prefills_the_invitation(client_for, merchant, creator, other_merchant):
    task = make_task(
        merchant=merchant, creator=creator, state=TaskState.COMPLETED, slot_fee=Decimal("888.00")
    )
    url = reverse("cooperation:task_create", args=[creator.pk]) + f"?again={task.pk}"
    response = client_for(merchant).get(url)
    form = response.context["cooperate_form"]
    assert response.status_code == 200
    assert form.initial["slot_fee"] == Decimal("888.00")
    assert form.initial["products"] == [i.product_id for i in task.items.all()]
    assert 'value="888.00"' in response.content.decode()
    # Someone else's task, an open task, junk: 404.
    assert client_for(other_merchant).get(url).status_code == 404
    open_task = make_task(merchant=merchant, creator=creator, state=TaskState.RECEIVED)
    again = reverse("cooperation:task_create", args=[creator.pk]) + f"?again={open_task.pk}"
    assert client_for(merchant).get(again).status_code == 404
    junk = reverse("cooperation:task_create", args=[creator.pk]) + "?again=x"
    assert client_for(merchant).get(junk).status_code == 404


def test_the_help_page_explains_each_figure(client_for, merchant, creator):
    body = client_for(creator).get(reverse("cooperation:scorecard_help")).content.decode()
    for label in ("履约率", "准时率", "场均成交", "商家 ROI 中位数", "评分", "新达人", "新商家"):
        assert label in body


def test_agency_roster_shows_its_bound_creators_scorecards(
    client_for, agency, agency_creator, creator, other_agency, django_assert_num_queries
):
    bind(agency_creator.creator, agency.agency)
    card(agency_creator.creator, fulfilment_rate=Decimal("0.9300"))
    client = client_for(agency)
    url = reverse("cooperation:agency_roster")
    client.get(url)
    with django_assert_num_queries(5):
        body = client.get(url).content.decode()
    assert agency_creator.creator.nickname in body and "93%" in body
    assert creator.creator.nickname not in body
    assert "还没有签约中的达人" in client_for(other_agency).get(url).content.decode()
    assert client_for(creator).get(url).status_code == 404
