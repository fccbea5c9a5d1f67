"""Demo track records (issue 17): plaza creators with varied, believable scorecards.

Fourteen admitted plaza creators each get a history with merchant01 (花间美妆店) and
merchant02 (阿里山茶叶铺) made through the real services: completed live sessions
with orders naming the task (some refunded), ratings, and — for some — a missed live
deadline the merchant cancelled over, a merchant's own cancellation, or a dispute
they lost. The merchants' side is not spotless either: some samples ship after the
shipping deadline (阿里山茶叶铺 more often than 花间美妆店), and a creator wins a
dispute a merchant never answered (a lost dispute on the merchant's record). Two
creators have fewer than three completed tasks and show as 新达人. The history is
then spread over the last weeks, and every scorecard is recomputed. Deterministic
(seeded per creator); idempotent: a creator with a demo record gets nothing new.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from admission.models import Creator, User
from admission.selectors import admitted_creators
from cooperation.demo_tasks import DemoTask, _backdate
from cooperation.models import Product, Rating, Task, TaskEvent, TaskEventKind
from cooperation.services import disputes as dispute_services
from cooperation.services import ratings as rating_services
from cooperation.services import tasks as services
from cooperation.services.scorecards import scorecards_recompute
from hotwave.exceptions import DomainError
from settlement.services.events import ingest_objects

logger = logging.getLogger(__name__)

NOTE = "合作记录演示"
SHOPS = {
    "merchant01": ("HJ-101", "HJ-102", "HJ-103", "HJ-105"),
    "merchant02": ("AL-201", "AL-203", "AL-205"),
}


@dataclass(frozen=True)
class Record:
    completed: int  # completed live sessions
    gmv: int  # typical GMV of a session (yuan)
    stars: tuple[int, ...]  # the merchants' ratings, one per completed task (cycled)
    late_live: int = 0  # missed live deadlines the merchant cancelled over
    merchant_cancel: int = 0  # cancellations by the merchant before shipping (not held against)
    lost_dispute: int = 0  # a merchant's dispute the creator never answered
    late_ship: tuple[int, ...] = ()  # which completed sessions (by order) shipped late
    merchant_lost: int = 0  # the creator's dispute the merchant never answered


RECORDS = (
    Record(7, 12_000, (5, 5, 4, 5), late_ship=(2,)),
    Record(6, 8_500, (5, 4, 5), late_live=1, late_ship=(1, 4)),
    Record(5, 3_200, (4, 4, 5), merchant_cancel=1, merchant_lost=1),
    Record(6, 15_800, (5,)),
    Record(4, 2_100, (3, 4, 4), late_live=1, lost_dispute=1, late_ship=(0,)),
    Record(5, 6_400, (4, 5), late_ship=(3,)),
    Record(3, 1_200, (4, 3)),
    Record(4, 9_900, (5, 4), merchant_cancel=2, late_ship=(1,)),
    Record(3, 4_300, (5,), late_live=1),
    Record(2, 2_600, (5,)),  # 新达人: two completed tasks
    Record(1, 800, (4,)),  # 新达人: one
    Record(5, 5_200, (3, 4, 3), late_live=2, late_ship=(0, 2)),
    Record(6, 7_700, (5, 4, 4, 5), merchant_cancel=1, merchant_lost=1),
    Record(3, 18_500, (5, 5, 4), late_ship=(1,)),
)


def _task(merchant: User, creator: Creator, product: Product, note: str) -> Task:
    return services.task_create(
        actor=merchant,
        creator=creator,
        products=[product],
        slot_fee=creator.quote if creator.quote > 0 else Decimal("500.00"),
        planned_live_date=timezone.localdate() + timedelta(days=3),
        note=note,
    )


def _ship_late(task: Task) -> None:
    """The merchant misses the shipping deadline: the breach is recorded, then it ships."""
    Task.objects.filter(pk=task.pk).update(
        accepted_at=F("accepted_at") - timedelta(days=task.ship_days + 1)
    )
    task.refresh_from_db()
    services.task_record_breach(task=task)


def _completed(
    merchant,
    creator,
    product,
    note,
    *,
    gmv: int,
    stars: int,
    rnd,
    days_ago: int,
    late_ship: bool = False,
) -> Task:
    task = _task(merchant, creator, product, note)
    services.task_accept(task=task, actor=creator.user)
    if late_ship:
        _ship_late(task)
    services.task_ship_sample(
        task=task, actor=merchant, carrier="中通快递", tracking_no=f"ZT{task.pk:010d}"
    )
    services.task_confirm_receipt(task=task, actor=creator.user)
    services.task_report_live(
        task=task,
        actor=creator.user,
        live_at=timezone.now(),
        replay_url=f"https://live.example.com/replay/{task.pk}",
    )
    # The session's orders, each naming the task; one in four partly refunded.
    target = Decimal(int(gmv * rnd.uniform(0.7, 1.3)))
    # Paid during the session as it will read once spread back (``_spread``: live about
    # four days after the invitation).
    paid_at = timezone.localtime() - timedelta(days=days_ago) + timedelta(days=4, hours=3)
    price, at = product.price, paid_at.isoformat()
    events, n, total = [], 0, Decimal(0)
    while total + price <= target or n == 0:
        n += 1
        order_id = f"REC-{task.pk}-{n}"
        events.append(
            {
                "type": "order.paid",
                "order_id": order_id,
                "merchant": merchant.username,
                "creator": creator.user.username,
                "product": product.sku,
                "amount": str(price),
                "service_fee_rate": str(product.service_fee_rate),
                "at": at,
                "task": task.reference,
            }
        )
        if n % 4 == 0:
            events.append(
                {"type": "order.refunded", "order_id": order_id, "amount": str(price), "at": at}
            )
        total += price
        if n >= 400:
            break
    ingest_objects(events)
    services.task_confirm_completion(task=task, actor=merchant)
    texts = {
        5: "准时开播，讲解专业，转化超出预期。",
        4: "配合顺畅，下次再约。",
        3: "讲解偏短，整体还行。",
    }
    rating_services.rating_create(task=task, actor=merchant, stars=stars, text=texts.get(stars, ""))
    rating_services.rating_create(task=task, actor=creator.user, stars=rnd.choice((4, 5, 5)))
    return task


def _late_live(merchant, creator, product, note) -> Task:
    task = _task(merchant, creator, product, note)
    services.task_accept(task=task, actor=creator.user)
    services.task_ship_sample(
        task=task, actor=merchant, carrier="中通快递", tracking_no=f"ZT{task.pk:010d}"
    )
    services.task_confirm_receipt(task=task, actor=creator.user)
    task.refresh_from_db()
    services.task_cancel_late(
        task=task,
        actor=merchant,
        reason="达人逾期未直播",
        action="cancel_late_live",
        now=task.live_by + timedelta(hours=1),
    )
    return task


def _merchant_cancel(merchant, creator, product, note) -> Task:
    task = _task(merchant, creator, product, note)
    services.task_accept(task=task, actor=creator.user)
    services.task_cancel(task=task, actor=merchant, reason="活动计划调整")
    return task


def _lost_dispute(merchant, creator, product, note) -> Task:
    task = _task(merchant, creator, product, note)
    services.task_accept(task=task, actor=creator.user)
    services.task_ship_sample(
        task=task, actor=merchant, carrier="中通快递", tracking_no=f"ZT{task.pk:010d}"
    )
    dispute_services.dispute_open(
        task=task, actor=merchant, reason="live_not_done", statement="约定的直播没有进行。"
    )
    dispute_services.dispute_lapse(task=task, now=timezone.now() + timedelta(days=4))
    return task


def _merchant_lost(merchant, creator, product, note) -> Task:
    """The creator went live; the merchant would not confirm, the creator disputed, and the
    merchant never answered: released to the creator (a dispute the merchant lost)."""
    task = _task(merchant, creator, product, note)
    services.task_accept(task=task, actor=creator.user)
    services.task_ship_sample(
        task=task, actor=merchant, carrier="中通快递", tracking_no=f"ZT{task.pk:010d}"
    )
    services.task_confirm_receipt(task=task, actor=creator.user)
    services.task_report_live(
        task=task,
        actor=creator.user,
        live_at=timezone.now(),
        replay_url=f"https://live.example.com/replay/{task.pk}",
    )
    dispute_services.dispute_open(
        task=task,
        actor=creator.user,
        reason="other",
        statement="直播已按约定完成，商家一直没有确认完成。",
    )
    dispute_services.dispute_lapse(task=task, now=timezone.now() + timedelta(days=4))
    return task


def _shipped_late_timeline(task: Task) -> None:
    """After ``_spread``: the invitation and acceptance move back by the shipping days + 1,
    so the timeline reads as the late shipment the breach event records."""
    task.refresh_from_db()
    accept = task.transitions.filter(action="accept").first()
    if accept is None:
        return
    shift = timedelta(days=task.ship_days + 1)
    cutoff = accept.at
    task.transitions.filter(at__lte=cutoff).update(at=F("at") - shift)
    TaskEvent.objects.filter(task=task, at__lte=cutoff).exclude(
        kind=TaskEventKind.DEADLINE_BREACHED
    ).update(at=F("at") - shift)
    Task.objects.filter(pk=task.pk).update(
        created_at=F("created_at") - shift, accepted_at=F("accepted_at") - shift
    )
    task.refresh_from_db()
    TaskEvent.objects.filter(task=task, kind=TaskEventKind.DEADLINE_BREACHED).update(
        at=task.ship_by + timedelta(hours=3)
    )


def _spread(task: Task, days_ago: int) -> None:
    """Move the task's history back (the demo tasks' way), and its ratings with it."""
    task.refresh_from_db()
    _backdate(DemoTask("", "", task.state, (), "0", days_ago, task.note), task)
    task.refresh_from_db()
    if task.completed_at:
        at = task.completed_at + timedelta(hours=20)
        Rating.objects.filter(task=task).update(created_at=at, updated_at=at)


def seed_records(context: dict) -> int:
    """Track records for fourteen plaza creators, then every scorecard. Returns tasks made."""
    merchants = {u.username: u for u in User.objects.filter(username__in=SHOPS)}
    products = {
        (p.merchant.user.username, p.sku): p
        for p in Product.objects.select_related("merchant__user").filter(
            merchant__user__username__in=SHOPS
        )
    }
    pool = [
        (m, products[(name, sku)])
        for name, m in sorted(merchants.items())
        for sku in SHOPS[name]
        if (name, sku) in products
    ]
    creators = list(
        admitted_creators()
        .filter(user__username__startswith="creator")
        .select_related("user")
        .order_by("user__username")[: len(RECORDS)]
    )
    made = 0
    for i, (creator, record) in enumerate(zip(creators, RECORDS, strict=False)):
        if not pool or Task.objects.filter(creator=creator, note__startswith=NOTE).exists():
            continue
        rnd = random.Random(20261202 + i)
        plan = (
            ["done"] * record.completed
            + ["late"] * record.late_live
            + ["cancel"] * record.merchant_cancel
            + ["lost"] * record.lost_dispute
            + ["won"] * record.merchant_lost
        )
        rnd.shuffle(plan)
        done_seen = 0
        try:
            with transaction.atomic():
                for k, step in enumerate(plan):
                    # Oldest first, a few days apart, all inside the 90-day period.
                    days_ago = 75 - k * (60 // max(len(plan), 1))
                    merchant, product = pool[(i + k) % len(pool)]
                    note = f"{NOTE}：{product.title}"
                    late_ship = False
                    if step == "done":
                        late_ship = done_seen in record.late_ship
                        done_seen += 1
                        stars = record.stars[k % len(record.stars)]
                        task = _completed(
                            merchant,
                            creator,
                            product,
                            note,
                            gmv=record.gmv,
                            stars=stars,
                            rnd=rnd,
                            days_ago=days_ago,
                            late_ship=late_ship,
                        )
                    elif step == "late":
                        task = _late_live(merchant, creator, product, note)
                    elif step == "cancel":
                        task = _merchant_cancel(merchant, creator, product, note)
                    elif step == "won":
                        task = _merchant_lost(merchant, creator, product, note)
                    else:
                        task = _lost_dispute(merchant, creator, product, note)
                    _spread(task, days_ago=days_ago)
                    if late_ship:
                        _shipped_late_timeline(task)
                    made += 1
        except DomainError as exc:
            logger.warning("demo record for %s skipped: %s", creator.user.username, exc)
    scorecards_recompute()
    return made
