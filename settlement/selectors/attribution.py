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
    """The orders that belong to a task and their sums (two queries at most).

    The named orders are read first and enter the second query as ids: each arm of
    its OR is then an index condition (the primary key; the creator's orders of the
    window), where a subquery arm made Postgres filter every order (≈120 ms on the
    1M-order world, each of the two scans the function made; ≈2.5 ms a call now).
    """
    named = set(_named(task_ref).values_list("order_id", flat=True))
    cond = Q(pk__in=named)
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
    rows = list(
        Order.objects.filter(cond)
        .order_by("-paid_at", "-id")
        .only("id", "order_id", "product_sku", "amount", "refunded", "service_fee_rate", "paid_at")
    )
    orders = []
    paid = refunded = fees = ZERO
    for o in rows:
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


def attributed_orders_sql(*, vendor: str, window_hours: int, reference_prefix: str) -> str:
    """A SELECT of ``(task_id, order_id, merchant_id, product_sku, gmv, fee)``: every order
    attributed to a task, set-based, with its actual GMV (paid − refunded) and its fee
    rounded half-up to the fen (positive amounts: ROUND is half-up).

    The caller defines the CTEs ``scored_tasks(task_id, merchant_id, creator_id, live_at)``
    and ``scored_task_skus(task_id, sku)`` first. The rule of :func:`attributed_orders`:
    an order whose ``order.paid`` event names the task belongs to it; an order naming no
    task belongs to a task when it is one of the task's products, by its creator, for its
    merchant, paid within ``window_hours`` from the live start. A named reference is
    ``reference_prefix`` + the task id (the import accepts only the references of
    existing tasks, so every stored one parses).

    The two branches are disjoint (the second keeps only orders naming no task) and each
    gives a (task, order) pair once: an order has one ``order.paid`` event (a second one is
    refused by the import) and a task lists a SKU once (one product per SKU and merchant,
    once per task). So ``UNION ALL``, without the sort or hash of 600k pairs a ``UNION``
    would pay for, and each branch reads its order's columns where it finds the order.
    The second branch joins the tasks to their SKUs first (a fence on PostgreSQL), so the
    planner hashes those ~40k rows and streams the orders past them, instead of hashing
    the million orders on its estimate of a three-column join.
    """
    order = Order._meta.db_table
    event = OrderEvent._meta.db_table
    paid = EventType.ORDER_PAID.value
    digits_from = len(reference_prefix) + 1
    if vendor == "postgresql":
        names = "e.payload ? 'task'"
        named_ref = "e.payload ->> 'task'"
        window_end = f"ts.live_at + interval '{int(window_hours)} hours'"
        fence = "OFFSET 0"
    else:
        names = "json_extract(e.payload, '$.task') IS NOT NULL"
        named_ref = "json_extract(e.payload, '$.task')"
        window_end = f"datetime(ts.live_at, '+{int(window_hours)} hours')"
        fence = ""
    return f"""
        SELECT st.task_id, o.id AS order_id, o.merchant_id, o.product_sku,
               o.amount - o.refunded AS gmv,
               ROUND((o.amount - o.refunded) * o.service_fee_rate, 2) AS fee
        FROM scored_tasks st
        JOIN {event} e ON e.type = '{paid}' AND {names}
         AND CAST(SUBSTR({named_ref}, {digits_from}) AS BIGINT) = st.task_id
        JOIN {order} o ON o.id = e.order_id
        UNION ALL
        SELECT ts.task_id, o2.id, o2.merchant_id, o2.product_sku,
               o2.amount - o2.refunded,
               ROUND((o2.amount - o2.refunded) * o2.service_fee_rate, 2)
        FROM (
            SELECT st.task_id, st.creator_id, st.merchant_id, st.live_at, s.sku
            FROM scored_tasks st JOIN scored_task_skus s ON s.task_id = st.task_id
            WHERE st.live_at IS NOT NULL {fence}
        ) ts
        JOIN {order} o2
          ON o2.creator_id = ts.creator_id AND o2.merchant_id = ts.merchant_id
         AND o2.product_sku = ts.sku
         AND o2.paid_at >= ts.live_at AND o2.paid_at < {window_end}
        WHERE NOT EXISTS (
            SELECT 1 FROM {event} e WHERE e.order_id = o2.id AND e.type = '{paid}' AND {names}
        )
    """  # noqa: S608 - table names and constants only


def attributed_sums_sql(*, vendor: str, window_hours: int, reference_prefix: str) -> str:
    """A SELECT of ``(task_id, gmv, fees, orders)``: every task's attributed actual GMV, fees
    and order count, set-based.

    For a caller's set-based recompute (scorecards). The caller defines two CTEs
    first: ``scored_tasks(task_id, merchant_id, creator_id, live_at)``
    and ``scored_task_skus(task_id, sku)``. The orders are :func:`attributed_orders_sql`
    (the rule of :func:`attributed_orders`). GMV = paid − refunded; each order's fee
    is rounded half-up to the fen (positive amounts: ROUND is half-up).
    """
    rows = attributed_orders_sql(
        vendor=vendor, window_hours=window_hours, reference_prefix=reference_prefix
    )
    return f"""
    SELECT a.task_id, SUM(a.gmv) AS gmv, SUM(a.fee) AS fees, COUNT(*) AS orders
    FROM ({rows}) a
    GROUP BY a.task_id
    """  # noqa: S608 - table names and constants only
