"""What cooperation reads about a task's money: its attributed orders and its escrow.

Attribution (SPEC §7): an ``order.paid`` event may name a task
(``"task": "HW-T-…"``); such an order belongs to that task. Without one, an order
of one of the task's products, by the task's creator, for the task's merchant,
paid within the window from the reported live start, belongs to it. Settlement
knows nothing of tasks: the caller passes the reference, the parties, the SKUs
and the window. Attribution never changes the commission rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q

from hotwave.money import ZERO, quantize
from settlement.models import EscrowHold, EscrowStatus, EventType, Order, OrderEvent

# The most orders one task page lists (the figures count them all).
ATTRIBUTED_LIST_LIMIT = 200


@dataclass(frozen=True)
class AttributedOrder:
    order_id: str
    sku: str
    amount: Decimal
    refunded: Decimal
    fee: Decimal  # promotion service fee on the actual price (SPEC §4)
    paid_at: datetime
    named: bool  # the event named the task

    @property
    def price(self) -> Decimal:
        return self.amount - self.refunded


@dataclass(frozen=True)
class Attribution:
    orders: list[AttributedOrder]
    count: int
    paid: Decimal
    refunded: Decimal
    fees: Decimal

    @property
    def gmv(self) -> Decimal:
        """Attributed actual GMV: paid − refunded."""
        return self.paid - self.refunded


def _named(ref: str):
    return OrderEvent.objects.filter(
        type=EventType.ORDER_PAID, payload__has_key="task", payload__task=ref
    ).values("order_id")


def attributed_orders(
    *,
    task_ref: str,
    merchant_id: int,
    creator_id: int,
    skus: Iterable[str],
    since: datetime | None,
    until: datetime | None,
) -> Attribution:
    """The orders that belong to a task and their sums (two queries at most)."""
    cond = Q(pk__in=_named(task_ref))
    if since is not None and until is not None:
        names_a_task = OrderEvent.objects.filter(
            order=OuterRef("pk"), type=EventType.ORDER_PAID, payload__has_key="task"
        )
        cond |= Q(
            merchant_id=merchant_id,
            creator_id=creator_id,
            product_sku__in=list(skus),
            paid_at__gte=since,
            paid_at__lt=until,
        ) & ~Exists(names_a_task)
    named = set(_named(task_ref).values_list("order_id", flat=True))
    rows = Order.objects.filter(cond).order_by("-paid_at", "-id")
    orders = []
    paid = refunded = fees = ZERO
    for o in rows.only(
        "id", "order_id", "product_sku", "amount", "refunded", "service_fee_rate", "paid_at"
    ):
        fee = quantize((o.amount - o.refunded) * o.service_fee_rate)
        paid += o.amount
        refunded += o.refunded
        fees += fee
        if len(orders) < ATTRIBUTED_LIST_LIMIT:
            orders.append(
                AttributedOrder(
                    o.order_id, o.product_sku, o.amount, o.refunded, fee, o.paid_at, o.pk in named
                )
            )
    return Attribution(orders, len(rows), paid, refunded, fees)


@dataclass(frozen=True)
class EscrowState:
    key: str
    amount: Decimal
    status: str
    released: Decimal  # to the creator's side
    returned: Decimal  # back to the merchant

    @property
    def held(self) -> Decimal:
        return self.amount if self.status == EscrowStatus.HELD else ZERO


def escrow_states(keys: Iterable[str]) -> dict[str, EscrowState]:
    """{key: EscrowState} of the slot-fee holds under ``keys`` (missing keys: never held)."""
    result = {}
    for h in EscrowHold.objects.filter(key__in=list(keys)).only(
        "key", "amount", "status", "released_amount"
    ):
        released = h.released_amount if h.released_amount is not None else ZERO
        if h.status == EscrowStatus.RELEASED and h.released_amount is None:
            released = h.amount
        returned = h.amount - released if h.status != EscrowStatus.HELD else ZERO
        result[h.key] = EscrowState(h.key, h.amount, h.status, released, returned)
    return result


def held_escrows(prefix: str) -> dict[str, Decimal]:
    """{key: amount} of every hold still held whose key starts with ``prefix``."""
    return dict(
        EscrowHold.objects.filter(status=EscrowStatus.HELD, key__startswith=prefix).values_list(
            "key", "amount"
        )
    )
