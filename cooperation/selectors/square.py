"""选品广场 (the product square): every promotable product, searched, filtered and sorted.

热销商品 is its top: sorted by 7-day orders (the default) — paid in the last 7
days and not fully refunded, settlement's rule (``figures.paid_orders_by_product``)
— as counted for every product at the last refresh (``ProductSales``, at most
``cooperation.services.sales.SALES_STALE_AFTER`` old; the page says when). Ties
newest first. The rate shown and filtered on is the one that applies to the creator
(``selectors.plans.with_best_rate``), and "my estimated earnings per unit" sorts
by price × that rate — the creator's share of the fee is the same factor on every
product for one creator (its binding), so the order is the order of its earnings.

One statement for the page's rows (plans resolved in subqueries, the counts a join;
with another sort Postgres evaluates the plan subqueries after the LIMIT, for the
page's rows only), one COUNT for the paginator: fixed whatever the filters.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Now
from django.utils.translation import get_language

from admission.models import Category, Creator, Merchant
from cooperation.models import (
    CartItem,
    PlanKind,
    Product,
    PromotionPlan,
    SampleQuota,
    SampleRequest,
    SampleStatus,
    first_thumb,
)
from cooperation.selectors.plans import open_to_q, with_best_rate
from cooperation.selectors.products import promotable_q
from hotwave import gates

# (low, high) in yuan, high exclusive; None is open-ended.
PRICE_BANDS = {
    "0-50": (None, Decimal("50")),
    "50-100": (Decimal("50"), Decimal("100")),
    "100-300": (Decimal("100"), Decimal("300")),
    "300-": (Decimal("300"), None),
}
# (low, high) as fractions of the price, high exclusive.
RATE_BANDS = {
    "0-10": (None, Decimal("0.10")),
    "10-20": (Decimal("0.10"), Decimal("0.20")),
    "20-30": (Decimal("0.20"), Decimal("0.30")),
    "30-": (Decimal("0.30"), None),
}
PLAN_ANY = "any"
SORT_ORDERS, SORT_RATE, SORT_EARNINGS, SORT_NEWEST = "orders", "rate", "earnings", "newest"
SORTS = (SORT_ORDERS, SORT_RATE, SORT_EARNINGS, SORT_NEWEST)


@dataclass(frozen=True)
class SquareQuery:
    """What the creator asked for, already validated (cooperation.forms.square)."""

    q: str = ""
    category: Category | None = None
    price: str = ""
    rate: str = ""
    plan: str = ""
    samples: bool = False  # only products with free samples left
    unrestricted: bool = False  # only products not restricted for this creator
    sort: str = SORT_ORDERS


class InSubquery(Func):
    """``column IN (subquery)``, on PostgreSQL as ``column = ANY(ARRAY(subquery))``: the
    array is computed once and read through the column's index, also inside an OR (an
    ``IN (subquery)`` there can only be hashed and checked row by row)."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, column, queryset: QuerySet):
        super().__init__(column, Subquery(queryset))

    def _sides(self, compiler):
        (column_sql, column_params), (subquery_sql, subquery_params) = (
            compiler.compile(side) for side in self.get_source_expressions()
        )
        return column_sql, subquery_sql, (*column_params, *subquery_params)

    def as_sql(self, compiler, connection, **extra):
        column_sql, subquery_sql, params = self._sides(compiler)
        return f"{column_sql} IN {subquery_sql}", params

    def as_postgresql(self, compiler, connection, **extra):
        column_sql, subquery_sql, params = self._sides(compiler)
        return f"{column_sql} = ANY(ARRAY{subquery_sql})", params


def _band(qs: QuerySet, field: str, band: tuple) -> QuerySet:
    low, high = band
    if low is not None:
        qs = qs.filter(**{f"{field}__gte": low})
    if high is not None:
        qs = qs.filter(**{f"{field}__lt": high})
    return qs


def _plan_filter(creator: Creator, kind: str) -> Q:
    """Products with a current plan of ``kind`` this creator can see (or any kind)."""
    now = Now()
    plans = PromotionPlan.objects.filter(product=OuterRef("pk")).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=now),
        ~Q(kind=PlanKind.EXCLUSIVE) | Q(creator=creator),
    )
    if kind != PLAN_ANY:
        plans = plans.filter(kind=kind)
    return Q(Exists(plans))


def _samples_left() -> Q:
    """Products whose sample quota (申样) has samples left."""
    approved = (
        SampleRequest.objects.filter(product=OuterRef("product_id"), status=SampleStatus.APPROVED)
        .order_by()
        .values("product_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Q(
        Exists(
            SampleQuota.objects.filter(product=OuterRef("pk"), quota__gt=0).filter(
                quota__gt=Coalesce(Subquery(approved), 0)
            )
        )
    )


def not_restricted_q(creator: Creator) -> Q:
    """Products this creator may promote at all ("not restricted for me", docs/PLANS.md).

    Every listed product is already promotable (active; a 限制推广商品 only with an
    operator's permission). On top of that this hides a product when
    - its merchant and the creator are in a block (消息's 屏蔽, the creator's or an
      operator's): no invitation, sample task or conversation can pass between them;
    - it has current plans and none applies to the creator — only 定向/专属 plans it
      is not in, no 公开计划: the merchant promotes it to chosen creators only.
    Subqueries only: the page keeps its statements.
    """
    q = Q()
    for blocked in gates.blocked_merchants(creator.user_id):
        q &= ~Q(merchant_id__in=blocked)
    now = Now()
    current = PromotionPlan.objects.filter(product=OuterRef("pk")).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=now)
    )
    mine = PromotionPlan.objects.filter(open_to_q(creator.pk), product=OuterRef("pk"))
    return q & ~(Q(Exists(current)) & ~Q(Exists(mine)))


def square_products(*, creator: Creator, query: SquareQuery, now=None) -> QuerySet[Product]:
    """Promotable products for the square, filtered and sorted as asked.

    Annotates ``best_rate``/``best_plan_kind``/``rate_cut_pending`` (plans),
    ``in_cart`` and ``paid_orders`` (近 7 天订单 as of the last refresh of
    ``ProductSales``: the caller reads ``services.sales.current_sales()`` first),
    ``shop_name`` and ``category_label`` (in the active language).

    The shop and the category are subqueries of the select list, not joins: the page
    sorts every matching product (19,420 at full scale) before keeping 24, and joining
    the merchant and category rows to each of them first took half the statement
    (27 → 14 ms for the default sort at full scale); a subquery runs for the 24 kept.
    """
    paid_orders = Coalesce(F("sales__paid_orders"), Value(0))
    label = "name_en" if (get_language() or "").lower().startswith("en") else "name_zh"
    qs = Product.objects.filter(promotable_q()).annotate(
        shop_name=Subquery(Merchant.objects.filter(pk=OuterRef("merchant_id")).values("shop_name")),
        category_label=Subquery(Category.objects.filter(pk=OuterRef("category_id")).values(label)),
    )
    if query.q:
        # The shop-name match as a set of merchant ids, not a join filter: the whole
        # search is then a condition on the product row — on PostgreSQL a bitmap OR of
        # the title's trigram index (migration 0017) and the merchant index, read before
        # the rate-band subqueries (with the join they ran on every product first).
        shops = Merchant.objects.filter(shop_name__icontains=query.q).values("pk")
        qs = qs.filter(Q(title__icontains=query.q) | Q(InSubquery(F("merchant_id"), shops)))
    if query.category is not None:
        qs = qs.filter(category=query.category)
    if query.price in PRICE_BANDS:
        qs = _band(qs, "price", PRICE_BANDS[query.price])
    if query.plan == PLAN_ANY or query.plan in PlanKind.values:
        qs = qs.filter(_plan_filter(creator, query.plan))
    if query.samples:
        qs = qs.filter(_samples_left())
    if query.unrestricted:
        qs = qs.filter(not_restricted_q(creator))
    qs = with_best_rate(qs, creator=creator, at=now).annotate(
        paid_orders=paid_orders,
        in_cart=Exists(CartItem.objects.filter(creator=creator, product_id=OuterRef("pk"))),
        thumb_name=first_thumb(),
    )
    if query.sort == SORT_EARNINGS:
        # Only to sort by: an alias, not a column (each use of ``best_rate`` repeats its
        # plan subqueries in the statement, and building them is most of its Python).
        qs = qs.alias(
            per_unit_fee=ExpressionWrapper(
                F("price") * F("best_rate"),
                output_field=DecimalField(max_digits=20, decimal_places=6),
            )
        )
    if query.rate in RATE_BANDS:
        qs = _band(qs, "best_rate", RATE_BANDS[query.rate])
    order = {
        SORT_ORDERS: ["-paid_orders", "-created_at", "-pk"],
        SORT_RATE: ["-best_rate", "-created_at", "-pk"],
        SORT_EARNINGS: ["-per_unit_fee", "-created_at", "-pk"],
        SORT_NEWEST: ["-created_at", "-pk"],
    }[query.sort if query.sort in SORTS else SORT_ORDERS]
    return qs.order_by(*order)
