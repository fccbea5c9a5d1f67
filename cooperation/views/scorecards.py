"""Scorecards on their own pages: the merchant's public page (商家主页) and "how is this computed"."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from cooperation.models import NEW_PARTY_BELOW, SCORECARD_PERIOD_DAYS
from cooperation.selectors import ratings as rating_selectors
from cooperation.selectors import scorecards as selectors
from cooperation.views.paging import paginate


@require_GET
def scorecard_help(request):
    """这些数字怎么算？ — every figure of the scorecards, in words (any signed-in user)."""
    context = {"period_days": SCORECARD_PERIOD_DAYS, "new_below": NEW_PARTY_BELOW}
    return render(request, "cooperation/scorecard_help.html", context)


@require_GET
def merchant_detail(request, pk: int):
    """商家主页: a merchant's record and ratings, for creators and agencies deciding to cooperate."""
    merchant = selectors.merchant_for_viewer(actor=request.user, pk=pk)
    context = {
        "merchant": merchant,
        "record": selectors.record_of(merchant),
        "ratings": rating_selectors.ratings_of_merchant(merchant_id=merchant.pk),
    }
    return render(request, "cooperation/merchant_detail.html", context)


@require_GET
def agency_roster(request):
    """旗下达人成绩: an agency's bound creators and their scorecards (agencies only)."""
    page = paginate(request, selectors.agency_roster(actor=request.user), per_page=20)
    return render(request, "cooperation/roster.html", {"page": page})
