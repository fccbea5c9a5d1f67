"""选品广场 (the product square) for creators; 热销商品 is its default order."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.vary import vary_on_headers

from admission.rules import evaluate
from cooperation.forms.square import SquareForm
from cooperation.selectors.access import creator_of
from cooperation.selectors.hot import HOT_WINDOW, EarningsEstimator
from cooperation.selectors.square import square_products
from cooperation.services.sales import current_sales
from cooperation.views.paging import paginate
from hotwave.http import htmx_template
from hotwave.pagecache import cached_page

SQUARE_PAGE_SIZE = 24


@cached_page
@vary_on_headers("HX-Request")
def hot_product_list(request):
    creator = creator_of(request.user)
    form = SquareForm(request.GET or None)
    query = form.query()
    sales = current_sales()  # the 近 7 天订单 the rows are sorted and shown by, and when
    page = paginate(
        request, square_products(creator=creator, query=query), per_page=SQUARE_PAGE_SIZE
    )
    estimator = EarningsEstimator(creator)
    products = estimator.attach(page)
    context = {
        "form": form,
        "query": query,
        "page": page,
        "products": products,
        "estimator": estimator,
        "window_days": HOT_WINDOW.days,
        "sales_at": sales.computed_at,
        "filtered": bool(
            query.q
            or query.category
            or query.price
            or query.rate
            or query.plan
            or query.samples
            or query.unrestricted
        ),
        # Say up front why 加入带货车 would be refused, instead of only after a click.
        "verdict": evaluate(request.user),
    }
    return render(request, htmx_template(request, "cooperation/hot.html", "results"), context)
