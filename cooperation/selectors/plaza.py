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

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from admission.models import Creator, User
from admission.selectors import admitted_creators
from cooperation.selectors.access import merchant_of
from settlement.selectors import bindings_in_force, figures


def with_binding(qs: QuerySet[Creator], *, now=None) -> QuerySet[Creator]:
    """Annotate ``is_bound`` (机构主播 now) and ``agency_name`` (the agency in force, if any)."""
    now = now or timezone.now()
    in_force = bindings_in_force(now).filter(creator=OuterRef("pk"))
    return qs.annotate(
        is_bound=Exists(in_force),
        agency_name=Subquery(in_force.order_by("-valid_from").values("agency__name")[:1]),
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
