"""Writing a decided chunk of order events: new orders, changed orders, event rows.

On Postgres the rows go out as COPY text built here (``pg_text``): two fixed
shapes of row whose values are already strings, Decimals, datetimes or None,
formatted straight into one block per table; changed orders are one
``UPDATE … FROM unnest(…)``. Elsewhere ``bulk.insert_rows`` and
``bulk_update`` write the same rows. Either way the writes run inside the
chunk's transaction, and every constraint, index and trigger of the tables
applies as for any INSERT (a refused row rolls the chunk back: ``apply``).
"""

from __future__ import annotations

import json

from django.db import connection
from django.utils import timezone

from hotwave.money import ZERO
from settlement.models import Order, OrderEvent
from settlement.services.bulk import insert_rows, reserve_ids
from settlement.services.events.decide import ChunkDecision, StoredOrder
from settlement.services.events.parse import Parsed
from settlement.services.events.pg_text import copy_text, esc

COPY_NULL = "\\N"  # NULL in COPY text


def payload_text(p: Parsed) -> str:
    """The event as JSON text: the line as received when there is one."""
    if p.raw is not None:
        return p.raw
    return json.dumps(p.payload, ensure_ascii=False)


ORDER_COLUMNS = (
    "order_id",
    "merchant_id",
    "creator_id",
    "product_sku",
    "amount",
    "refunded",
    "service_fee_rate",
    "paid_at",
    "confirmed_at",
    "status",
    "rule",
    "binding_id",
    "agency_id",
    "agency_share",
    "settled_refunded",
    "created_at",
)
EVENT_COLUMNS = (
    "key",
    "type",
    "order_id",
    "binding_id",
    "amount",
    "occurred_at",
    "payload",
    "source",
    "received_at",
)


def update_orders(orders: list[StoredOrder]) -> None:
    """Store the new confirmed time, status and refunded amount of stored orders."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE settlement_order o SET confirmed_at = v.c, status = v.s, refunded = v.r "
                "FROM unnest(%s::bigint[], %s::timestamptz[], %s::text[], %s::numeric[]) "
                "AS v(id, c, s, r) WHERE o.id = v.id",
                [
                    [o.pk for o in orders],
                    [o.confirmed_at for o in orders],
                    [o.status for o in orders],
                    [o.refunded for o in orders],
                ],
            )
        return
    Order.objects.bulk_update(
        [
            Order(pk=o.pk, confirmed_at=o.confirmed_at, status=o.status, refunded=o.refunded)
            for o in orders
        ],
        ["confirmed_at", "status", "refunded"],
        batch_size=500,
    )


def write_chunk(decision: ChunkDecision, *, source: str) -> None:
    """Store what ``decision`` accepted, in the caller's transaction."""
    if connection.vendor == "postgresql":
        write_copy(decision, source=source)
    else:
        write_rows(decision, source=source)


def write_rows(decision: ChunkDecision, *, source: str) -> None:
    """Any database: ``bulk.insert_rows`` (COPY via psycopg on Postgres, else bulk_create)."""
    now = timezone.now()
    # On Postgres the line's own JSON text goes into the jsonb column as it came.
    pg = connection.vendor == "postgresql"

    def payload(p: Parsed):
        return p.raw if pg and p.raw is not None else p.payload

    new_orders = decision.new_orders
    if new_orders:
        ids = insert_rows(
            Order,
            ORDER_COLUMNS,
            [
                (
                    o.order_id,
                    o.merchant_id,
                    o.creator_id,
                    o.product_sku,
                    o.amount,
                    o.refunded,
                    o.service_fee_rate,
                    o.paid_at,
                    o.confirmed_at,
                    o.status,
                    o.rule,
                    o.binding_id,
                    o.agency_id,
                    o.agency_share,
                    ZERO,
                    now,
                )
                for o in new_orders
            ],
            with_ids=True,
        )
        for o, pk in zip(new_orders, ids, strict=True):
            o.pk = pk
    if decision.changed_orders:
        update_orders(list(decision.changed_orders.values()))
    if decision.accepted:
        insert_rows(
            OrderEvent,
            EVENT_COLUMNS,
            [
                (p.key, p.type, o.pk, None, p.amount, p.at, payload(p), source, now)
                for p, o in decision.accepted
            ],
            with_ids=False,
        )


def write_copy(decision: ChunkDecision, *, source: str) -> None:
    """Postgres: the same rows as ``write_rows`` in COPY text (see ``pg_text``)."""
    now = timezone.now().isoformat()
    new_orders = decision.new_orders
    null = COPY_NULL
    if new_orders:
        for o, pk in zip(new_orders, reserve_ids(Order, len(new_orders)), strict=True):
            o.pk = pk
        copy_text(
            Order._meta.db_table,
            ("id", *ORDER_COLUMNS),
            [
                f"{o.pk}\t{esc(o.order_id)}\t{o.merchant_id}\t{o.creator_id}\t"
                f"{esc(o.product_sku)}\t{o.amount}\t{o.refunded}\t{o.service_fee_rate}\t"
                f"{o.paid_at.isoformat()}\t"
                f"{null if o.confirmed_at is None else o.confirmed_at.isoformat()}\t"
                f"{o.status}\t{o.rule}\t{null if o.binding_id is None else o.binding_id}\t"
                f"{null if o.agency_id is None else o.agency_id}\t"
                f"{null if o.agency_share is None else o.agency_share}\t0.00\t{now}\n"
                for o in new_orders
            ],
        )
    if decision.changed_orders:
        update_orders(list(decision.changed_orders.values()))
    if decision.accepted:
        # The line's own JSON text goes into the jsonb column as it came.
        source = str(source)
        copy_text(
            OrderEvent._meta.db_table,
            EVENT_COLUMNS,
            [
                f"{p.key}\t{p.type}\t{o.pk}\t\\N\t{null if p.amount is None else p.amount}\t"
                f"{p.iso or p.at.isoformat()}\t{esc(payload_text(p))}\t{source}\t{now}\n"
                for p, o in decision.accepted
            ],
        )
