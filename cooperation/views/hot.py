"""热销商品 (hot products) for creators."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.vary import vary_on_headers

from admission.rules import evaluate
from cooperation.selectors.access import creator_of
from cooperation.selectors.hot import HOT_WINDOW, EarningsEstimator, hot_products
from cooperation.views.paging import paginate
from hotwave.http import htmx_template

HOT_PAGE_SIZE = 20


@vary_on_headers("HX-Request")
def hot_product_list(request):
    creator = creator_of(request.user)
    page = paginate(request, hot_products(creator=creator), per_page=HOT_PAGE_SIZE)
    estimator = EarningsEstimator(creator)
    context = {
        "page": page,
        "products": estimator.attach(page),
        "estimator": estimator,
        "window_days": HOT_WINDOW.days,
        # Say up front why 加入带货车 would be refused, instead of only after a click.
        "verdict": evaluate(request.user),
    }
    return render(request, htmx_template(request, "cooperation/hot.html", "results"), context)
