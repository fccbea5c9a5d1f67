"""Reads of scorecards (issue 17): the stored figures, never computed on a page.

A party without a row yet (a new account before the next recompute) gets None:
pages show "computing" (计算中) for it, and nothing breaks.
"""

from __future__ import annotations

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.http import Http404

from admission.models import Merchant, Role, User
from cooperation.models import (
    CreatorScorecard,
    MerchantScorecard,
    Task,
    TaskState,
)


def scorecard_of(creator) -> CreatorScorecard | None:
    """The scorecard joined onto a creator (``select_related("scorecard")``), or None."""
    try:
        return creator.scorecard
    except CreatorScorecard.DoesNotExist:
        return None


def record_of(merchant) -> MerchantScorecard | None:
    """The record joined onto a merchant (``select_related("scorecard")``), or None."""
    try:
        return merchant.scorecard
    except MerchantScorecard.DoesNotExist:
        return None


def creator_scorecard(*, creator_id: int) -> CreatorScorecard | None:
    return CreatorScorecard.objects.filter(creator_id=creator_id).first()


def merchant_scorecard(*, merchant_id: int) -> MerchantScorecard | None:
    return MerchantScorecard.objects.filter(merchant_id=merchant_id).first()


def merchant_for_viewer(*, actor: User, pk: int) -> Merchant:
    """商家主页: a merchant's public record, for creators and agencies (and the merchant itself).

    Raises Http404 for another merchant (a competitor), operators, and unknown shops.
    """
    if not actor.is_authenticated:
        raise Http404
    if actor.role == Role.MERCHANT:
        if actor.pk != pk:
            raise Http404
    elif actor.role not in (Role.CREATOR, Role.AGENCY):
        raise Http404
    merchant = Merchant.objects.filter(pk=pk).select_related("scorecard").first()
    if merchant is None:
        raise Http404
    return merchant


def cooperations_by_merchant(*, creator_id: int, viewer: User) -> dict:
    """A creator's past cooperations per merchant: the viewing merchant's own in full,
    everyone else's only as an aggregate (how many shops, how many tasks). Two queries."""
    done = Task.objects.filter(creator_id=creator_id, state=TaskState.COMPLETED)
    own: QuerySet[Task] = Task.objects.none()
    others = done
    if viewer.is_authenticated and viewer.role == Role.MERCHANT:
        own = (
            done.filter(merchant_id=viewer.pk)
            .select_related("merchant")
            .prefetch_related("items")
            .order_by("-completed_at", "-pk")[:20]
        )
        others = done.exclude(merchant_id=viewer.pk)
    elif viewer.is_authenticated and viewer.pk == creator_id:
        # The creator sees its own list in full, per merchant.
        per_merchant = list(
            done.values("merchant_id", "merchant__shop_name")
            .annotate(n=Count("id"), last=Max("completed_at"), released=Sum("escrow_released"))
            .order_by("-last")[:20]
        )
        return {"own": [], "per_merchant": per_merchant, "others": None}
    agg = others.aggregate(tasks=Count("id"), shops=Count("merchant_id", distinct=True))
    return {"own": list(own), "per_merchant": [], "others": agg}


def plaza_reason_filter(min_rate) -> Q:
    """Creators with a measured 履约率 of at least ``min_rate`` (new creators have none)."""
    return Q(scorecard__fulfilment_rate__gte=min_rate)


def agency_roster(*, actor: User):
    """An agency's creators bound now, with their scorecards, by nickname. Http404 for others."""
    from django.utils import timezone

    from admission.models import Creator
    from settlement.selectors import bindings_in_force

    if not actor.is_authenticated or actor.role != Role.AGENCY:
        raise Http404
    bound = bindings_in_force(timezone.now()).filter(agency_id=actor.pk).values("creator_id")
    return (
        Creator.objects.filter(pk__in=bound).select_related("scorecard").order_by("nickname", "pk")
    )
