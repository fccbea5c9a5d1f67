"""Scorecards (issue 17): every figure against a hand-worked history.

The history of 达人 C with 商家 M (slot fee ¥1,000 each, service-fee rate 20%):

* T1 completed, live 2 h ago; order ¥1,000 in its window, ¥200 refunded → GMV ¥800;
* T2 completed; order ¥500 in its window → GMV ¥500;
* T3 completed; order ¥300 paid a day before the live session but naming HW-T-… → ¥300;
  an order of the same product before the live session and naming nothing is not T3's;
* T4 accepted, then cancelled by the merchant before shipping → not counted;
* T5 received, the creator missed the live deadline, the merchant cancelled → counted,
  not fulfilled, a breach on the creator's live stage.

履约率 = 3 ÷ 4 = 75%; 准时率 = 3 live stages met ÷ 4 due = 75%; 场均成交 =
(800 + 500 + 300) ÷ 3 = ¥533.33; ROI per task = GMV ÷ (1,000 + 20% of GMV):
0.6897, 0.4545, 0.2830 → median 0.45.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from cooperation.models import (
    CreatorScorecard,
    MerchantScorecard,
    Task,
    TaskAction,
    TaskState,
)
from cooperation.services import disputes as dispute_services
from cooperation.services import ratings
from cooperation.services import tasks as services
from cooperation.services.scorecards import scorecards_recompute
from settlement.services.events import ingest_objects
from tests.cooperation.task_factories import ProductFactory, make_task
from tests.settlement.factories import paid, refunded

pytestmark = pytest.mark.django_db


def _iso(dt):
    return timezone.localtime(dt).isoformat()


def _completed_with_order(merchant, creator, order_id, amount, *, refund=None, named=False):
    product = ProductFactory(merchant=merchant.merchant)
    task = make_task(
        merchant=merchant, creator=creator, state=TaskState.RECEIVED, products=[product]
    )
    # Invited three days ago, so the live session two hours ago follows it.
    Task.objects.filter(pk=task.pk).update(created_at=timezone.now() - timedelta(days=3))
    live = timezone.now() - timedelta(hours=2)
    services.task_report_live(
        task=task, actor=creator, live_at=live, replay_url="https://live.example.com/r"
    )
    event = paid(
        order_id,
        merchant,
        creator,
        amount,
        "0.20",
        _iso(live - timedelta(days=1) if named else live + timedelta(minutes=30)),
        product=product.sku,
    )
    if named:
        event["task"] = task.reference
    objs = [event]
    if refund:
        objs.append(refunded(order_id, refund, _iso(live + timedelta(hours=1))))
    ingest_objects(objs)
    services.task_confirm_completion(task=task, actor=merchant)
    task.refresh_from_db()
    return task, product


@pytest.fixture
def history(merchant, creator):
    t1, _ = _completed_with_order(merchant, creator, "SC-1", "1000.00", refund="200.00")
    t2, _ = _completed_with_order(merchant, creator, "SC-2", "500.00")
    t3, p3 = _completed_with_order(merchant, creator, "SC-3", "300.00", named=True)
    # Same product, before T3's live session, naming nothing: belongs to no task.
    before_live = _iso(timezone.now() - timedelta(hours=5))
    ingest_objects([paid("SC-X", merchant, creator, "999.00", "0.20", before_live, p3.sku)])
    make_task(merchant=merchant, creator=creator, state=TaskState.CANCELLED)  # T4
    t5 = make_task(merchant=merchant, creator=creator, state=TaskState.RECEIVED)
    late = t5.live_by + timedelta(hours=1)
    services.task_cancel_late(
        task=t5, actor=merchant, reason="未直播", action=TaskAction.CANCEL_LATE_LIVE, now=late
    )
    return {"t1": t1, "t2": t2, "t3": t3, "t5": t5, "at": late + timedelta(minutes=1)}


def test_creator_figures_match_the_hand_worked_history(history, creator):
    scorecards_recompute(now=history["at"])
    card = CreatorScorecard.objects.get(creator_id=creator.pk)
    assert (card.tasks_counted, card.tasks_fulfilled, card.tasks_completed) == (4, 3, 3)
    assert card.fulfilment_rate == Decimal("0.7500")
    assert (card.stages_due, card.stages_on_time, card.on_time_rate) == (4, 3, Decimal("0.7500"))
    assert (card.live_sessions, card.gmv_total) == (3, Decimal("1600.00"))
    assert card.gmv_per_session == Decimal("533.33")
    assert (card.roi_tasks, card.roi_median) == (3, Decimal("0.45"))
    assert not card.is_new


def test_a_refund_lowers_gmv_per_session(history, creator):
    scorecards_recompute(now=history["at"])
    before = CreatorScorecard.objects.get(creator_id=creator.pk).gmv_per_session
    ingest_objects([refunded("SC-2", "300.00", _iso(timezone.now()))])
    scorecards_recompute(now=history["at"])
    after = CreatorScorecard.objects.get(creator_id=creator.pk)
    assert (before, after.gmv_per_session) == (Decimal("533.33"), Decimal("433.33"))


def test_merchant_cancellations_do_not_count_against_the_creator(merchant, creator):
    for n in range(3):
        _completed_with_order(merchant, creator, f"MC-{n}", "100.00")
    make_task(merchant=merchant, creator=creator, state=TaskState.CANCELLED)
    t = make_task(merchant=merchant, creator=creator, state=TaskState.ACCEPTED)
    # The merchant missed its shipping deadline; the creator leaves: not the creator's fault.
    services.task_cancel_late(
        task=t,
        actor=creator,
        reason="未寄样",
        action=TaskAction.CANCEL_LATE_SHIPPING,
        now=t.ship_by + timedelta(hours=1),
    )
    scorecards_recompute(now=t.ship_by + timedelta(hours=2))
    card = CreatorScorecard.objects.get(creator_id=creator.pk)
    assert (card.tasks_counted, card.tasks_fulfilled, card.fulfilment_rate) == (
        3,
        3,
        Decimal("1.0000"),
    )
    m = MerchantScorecard.objects.get(merchant_id=merchant.pk)
    # Four shipping deadlines met, one breached.
    assert (m.ships_due, m.ships_on_time, m.on_time_shipping_rate) == (4, 3, Decimal("0.7500"))


def test_fewer_than_three_completed_is_new_never_100_percent(merchant, creator):
    _completed_with_order(merchant, creator, "NEW-1", "100.00")
    _completed_with_order(merchant, creator, "NEW-2", "100.00")
    scorecards_recompute()
    card = CreatorScorecard.objects.get(creator_id=creator.pk)
    assert card.is_new and card.tasks_completed == 2
    assert card.fulfilment_rate is None and card.on_time_rate is None
    assert card.gmv_per_session == Decimal("100.00")  # a measured average, not a rate
    m = MerchantScorecard.objects.get(merchant_id=merchant.pk)
    assert m.is_new and m.on_time_shipping_rate is None


def test_a_lost_dispute_counts_against_the_creator(history, merchant, creator, operator):
    task = make_task(merchant=merchant, creator=creator, state=TaskState.SHIPPED)
    dispute_services.dispute_open(
        task=task, actor=merchant, reason="live_not_done", statement="没有直播"
    )
    dispute_services.dispute_lapse(task=task, now=timezone.now() + timedelta(days=4))
    scorecards_recompute(now=history["at"] + timedelta(days=5))
    card = CreatorScorecard.objects.get(creator_id=creator.pk)
    assert (card.tasks_counted, card.tasks_fulfilled) == (5, 3)
    assert card.fulfilment_rate == Decimal("0.6000")
    assert (card.disputes_against, card.disputes_lost, card.disputes_open) == (1, 1, 0)
    m = MerchantScorecard.objects.get(merchant_id=merchant.pk)
    assert m.disputes_against == 0  # the merchant opened it


def test_ratings_average_and_count(history, merchant, creator):
    ratings.rating_create(task=history["t1"], actor=merchant, stars=5)
    ratings.rating_create(task=history["t2"], actor=merchant, stars=4)
    ratings.rating_create(task=history["t3"], actor=merchant, stars=4)
    ratings.rating_create(task=history["t1"], actor=creator, stars=3)
    scorecards_recompute(now=history["at"])
    card = CreatorScorecard.objects.get(creator_id=creator.pk)
    assert (card.rating_count, card.rating_avg) == (3, Decimal("4.33"))
    m = MerchantScorecard.objects.get(merchant_id=merchant.pk)
    assert (m.rating_count, m.rating_avg, m.tasks_completed) == (1, Decimal("3.00"), 3)
    assert (m.slot_fee_tasks, m.typical_slot_fee) == (5, Decimal("1000.00"))


def test_the_period_is_the_last_90_days(history, creator):
    scorecards_recompute(now=history["at"] + timedelta(days=91))
    card = CreatorScorecard.objects.get(creator_id=creator.pk)
    assert (card.tasks_counted, card.live_sessions, card.fulfilment_rate) == (0, 0, None)


def test_recompute_is_idempotent_and_scoped(history, creator, other_creator, merchant):
    first = scorecards_recompute(now=history["at"])
    rows = list(CreatorScorecard.objects.order_by("pk").values())
    scorecards_recompute(now=history["at"])
    assert list(CreatorScorecard.objects.order_by("pk").values()) == rows
    assert first.creators >= 2  # every creator gets a row, with or without tasks
    CreatorScorecard.objects.all().delete()
    scorecards_recompute(creator_ids=[creator.pk], merchant_ids=[merchant.pk])
    assert list(CreatorScorecard.objects.values_list("creator_id", flat=True)) == [creator.pk]


def test_a_task_ending_refreshes_its_parties_after_commit(
    merchant, creator, django_capture_on_commit_callbacks
):
    task = make_task(merchant=merchant, creator=creator, state=TaskState.LIVE_REPORTED)
    assert not CreatorScorecard.objects.filter(creator_id=creator.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.task_confirm_completion(task=task, actor=merchant)
    card = CreatorScorecard.objects.get(creator_id=creator.pk)
    assert card.tasks_completed == 1 and card.is_new
    assert MerchantScorecard.objects.get(merchant_id=merchant.pk).tasks_completed == 1
