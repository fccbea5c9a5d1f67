"""Demo cooperation tasks in every state (used by ``cooperation.demo.seed_tasks``).

Tasks are made through the real services (so escrow postings, transitions and
合作任务数 are what the product would produce), then their clock is moved back so
the pages read like a few weeks of work. Each task is identified by its note:
running the seed again creates nothing new.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from admission.models import User
from cooperation.models import (
    STATE_TIMESTAMP,
    Product,
    Task,
    TaskEvent,
    TaskState,
    TaskTransition,
)
from cooperation.services import disputes as dispute_services
from cooperation.services import tasks as services
from hotwave.exceptions import DomainError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoTask:
    merchant: str
    creator: str
    state: str
    skus: tuple[str, ...]
    slot_fee: str
    days_ago: int  # when the invitation was sent
    note: str
    autocomplete: bool = False
    mode: str = "fixed"
    gmv_target: str | None = None
    variant: str = ""  # "answered" dispute, "late_live" cancellation, "countered" (议价)


DEMO_TASKS: tuple[DemoTask, ...] = (
    # demo_merchant × demo_creator: a finished history and one of each running state
    # (no open invitation, so the demo journey can start a new one).
    DemoTask(
        "demo_merchant",
        "demo_creator",
        TaskState.COMPLETED,
        ("DM-001", "DM-003"),
        "3000.00",
        40,
        "双十一家居专场：重点讲解餐具套装的釉面工艺。",
    ),
    DemoTask(
        "demo_merchant",
        "demo_creator",
        TaskState.COMPLETED,
        ("DM-004",),
        "2500.00",
        30,
        "咖啡豆试喝专场。",
        autocomplete=True,
    ),
    DemoTask(
        "demo_merchant",
        "demo_creator",
        TaskState.LIVE_REPORTED,
        ("DM-005", "DM-007"),
        "3000.00",
        8,
        "冬季床品与香薰组合推荐。",
    ),
    DemoTask(
        "demo_merchant",
        "demo_creator",
        TaskState.RECEIVED,
        ("DM-002",),
        "2800.00",
        6,
        "收纳好物周末场。",
    ),
    DemoTask(
        "demo_merchant",
        "demo_creator",
        TaskState.SHIPPED,
        ("DM-008",),
        "3000.00",
        4,
        "零食测评：冻干草莓脆。",
    ),
    DemoTask(
        "demo_merchant",
        "demo_creator",
        TaskState.ACCEPTED,
        ("DM-009", "DM-010"),
        "3200.00",
        2,
        "早餐与保温杯组合。",
    ),
    DemoTask(
        "demo_merchant",
        "demo_creator",
        TaskState.DECLINED,
        ("DM-003",),
        "3000.00",
        20,
        "手冲咖啡器具专场。",
    ),
    DemoTask(
        "demo_merchant",
        "demo_creator",
        TaskState.CANCELLED,
        ("DM-002",),
        "2000.00",
        18,
        "收纳盒早鸟场。",
    ),
    DemoTask(
        "demo_merchant",
        "demo_creator",
        TaskState.EXPIRED,
        ("DM-007",),
        "3000.00",
        10,
        "香薰蜡烛节日礼盒。",
    ),
    # demo_merchant × demo_streamer
    DemoTask(
        "demo_merchant",
        "demo_streamer",
        TaskState.INVITED,
        ("DM-009",),
        "12000.00",
        1,
        "保温杯户外场景带货。",
    ),
    DemoTask(
        "demo_merchant",
        "demo_streamer",
        TaskState.COMPLETED,
        ("DM-001",),
        "12000.00",
        25,
        "星河传媒联合专场。",
    ),
    # demo_tmall × demo_streamer
    DemoTask(
        "demo_tmall",
        "demo_streamer",
        TaskState.COMPLETED,
        ("TM-001", "TM-004"),
        "12000.00",
        35,
        "秋冬户外装备专场。",
    ),
    DemoTask(
        "demo_tmall",
        "demo_streamer",
        TaskState.LIVE_REPORTED,
        ("TM-005",),
        "10000.00",
        9,
        "运动耳机测评。",
    ),
    DemoTask(
        "demo_tmall",
        "demo_streamer",
        TaskState.SHIPPED,
        ("TM-002", "TM-006"),
        "12000.00",
        3,
        "露营装备周末场。",
    ),
    # demo_streamer asked for other terms (议价) on this invitation: demo_tmall answers.
    DemoTask(
        "demo_tmall",
        "demo_streamer",
        TaskState.INVITED,
        ("TM-010",),
        "10000.00",
        1,
        "智能运动手环新品首发。",
        variant="countered",
    ),
    DemoTask(
        "demo_tmall",
        "demo_streamer",
        TaskState.ACCEPTED,
        ("TM-009",),
        "11000.00",
        2,
        "双肩背包开箱。",
    ),
    # demo_tmall × demo_creator
    DemoTask(
        "demo_tmall",
        "demo_creator",
        TaskState.INVITED,
        ("TM-007", "TM-003"),
        "3000.00",
        1,
        "山野红茶与速干 T 恤组合。",
    ),
    DemoTask(
        "demo_tmall",
        "demo_creator",
        TaskState.RECEIVED,
        ("TM-008",),
        "3000.00",
        5,
        "防晒冰袖夏季预热。",
    ),
    DemoTask(
        "demo_tmall",
        "demo_creator",
        TaskState.CANCELLED,
        ("TM-010",),
        "3000.00",
        8,
        "智能手环（邀请阶段取消）。",
    ),
    # Issue 16: disputes, 合作模式, deadlines.
    DemoTask(
        "demo_tmall",
        "demo_creator",
        TaskState.DISPUTED,
        ("TM-002",),
        "2600.00",
        6,
        "露营灯测评（样品与约定不符，争议中）。",
    ),
    DemoTask(
        "demo_merchant",
        "demo_streamer",
        TaskState.DISPUTED,
        ("DM-004",),
        "9000.00",
        9,
        "咖啡豆专场（直播时长争议，已回应）。",
        variant="answered",
    ),
    DemoTask(
        "demo_tmall",
        "demo_streamer",
        TaskState.RESOLVED,
        ("TM-003",),
        "8000.00",
        20,
        "红茶礼盒（争议已裁决）。",
    ),
    DemoTask(
        "demo_merchant",
        "demo_streamer",
        TaskState.COMPLETED,
        ("DM-006",),
        "0.00",
        15,
        "纯佣合作：只按成交付服务费。",
        mode="commission",
    ),
    DemoTask(
        "demo_tmall",
        "demo_creator",
        TaskState.LIVE_REPORTED,
        ("TM-004",),
        "5000.00",
        9,
        "保底合作：目标成交额 ¥50,000。",
        mode="guarantee",
        gmv_target="50000.00",
    ),
    DemoTask(
        "demo_merchant",
        "demo_streamer",
        TaskState.CANCELLED,
        ("DM-008",),
        "6000.00",
        16,
        "零食专场（达人逾期未直播，商家取消）。",
        variant="late_live",
    ),
)

_PATH = {
    TaskState.INVITED: (),
    TaskState.ACCEPTED: ("accept",),
    TaskState.SHIPPED: ("accept", "ship"),
    TaskState.RECEIVED: ("accept", "ship", "receive"),
    TaskState.LIVE_REPORTED: ("accept", "ship", "receive", "report"),
    TaskState.COMPLETED: ("accept", "ship", "receive", "report", "confirm"),
    TaskState.DECLINED: ("decline",),
    TaskState.CANCELLED: ("accept", "cancel"),
    TaskState.EXPIRED: ("expire",),
    TaskState.DISPUTED: ("accept", "ship", "dispute"),
    TaskState.RESOLVED: ("accept", "ship", "receive", "report", "dispute", "lapse"),
}


def _walk(spec: DemoTask, task: Task, merchant: User, creator: User) -> None:
    steps = _PATH[spec.state]
    if spec.state == TaskState.CANCELLED and spec.merchant == "demo_tmall":
        steps = ("cancel",)  # one cancellation before acceptance, nothing escrowed
    if spec.state == TaskState.COMPLETED and spec.autocomplete:
        steps = (*steps[:-1], "autocomplete")
    if spec.variant == "late_live":
        steps = ("accept", "ship", "receive", "cancel_late_live")
    if spec.variant == "answered":
        steps = ("accept", "ship", "receive", "dispute_by_merchant", "answer")
    now = timezone.now()
    for step in steps:
        if step == "accept":
            services.task_accept(task=task, actor=creator)
        elif step == "decline":
            services.task_decline(task=task, actor=creator, reason="档期已满，下次再合作")
        elif step == "cancel":
            services.task_cancel(task=task, actor=merchant, reason="活动计划调整")
        elif step == "ship":
            services.task_ship_sample(
                task=task, actor=merchant, carrier="顺丰速运", tracking_no=f"SF{task.pk:010d}"
            )
        elif step == "receive":
            services.task_confirm_receipt(task=task, actor=creator)
        elif step == "report":
            services.task_report_live(
                task=task,
                actor=creator,
                live_at=timezone.now(),
                replay_url=f"https://live.example.com/replay/{task.pk}",
            )
        elif step == "confirm":
            services.task_confirm_completion(task=task, actor=merchant)
        elif step == "expire":
            services.task_expire(task=task, now=now + timedelta(hours=73))
        elif step == "autocomplete":
            services.task_autocomplete(task=task, now=now + timedelta(days=8))
        elif step == "dispute":
            dispute_services.dispute_open(
                task=task,
                actor=creator,
                reason="sample_mismatch",
                statement="收到的样品颜色与约定不符，无法按原计划直播。",
                links=[f"https://evidence.example.com/{task.pk}/photo"],
            )
        elif step == "dispute_by_merchant":
            dispute_services.dispute_open(
                task=task,
                actor=merchant,
                reason="live_quality",
                statement="直播讲解不到 10 分钟，与约定的 30 分钟不符。",
                links=[f"https://live.example.com/replay/{task.pk}"],
            )
        elif step == "answer":
            dispute_services.dispute_answer(
                task=task, actor=creator, answer="讲解时长 32 分钟，回放第 12 分钟起。"
            )
        elif step == "lapse":
            dispute_services.dispute_lapse(task=task, now=now + timedelta(days=4))
        elif step == "cancel_late_live":
            services.task_cancel_late(
                task=task,
                actor=merchant,
                reason="达人逾期未直播",
                action="cancel_late_live",
                now=task.live_by + timedelta(hours=1),
            )


def _backdate(spec: DemoTask, task: Task) -> None:
    """Spread the task's history over the days since its invitation (steps a day or two apart)."""
    start = timezone.now() - timedelta(days=spec.days_ago, hours=3)
    transitions = list(task.transitions.order_by("at", "pk"))
    at = start
    gaps = {"accept": 0.3, "ship": 1, "receive": 2, "report_live": 1, "confirm_completion": 0.5}
    updates: dict = {"created_at": start}
    _new_ats = []
    for i, t in enumerate(transitions):
        if i:
            if t.action == "expire":
                at = start + timedelta(hours=72, minutes=10)
            elif t.action == "autocomplete":
                at = at + timedelta(days=7, minutes=10)
            else:
                at = at + timedelta(days=gaps.get(t.action, 1))
        TaskTransition.objects.filter(pk=t.pk).update(at=at)
        _new_ats.append(at)
        field = STATE_TIMESTAMP.get(t.to_state)
        if field and i:
            updates[field] = at
        if t.to_state == TaskState.LIVE_REPORTED:
            updates["live_at"] = at - timedelta(hours=2)
    # Timeline events move with the transition they followed.
    moved = [(t.at, new) for t, new in zip(transitions, _new_ats, strict=True)]
    for e in TaskEvent.objects.filter(task=task):
        new_at = next((n for old, n in reversed(moved) if old <= e.at), start)
        TaskEvent.objects.filter(pk=e.pk).update(at=new_at)
    live_day = (updates.get("live_at") or (start + timedelta(days=6))).date()
    if spec.state in (TaskState.INVITED, TaskState.ACCEPTED, TaskState.SHIPPED, TaskState.RECEIVED):
        live_day = timezone.localdate() + timedelta(days=3 + spec.days_ago % 5)
    updates["planned_live_date"] = live_day
    Task.objects.filter(pk=task.pk).update(**updates)


def _counter(task: Task, creator: User) -> None:
    """议价 on an open invitation, a few hours after it arrived (after the backdating)."""
    from cooperation.models import CounterOffer, TaskEventKind
    from cooperation.services.counter_offers import task_counter

    task.refresh_from_db()
    offer = task_counter(
        task=task,
        actor=creator,
        slot_fee=(task.slot_fee * Decimal("0.8")).quantize(Decimal("0.01")),
        mode=task.mode,
        gmv_target=task.gmv_target,
        planned_live_date=task.planned_live_date + timedelta(days=2),
        note="周末档期更合适，坑位费可以让一些。",
    )
    at = task.created_at + timedelta(hours=5)
    Task.objects.filter(pk=task.pk).update(countered_at=at)
    CounterOffer.objects.filter(pk=offer.pk).update(created_at=at)
    TaskEvent.objects.filter(task=task, kind=TaskEventKind.COUNTER_OFFERED).update(at=at)


def seed_tasks(context: dict) -> list[Task]:
    """Demo tasks in every state for the demo merchants and creators. Idempotent."""
    users = context.get("users") or {
        u.username: u for u in User.objects.filter(username__startswith="demo_")
    }
    products = {
        (p.merchant.user.username, p.sku): p
        for p in Product.objects.select_related("merchant__user").filter(
            merchant__user__username__in=["demo_merchant", "demo_tmall"]
        )
    }
    made = []
    # Open invitations last: a pair may have only one, and the others start as one.
    for spec in sorted(DEMO_TASKS, key=lambda s: s.state == TaskState.INVITED):
        merchant, creator = users.get(spec.merchant), users.get(spec.creator)
        picks = [products[(spec.merchant, s)] for s in spec.skus if (spec.merchant, s) in products]
        if merchant is None or creator is None or not picks:
            continue
        # Earlier seeds wrote the notes with a 【演示】 prefix: those tasks count too.
        if Task.objects.filter(
            merchant_id=merchant.pk,
            creator_id=creator.pk,
            note__in=[spec.note, f"【演示】{spec.note}"],
        ).exists():
            continue
        try:
            with transaction.atomic():
                task = services.task_create(
                    actor=merchant,
                    creator=creator.creator,
                    products=picks,
                    slot_fee=Decimal(spec.slot_fee),
                    planned_live_date=timezone.localdate() + timedelta(days=3),
                    note=spec.note,
                    mode=spec.mode,
                    gmv_target=Decimal(spec.gmv_target) if spec.gmv_target else None,
                )
                _walk(spec, task, merchant, creator)
                _backdate(spec, task)
                if spec.variant == "countered":
                    _counter(task, creator)
        except DomainError as exc:
            # A demo party that is not admitted (e.g. edited data): skip, don't break the seed.
            logger.warning("demo task %r skipped: %s", spec.note, exc)
            continue
        made.append(task)
    return made
