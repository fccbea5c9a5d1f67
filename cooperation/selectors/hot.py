"""热销商品 (hot products) for creators: ranked by paid orders in the last 7 days.

Sales come from settlement's orders, matched to products by (merchant, SKU).
Only promotable products appear: active, and not restricted without a
permission. Each row carries the creator's estimated earnings per unit under
its own current rule (settlement.commission), computed from one binding lookup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.core.paginator import Page
from django.db.models import Count, Exists, F, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from admission.models import Creator, User
from cooperation.models import CartItem, Product
from cooperation.selectors.access import creator_of
from cooperation.selectors.products import promotable_q
from settlement.commission import binding_in_force, estimate_per_unit
from settlement.models import Order

HOT_WINDOW = timedelta(days=7)


def paid_orders_subquery(*, since) -> Subquery:
    """Orders paid since ``since`` for the outer product's (merchant, SKU), not fully refunded."""
    orders = (
        Order.objects.filter(
            merchant_id=OuterRef("merchant_id"),
            product_sku=OuterRef("sku"),
            paid_at__gte=since,
            refunded__lt=F("amount"),
        )
        .order_by()
        .values("merchant_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(orders, output_field=IntegerField()), Value(0))


def hot_products(*, creator: Creator, now=None) -> QuerySet[Product]:
    """Promotable products with at least one paid order in the last 7 days, best sellers first.

    Annotates ``paid_orders`` and ``in_cart`` (already in this creator's 带货车).
    """
    now = now or timezone.now()
    return (
        Product.objects.filter(promotable_q())
        .annotate(paid_orders=paid_orders_subquery(since=now - HOT_WINDOW))
        .filter(paid_orders__gt=0)
        .annotate(
            in_cart=Exists(CartItem.objects.filter(creator=creator, product_id=OuterRef("pk")))
        )
        .select_related("merchant", "category")
        .order_by("-paid_orders", "-created_at", "-pk")
    )


def hot_products_for(*, actor: User, now=None) -> QuerySet[Product]:
    """Hot products for the actor, a creator (Http404 for any other role)."""
    return hot_products(creator=creator_of(actor), now=now)


@dataclass(frozen=True)
class Estimate:
    """A creator's estimated earnings per unit of a product, and the rule behind it."""

    per_unit: Decimal
    fee: Decimal
    rule: str  # "agency" | "individual"
    agency_share: Decimal | None


class EarningsEstimator:
    """Estimated per-unit earnings for one creator: one binding lookup for a whole page."""

    def __init__(self, creator: Creator, *, at=None):
        self.creator = creator
        self.binding = binding_in_force(creator, at)

    @property
    def is_bound(self) -> bool:
        return self.binding is not None

    @property
    def agency_name(self) -> str:
        return self.binding.agency.name if self.binding else ""

    def estimate(self, product: Product) -> Estimate:
        split = estimate_per_unit(
            self.creator,
            price=product.price,
            rate=product.service_fee_rate,
            binding=self.binding,
        )
        return Estimate(split.creator, split.fee, split.rule, split.agency_share)

    def attach(self, products) -> list:
        """Set ``.estimate`` on each product (a page or a list) and return them as a list."""
        rows = list(products.object_list if isinstance(products, Page) else products)
        for product in rows:
            product.estimate = self.estimate(product)
        return rows
