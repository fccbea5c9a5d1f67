"""主播广场 (streamer plaza) and 达人主页 (creator homepage) reads.

Only merchants see the plaza and creator homepages (others get a 404); a
creator may open its own homepage. Every list has a fixed query count:
the page of creators (with ``is_bound`` and ``agency_name`` computed in SQL),
one prefetch for categories, and the paginator's count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db.models import BooleanField, Case, Exists, OuterRef, QuerySet, Subquery, Value, When
from django.http import Http404
from django.utils import timezone, translation

from admission.models import Creator, User
from admission.selectors import admitted_creators
from cooperation.selectors.access import merchant_of
from hotwave.money import quantize
from settlement.selectors import bindings_in_force, figures


def with_binding(qs: QuerySet[Creator], *, now=None) -> QuerySet[Creator]:
    """Annotate ``is_bound`` (机构主播 now) and ``agency_name`` (the agency in force, if any);
    filter on the alias ``bound_now`` (the same fact as an EXISTS).

    ``is_bound`` is read from ``agency_name`` rather than its own EXISTS in the select
    list: PostgreSQL planned that EXISTS as a hash of every binding in force (24,803 rows,
    6 ms at full scale) because it expects many creators before the LIMIT, while the
    agency's name is a correlated LIMIT 1 run only for the rows kept.
    """
    now = now or timezone.now()
    in_force = bindings_in_force(now).filter(creator=OuterRef("pk"))
    return (
        qs.alias(bound_now=Exists(in_force))
        .annotate(agency_name=Subquery(in_force.order_by("-valid_from").values("agency__name")[:1]))
        .annotate(
            is_bound=Case(
                When(agency_name__isnull=False, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
    )


def plaza_creators(*, actor: User) -> QuerySet[Creator]:
    """Every admitted creator, for a merchant (Http404 for anyone else), with card data."""
    merchant_of(actor)
    return (
        with_binding(admitted_creators()).select_related("scorecard").prefetch_related("categories")
    )


def creator_for_merchant(*, actor: User, pk: int) -> Creator:
    """An admitted creator's homepage for a merchant; a creator may open only its own."""
    qs = with_binding(Creator.objects.select_related("user", "scorecard")).prefetch_related(
        "categories"
    )
    if getattr(actor, "is_creator", False):
        if actor.pk != pk:
            raise Http404
    else:
        merchant_of(actor)
        qs = qs.filter(pk__in=admitted_creators().values("pk"))
    try:
        return qs.get(pk=pk)
    except Creator.DoesNotExist as exc:
        raise Http404 from exc


def recent_completed_tasks(*, creator: Creator, limit: int = 5) -> list:
    """The creator's most recently completed cooperation tasks, with merchant and products."""
    from cooperation.models import Task, TaskState

    return list(
        Task.objects.filter(creator=creator, state=TaskState.COMPLETED)
        .select_related("merchant")
        .prefetch_related("items")
        .order_by("-completed_at", "-pk")[:limit]
    )


@dataclass(frozen=True)
class SalesStats:
    orders: int
    gmv: Decimal


def creator_sales(*, creator: Creator, days: int = 30, now=None) -> SalesStats:
    """Orders the creator brought in the last ``days`` days and their paid amount (one query)."""
    now = now or timezone.now()
    totals = figures.order_totals(
        party="creator", party_id=creator.pk, paid_since=now - timedelta(days=days)
    )
    return SalesStats(orders=totals.orders, gmv=totals.sales)


def creator_gmv_trend(*, creator: Creator, days: int = 30, now=None):
    """The creator's daily GMV (paid − refunded, attributed and cart orders alike) over the
    last ``days`` Asia/Shanghai days, as a line chart (one grouped query)."""
    from django.db.models import Sum
    from django.utils.translation import gettext as _

    from hotwave.charts import line_chart

    today = timezone.localdate(now or timezone.now())
    since = today - timedelta(days=days - 1)
    rows = figures.daily_order_sums(
        party="creator",
        party_id=creator.pk,
        since=since,
        until=today + timedelta(days=1),
        sales=Sum(figures.order_price()),
    )
    by_day = {r["day"]: r["sales"] or Decimal(0) for r in rows}
    series = [(d, by_day.get(d, Decimal(0))) for d in (since + timedelta(n) for n in range(days))]
    return line_chart(
        series,
        title=_("近%(n)s天每日成交额") % {"n": days},
        series_label=_("每日成交额"),
    )


@dataclass(frozen=True)
class CategoryShare:
    label: str
    gmv: Decimal
    orders: int
    percent: Decimal  # the rows' percents add up to exactly 100


def creator_category_mix(*, creator: Creator, days: int = 90, now=None) -> list[CategoryShare]:
    """品类分布: the creator's GMV (paid − refunded, attributed and cart orders alike) of the
    last ``days`` days per product category, largest first (one grouped query).

    An order names its product by (merchant, SKU); an order whose product is not listed
    with us counts as 其他. Categories whose orders were all refunded are left out.
    Percentages come from :func:`hotwave.money.percent_shares` and add up to 100%.
    """
    from django.db.models import Count, Sum
    from django.db.models.functions import Coalesce
    from django.utils.translation import gettext as _

    from cooperation.models import Product
    from hotwave.money import percent_shares

    now = now or timezone.now()
    product = Product.objects.filter(
        merchant_id=OuterRef("merchant_id"), sku=OuterRef("product_sku")
    )
    lang_en = (translation.get_language() or "").lower().startswith("en")
    label_field = "name_en" if lang_en else "name_zh"
    label = Subquery(product.values(f"category__{label_field}")[:1])
    rows = [
        r
        for r in figures.orders_of(
            party="creator", party_id=creator.pk, paid_since=now - timedelta(days=days)
        )
        .annotate(label=label)
        .values("label")
        .annotate(gmv=Coalesce(Sum(figures.order_price()), Decimal(0)), orders=Count("pk"))
        .order_by("-gmv", "label")
        if r["gmv"] > 0
    ]
    other = _("其他")
    shares = percent_shares([r["gmv"] for r in rows])
    return [
        CategoryShare(r["label"] or other, r["gmv"], r["orders"], pct)
        for r, pct in zip(rows, shares, strict=True)
    ]


@dataclass(frozen=True)
class LiveSession:
    task: object  # the completed Task, with its merchant
    live_at: object
    shop_name: str | None  # None: another merchant's, shown anonymised
    gmv: Decimal  # attributed actual GMV (paid − refunded)
    orders: int


def creator_live_sessions(*, creator: Creator) -> QuerySet:
    """The creator's completed tasks that had a live session, newest first (page them)."""
    from cooperation.models import Task, TaskState

    return (
        Task.objects.filter(creator=creator, state=TaskState.COMPLETED, live_at__isnull=False)
        .select_related("merchant")
        .order_by("-live_at", "-pk")
    )


def live_session_results(tasks, *, viewer: User) -> list[LiveSession]:
    """A page of live sessions with their attributed GMV and orders (one set-based query,
    the same attribution rule as the task page and the scorecards). The viewing merchant
    sees its own shop; others' shops are anonymised; the creator itself sees every shop."""
    from django.conf import settings
    from django.db import connection

    from cooperation.models import Task, TaskProduct
    from cooperation.models.tasks import REFERENCE_PREFIX
    from settlement.selectors import attributed_sums_sql

    tasks = list(tasks)
    if not tasks:
        return []
    sums = attributed_sums_sql(
        vendor=connection.vendor,
        window_hours=settings.COOPERATION_ATTRIBUTION_HOURS,
        reference_prefix=REFERENCE_PREFIX,
    )
    ids = [t.pk for t in tasks]
    marks = ", ".join(["%s"] * len(ids))
    sql = f"""
    WITH scored_tasks AS (
        SELECT t.id AS task_id, t.merchant_id, t.creator_id, t.live_at
        FROM {Task._meta.db_table} t WHERE t.id IN ({marks})
    ),
    scored_task_skus AS (
        SELECT i.task_id, i.sku FROM {TaskProduct._meta.db_table} i
        WHERE i.task_id IN (SELECT task_id FROM scored_tasks)
    ),
    sums AS ({sums})
    SELECT task_id, gmv, orders FROM sums
    """  # noqa: S608 - table names and placeholders only
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
        results = {row[0]: (Decimal(row[1]), int(row[2])) for row in cursor.fetchall()}
    sees_all = getattr(viewer, "is_creator", False)
    out = []
    for t in tasks:
        gmv, orders = results.get(t.pk, (Decimal(0), 0))
        shown = sees_all or t.merchant_id == viewer.pk
        out.append(
            LiveSession(
                t, t.live_at, t.merchant.shop_name if shown else None, quantize(gmv), orders
            )
        )
    return out
