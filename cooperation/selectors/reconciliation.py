"""Rate reconciliation (对账): orders whose rate differs from the plan in force at payment.

``order.paid`` carries the rate (SPEC §6) and is never rejected for it; this
report lists, for operators, each order of a product with promotion plans whose
rate is not the rate that applied to its creator when the consumer paid — the
best plan open to that creator at that moment (``selectors.plans``), else the
product's rate. Six queries for the whole report: the planned products, their
orders (settlement), the plans with their rates and approved applications, the
creators' nicknames.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Prefetch
from django.utils import timezone

from admission.models import Creator
from cooperation.models import (
    ApplicationStatus,
    PlanApplication,
    PlanKind,
    PlanRate,
    Product,
    PromotionPlan,
)
from settlement.selectors import figures

RECONCILE_DAYS = 30
RECONCILE_LIMIT = 2000


@dataclass(frozen=True)
class Mismatch:
    order_id: str
    product: Product
    creator_id: int
    creator_name: str
    paid_at: datetime
    carried: Decimal  # the rate the order event carried
    expected: Decimal  # the rate in force for its creator at payment
    source: str  # the plan kind behind ``expected``, "" for the product's own rate


def plan_rate_at(plan: PromotionPlan, at: datetime) -> Decimal | None:
    """The plan's rate in force at ``at`` (its rates prefetched, newest first)."""
    for row in plan.rates.all():
        if row.effective_from <= at:
            return row.rate
    return None


def applies_at(plan: PromotionPlan, creator_id: int, at: datetime) -> bool:
    """Whether ``plan`` applied to the creator at ``at`` (the rule of ``plans.open_to_q``)."""
    if plan.created_at > at or (plan.ended_at is not None and plan.ended_at <= at):
        return False
    if plan.kind == PlanKind.OPEN:
        return True
    if plan.kind == PlanKind.EXCLUSIVE:
        return plan.creator_id == creator_id
    return any(
        a.creator_id == creator_id
        and a.decided_at is not None
        and a.decided_at <= at
        and (a.removed_at is None or a.removed_at > at)
        for a in plan.approved
    )


def expected_rate(product: Product, plans, creator_id: int, at: datetime) -> tuple[Decimal, str]:
    best: tuple[Decimal, str] | None = None
    for plan in plans:
        if not applies_at(plan, creator_id, at):
            continue
        rate = plan_rate_at(plan, at)
        if rate is not None and (best is None or rate > best[0]):
            best = (rate, plan.kind)
    return best or (product.rate_in_force(at), "")


def rate_mismatches(
    *, since: datetime | None = None, limit: int = RECONCILE_LIMIT
) -> list[Mismatch]:
    """Orders paid since ``since`` (default 30 days) whose rate is not the one in force."""
    since = since or timezone.now() - timedelta(days=RECONCILE_DAYS)
    products = {
        (p.merchant_id, p.sku): p
        for p in Product.objects.filter(plans__isnull=False).distinct().select_related("merchant")
    }
    orders = figures.orders_of_products(pairs=set(products), since=since, limit=limit)
    plans_by_product = defaultdict(list)
    for plan in PromotionPlan.objects.filter(
        product__in=[p.pk for p in products.values()]
    ).prefetch_related(
        Prefetch("rates", queryset=PlanRate.objects.order_by("-effective_from")),
        Prefetch(
            "applications",
            queryset=PlanApplication.objects.filter(status=ApplicationStatus.APPROVED),
            to_attr="approved",
        ),
    ):
        plans_by_product[plan.product_id].append(plan)
    names = dict(
        Creator.objects.filter(pk__in={row["creator_id"] for row in orders}).values_list(
            "pk", "nickname"
        )
    )
    out = []
    for row in orders:
        product = products[(row["merchant_id"], row["product_sku"])]
        expected, source = expected_rate(
            product, plans_by_product[product.pk], row["creator_id"], row["paid_at"]
        )
        if row["service_fee_rate"] != expected:
            out.append(
                Mismatch(
                    order_id=row["order_id"],
                    product=product,
                    creator_id=row["creator_id"],
                    creator_name=names.get(row["creator_id"], ""),
                    paid_at=row["paid_at"],
                    carried=row["service_fee_rate"],
                    expected=expected,
                    source=source,
                )
            )
    return out
