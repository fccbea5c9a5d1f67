"""What settlement's neighbours read about money: cooperation and the workbench.

Orders, bindings and the ledger are settlement's tables. Other apps read them
only through these functions (and :mod:`settlement.selectors.bindings`), so the
commission rule and the tables' shape live in one place. Each function runs
one query (or one cached query) whatever the data size.

The fee expressions are the SPEC §4 rule written for the database, from
``settlement.commission``'s constants, *before* the per-order rounding that
``commission.split`` applies: a sum of them is an estimate (what the workbench
shows as 预估), never what the ledger posts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Max,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncDate

from hotwave.money import ZERO, quantize
from hotwave.readcache import get_or_compute
from settlement.commission import AGENCY, BOUND_PLATFORM_RATE, INDIVIDUAL_PLATFORM_RATE
from settlement.models import (
    EscrowHold,
    EscrowStatus,
    JournalKind,
    Order,
    OrderStatus,
    Posting,
)
from settlement.services.ledger import ROLE_KIND, SHANGHAI, day_start

PARTIES = ("merchant", "creator", "agency")
# Sums of unrounded fee parts: wide enough for any number of orders.
MONEY = DecimalField(max_digits=20, decimal_places=6)


def _party_field(party: str) -> str:
    if party not in PARTIES:
        raise ValueError(f"party must be one of {PARTIES}, not {party!r}")
    return f"{party}_id"


# --- The rule as expressions over an order --------------------------------------------


def order_price():
    """An order's current price: paid − refunded."""
    return ExpressionWrapper(F("amount") - F("refunded"), output_field=MONEY)


def order_fee():
    """The promotion service fee on an order's current price (before rounding)."""
    return ExpressionWrapper(
        (F("amount") - F("refunded")) * F("service_fee_rate"), output_field=MONEY
    )


def fee_part(party: str):
    """The party's part of an order's fee under the order's frozen rule (before rounding).

    merchant: the whole fee (it pays it); creator: 70% × (1 − agency share) when
    bound, else 60%; agency: 70% × its share (NULL, so nothing, on individual orders).
    Raises ValueError for any other party.
    """
    if party == "merchant":
        return order_fee()
    if party == "creator":
        return Case(
            When(
                rule=AGENCY,
                then=order_fee()
                * (
                    Value(Decimal(1) - BOUND_PLATFORM_RATE)
                    * (Value(Decimal(1)) - F("agency_share"))
                ),
            ),
            default=order_fee() * Value(Decimal(1) - INDIVIDUAL_PLATFORM_RATE),
            output_field=MONEY,
        )
    if party == "agency":
        return ExpressionWrapper(
            order_fee() * Value(Decimal(1) - BOUND_PLATFORM_RATE) * F("agency_share"),
            output_field=MONEY,
        )
    raise ValueError(f"party must be one of {PARTIES}, not {party!r}")


# --- Orders ---------------------------------------------------------------------------


def daily_order_sums(
    *, party: str, party_id: int, since: date, until: date | None = None, **sums
) -> list[dict]:
    """Aggregates ``sums`` (e.g. ``sales=Sum(order_price())``) of the party's orders per
    Asia/Shanghai day of payment, from ``since`` up to (not including) ``until``.

    One grouped query; rows are ``{"day": date, **sums}`` in day order, days without
    orders absent.
    """
    qs = Order.objects.filter(**{_party_field(party): party_id}, paid_at__gte=day_start(since))
    if until is not None:
        qs = qs.filter(paid_at__lt=day_start(until))
    return list(
        qs.annotate(day=TruncDate("paid_at", tzinfo=SHANGHAI))
        .values("day")
        .annotate(**sums)
        .order_by("day")
    )


@dataclass(frozen=True)
class OrderTotals:
    orders: int
    sales: Decimal  # paid − refunded


def order_totals(*, party: str, party_id: int, paid_since: datetime) -> OrderTotals:
    """How many orders the party was in since ``paid_since`` and their current price
    (one query)."""
    row = Order.objects.filter(
        **{_party_field(party): party_id}, paid_at__gte=paid_since
    ).aggregate(orders=Count("pk"), sales=Sum(F("amount") - F("refunded")))
    return OrderTotals(orders=row["orders"] or 0, sales=row["sales"] or ZERO)


def orders_of(*, party: str, party_id: int, paid_since: datetime) -> QuerySet:
    """The party's orders paid since ``paid_since`` (a queryset to group further: cooperation
    groups a creator's orders by its products' categories). Raises ValueError for a bad party."""
    return Order.objects.filter(**{_party_field(party): party_id}, paid_at__gte=paid_since)


def has_settled_orders(*, party: str, party_id: int) -> bool:
    """Whether any of the party's orders has been settled yet (one query)."""
    return Order.objects.filter(
        **{_party_field(party): party_id}, status=OrderStatus.SETTLED
    ).exists()


def paid_orders_by_product(*, since: datetime) -> QuerySet:
    """Orders paid since ``since`` and not fully refunded, counted per (merchant, SKU).

    Rows ``{"merchant_id", "product_sku", "paid_orders"}``, one grouped query; cooperation
    matches them to its products (correlate with ``OuterRef("merchant_id")`` and
    ``OuterRef("product_sku")``).
    """
    return (
        Order.objects.filter(paid_at__gte=since, refunded__lt=F("amount"))
        .values("merchant_id", "product_sku")
        .annotate(paid_orders=Count("*"))
        .order_by()
    )


def orders_of_products(*, pairs: set[tuple[int, str]], since: datetime, limit: int) -> list[dict]:
    """Orders paid since ``since`` for the (merchant id, SKU) ``pairs``, newest first.

    Rows ``{"order_id", "merchant_id", "creator_id", "product_sku", "service_fee_rate",
    "paid_at"}`` (at most ``limit``), one query: cooperation's rate reconciliation
    compares each order's rate with the promotion plan in force at payment.
    """
    if not pairs:
        return []
    rows = (
        Order.objects.filter(
            paid_at__gte=since,
            merchant_id__in={m for m, _sku in pairs},
            product_sku__in={sku for _m, sku in pairs},
        )
        .order_by("-paid_at", "-pk")
        .values(
            "order_id", "merchant_id", "creator_id", "product_sku", "service_fee_rate", "paid_at"
        )
    )
    out = []
    for row in rows.iterator(chunk_size=2000):
        if (row["merchant_id"], row["product_sku"]) in pairs:
            out.append(row)
            if len(out) >= limit:
                break
    return out


# --- Ledger and escrow -----------------------------------------------------------------

LEDGER_CACHE_SECONDS = 3600
# What a party has earned on the ledger: fees settled, clawed back, and slot fees received.
EARNED_KINDS = (JournalKind.SETTLEMENT, JournalKind.CLAWBACK, JournalKind.ESCROW_RELEASE)


def _q(v) -> Decimal:
    return quantize(Decimal(v or 0))


def ledger_sums(*, party: str, user_id: int, since: date) -> dict[str, Decimal]:
    """The party's earnings posted on business days since ``since`` (``EARNED_KINDS``)
    and its balance (every posting), as ``{"earned", "balance"}``.

    One query once warm: the sums are cached under the account's ledger signature
    (its postings' count and latest journal, like ``funds.ledger_signature``), which
    changes with every committed posting. Two when the account has new postings.
    """
    postings = Posting.objects.filter(account__user_id=user_id, account__kind=ROLE_KIND[party])
    sig = postings.aggregate(n=Count("*"), last=Max("journal"))

    def sums() -> dict[str, Decimal]:
        agg = postings.aggregate(
            earned=Sum(
                "amount",
                filter=Q(journal__kind__in=EARNED_KINDS, journal__business_date__gte=since),
            ),
            balance=Sum("amount"),
        )
        return {"earned": _q(agg["earned"]), "balance": _q(agg["balance"])}

    if not sig["n"]:
        return {"earned": _q(None), "balance": _q(None)}
    key = f"settlement:ledger-sums:{party}:{user_id}:{sig['n']}:{sig['last']}:{since}"
    return get_or_compute(key, sums, LEDGER_CACHE_SECONDS)


def released_slot_fees(*, merchant_id: int, since: date) -> Decimal:
    """Slot fees the merchant paid out of escrow (released to creators) since the start
    of ``since`` (one query)."""
    total = EscrowHold.objects.filter(
        merchant_id=merchant_id, status=EscrowStatus.RELEASED, closed_at__gte=day_start(since)
    ).aggregate(s=Sum("amount"))["s"]
    return _q(total)
