"""热销商品 (hot products) for creators: ranked by paid orders in the last 7 days.

Sales come from settlement's orders (``settlement.selectors.figures``), matched
to products by (merchant, SKU): one aggregate over the window's orders ranks the
best sellers, cached for five minutes under one key for every creator
(:func:`hot_ranking`).
Only promotable products appear: active, and not restricted without a
permission. Each row carries the creator's estimated earnings per unit under
its own current rule (settlement.commission), computed from one binding lookup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.core.paginator import Page
from django.db import connection
from django.db.models import Case, Exists, IntegerField, OuterRef, QuerySet, Value, When
from django.utils import timezone

from admission.models import Creator, User
from cooperation.models import CartItem, Product, ProductStatus, first_thumb
from cooperation.selectors.access import creator_of
from cooperation.selectors.plans import with_best_rate
from cooperation.selectors.products import promotable_q
from hotwave.readcache import forget, get_or_compute
from settlement.commission import estimate_per_unit
from settlement.selectors import binding_in_force, figures

HOT_WINDOW = timedelta(days=7)
# The ranking is the same for every creator: computed once per HOT_CACHE_SECONDS
# and cached under one key; only ``in_cart`` and the estimate are per creator.
HOT_RANKED = 100  # best sellers kept (5 pages of 20; the ordering CASE grows with it)
HOT_CACHE_SECONDS = 300
HOT_CACHE_KEY = "cooperation:hot-ranking:v1"


# Settlement's paid orders per (merchant, SKU) joined to the active products they name.
# A join with the grouped rows as a derived table: correlated subqueries per group
# (the ORM's only way to match on two columns without a foreign key) were 8–12×
# slower on the benchmark world (1,000 products, 20,000 orders).
_RANKING_SQL = """
SELECT p.id, r.paid_orders
FROM ({sales}) r
JOIN {product} p ON p.merchant_id = r.merchant_id AND p.sku = r.product_sku
WHERE p.status = %s
ORDER BY r.paid_orders DESC, p.created_at DESC, p.id DESC
LIMIT %s
"""


def rank_hot_products(*, since, limit: int | None = None) -> list[tuple[int, int]]:
    """``(product id, paid orders)`` of the ``limit`` (default HOT_RANKED) best-selling
    active products since ``since``, most orders first (then newest product).

    One query: settlement's paid orders counted per (merchant, SKU)
    (``figures.paid_orders_by_product``, its SQL as a derived table) matched to the
    active products by (merchant, SKU), whatever the number of products.
    """
    sales, sales_params = figures.paid_orders_by_product(since=since).query.sql_with_params()
    sql = _RANKING_SQL.format(
        sales=sales, product=connection.ops.quote_name(Product._meta.db_table)
    )
    params = [*sales_params, ProductStatus.ACTIVE, limit or HOT_RANKED]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(int(pk), int(n)) for pk, n in cursor.fetchall()]


def hot_ranking(*, now=None) -> list[tuple[int, int]]:
    """The current ranking: cached for HOT_CACHE_SECONDS (one key for all creators).

    With an explicit ``now`` it is computed for that moment and not cached.
    """
    if now is not None:
        return rank_hot_products(since=now - HOT_WINDOW)
    ranking = get_or_compute(
        HOT_CACHE_KEY,
        lambda: rank_hot_products(since=timezone.now() - HOT_WINDOW),
        HOT_CACHE_SECONDS,
    )
    return [tuple(row) for row in ranking]


def forget_hot_ranking() -> None:
    """Drop the cached ranking: the next request ranks again."""
    forget(HOT_CACHE_KEY)


def hot_products(*, creator: Creator, now=None, head: int | None = None) -> QuerySet[Product]:
    """Promotable products among the best sellers of the last 7 days, best sellers first.

    Annotates ``paid_orders``, ``in_cart`` (already in this creator's 带货车),
    ``thumb_name`` (the cover image's thumbnail, for ``{% product_thumb %}``) and the
    rate that applies to the creator (``best_rate``, ``best_plan_kind``,
    ``rate_cut_pending``: cooperation.selectors.plans). The
    ranking comes from :func:`hot_ranking` (cached); whether a product may be promoted
    is checked on every request.

    ``head``: only the ranking's first ``head`` products, for a section that shows a
    few. Each ranked product is a ``WHEN`` of the sort key and an item of the ``IN``
    list, and building and compiling those for the whole ranking (HOT_RANKED) cost more
    Python than PostgreSQL needs to run the statement.
    """
    ranking = hot_ranking(now=now)
    if head is not None:
        ranking = ranking[:head]
    paid_orders = Case(
        *[When(pk=pk, then=Value(n)) for pk, n in ranking],
        default=Value(0),
        output_field=IntegerField(),
    )
    qs = (
        Product.objects.filter(pk__in=[pk for pk, _ in ranking])
        .filter(promotable_q())
        .annotate(
            paid_orders=paid_orders,
            in_cart=Exists(CartItem.objects.filter(creator=creator, product_id=OuterRef("pk"))),
            thumb_name=first_thumb(),
        )
        .select_related("merchant", "category")
        .order_by("-paid_orders", "-created_at", "-pk")
    )
    return with_best_rate(qs, creator=creator, at=now)


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
    rate: Decimal | None = None  # the service-fee rate the estimate used


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
        """Per-unit earnings at the rate that applies to this creator: ``best_rate`` when
        the product was read through ``with_best_rate``, else the product's own rate."""
        rate = getattr(product, "best_rate", None) or product.rate_in_force()
        split = estimate_per_unit(
            self.creator,
            price=product.price,
            rate=rate,
            binding=self.binding,
        )
        return Estimate(split.creator, split.fee, split.rule, split.agency_share, rate)

    def attach(self, products) -> list:
        """Set ``.estimate`` on each product (a page or a list) and return them as a list."""
        rows = list(products.object_list if isinstance(products, Page) else products)
        for product in rows:
            product.estimate = self.estimate(product)
        return rows
