"""Factories and helpers for cooperation tasks.

``admit(user)`` signs the current authorization agreement for a persona, which
(with the factories' verified defaults) makes it admitted. ``make_task(...)``
builds a task through the real services, walking it to the wanted state, so the
ledger, transitions and counters are exactly what the product would produce.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from admission.models import User
from cooperation.models import Product, Task, TaskState
from cooperation.services import disputes as dispute_services
from cooperation.services import tasks as services
from tests.cooperation.factories import ProductFactory as BaseProductFactory
from tests.cooperation.factories import admit  # noqa: F401 - re-exported for task tests


class ProductFactory(BaseProductFactory):
    """A product of a given merchant (pass merchant=<Merchant>), priced ¥99.00."""

    merchant = None
    sku = factory.Sequence(lambda n: f"SKU-T{n:04d}")
    title = factory.Sequence(lambda n: f"测试商品{n}")
    price = Decimal("99.00")


# The actions that walk a task from 待达人确认 to each state (creator c, merchant m).
PATHS: dict[str, list[str]] = {
    TaskState.INVITED: [],
    TaskState.ACCEPTED: ["accept"],
    TaskState.SHIPPED: ["accept", "ship"],
    TaskState.RECEIVED: ["accept", "ship", "receive"],
    TaskState.LIVE_REPORTED: ["accept", "ship", "receive", "report"],
    TaskState.DISPUTED: ["accept", "ship", "dispute"],
    TaskState.RESOLVED: ["accept", "ship", "dispute", "lapse"],
    TaskState.COMPLETED: ["accept", "ship", "receive", "report", "confirm"],
    TaskState.DECLINED: ["decline"],
    TaskState.CANCELLED: ["accept", "cancel"],
    TaskState.EXPIRED: ["expire"],
}


def make_task(
    *,
    merchant: User,
    creator: User,
    state: str = TaskState.INVITED,
    products: list[Product] | None = None,
    slot_fee: Decimal = Decimal("1000.00"),
    cancel_before_accept: bool = False,
    **terms,
) -> Task:
    """A task between the two users in ``state``, made through the services."""
    admit(merchant, creator)
    if products is None:
        products = [ProductFactory(merchant=merchant.merchant)]
    task = services.task_create(
        actor=merchant,
        creator=creator.creator,
        products=products,
        slot_fee=slot_fee,
        planned_live_date=timezone.localdate() + timedelta(days=7),
        note="测试合作",
        **terms,
    )
    path = PATHS[state]
    if state == TaskState.CANCELLED and cancel_before_accept:
        path = ["cancel"]
    for step in path:
        if step == "accept":
            services.task_accept(task=task, actor=creator)
        elif step == "decline":
            services.task_decline(task=task, actor=creator, reason="档期已满")
        elif step == "cancel":
            services.task_cancel(task=task, actor=merchant, reason="计划调整")
        elif step == "ship":
            services.task_ship_sample(
                task=task, actor=merchant, carrier="顺丰速运", tracking_no="SF1234567890"
            )
        elif step == "receive":
            services.task_confirm_receipt(task=task, actor=creator)
        elif step == "report":
            services.task_report_live(
                task=task,
                actor=creator,
                live_at=timezone.now(),
                replay_url="https://live.example.com/replay/1",
            )
        elif step == "confirm":
            services.task_confirm_completion(task=task, actor=merchant)
        elif step == "dispute":
            dispute_services.dispute_open(
                task=task,
                actor=creator,
                reason="sample_mismatch",
                statement="样品与约定不符",
                links=["https://evidence.example.com/1"],
            )
        elif step == "lapse":
            dispute_services.dispute_lapse(task=task, now=timezone.now() + timedelta(days=4))
        elif step == "expire":
            services.task_expire(task=task, now=timezone.now() + timedelta(hours=73))
    task.refresh_from_db()
    assert task.state == state, (task.state, state)
    return task
