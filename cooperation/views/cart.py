"""带货车 (selection cart): list, add (htmx in place, or a plain POST), remove."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from cooperation.selectors.access import creator_of
from cooperation.selectors.cart import cart_items_for
from cooperation.selectors.hot import EarningsEstimator
from cooperation.selectors.products import product_for_creator
from cooperation.services import cart as services
from cooperation.views.paging import paginate
from hotwave.confirm import Confirmation, back_url, naming, render_confirmation
from hotwave.exceptions import DomainError
from hotwave.http import htmx_template
from hotwave.money import format_cny

CART_PAGE_SIZE = 20


@vary_on_headers("HX-Request")
def cart(request):
    context = _cart_context(request, creator_of(request.user))
    return render(request, htmx_template(request, "cooperation/cart.html", "results"), context)


def _cart_context(request, creator) -> dict:
    items = cart_items_for(actor=request.user)
    rate_cut = request.GET.get("rate_cut") == "1"
    if rate_cut:  # the 待办事项 link: products whose rate is about to fall
        items = items.filter(rate_cut_pending=True)
    page = paginate(request, items, per_page=CART_PAGE_SIZE)
    estimator = EarningsEstimator(creator)
    items = list(page.object_list)
    for item in items:
        # The rate that applies to this creator (a plan, or the product's own).
        item.product.best_rate = item.best_rate
        item.estimate = estimator.estimate(item.product)
    return {"page": page, "items": items, "estimator": estimator, "rate_cut": rate_cut}


@require_POST
def cart_add(request, product_pk: int):
    creator = creator_of(request.user)
    product = product_for_creator(actor=request.user, pk=product_pk)
    error = None
    created = False
    try:
        _item, created = services.cart_add(creator=creator, product=product)
    except DomainError as exc:
        error = exc
    if request.htmx:
        # Swap just this product's button area, with the feedback in place.
        context = {
            "product": product,
            "in_cart": error is None,
            "error": error,
            "created": created,
            "next": request.POST.get("next", ""),
        }
        return render(request, "cooperation/_cart_button.html", context)
    if error is not None:
        messages.error(request, _refusal(error))
    elif created:
        messages.success(request, _("「%(title)s」已加入带货车。") % {"title": product.title})
    else:
        messages.info(request, _("「%(title)s」已在带货车里。") % {"title": product.title})
    return redirect(_back(request, default=reverse("cooperation:hot_products")))


@require_http_methods(["GET", "POST"])
def cart_remove(request, product_pk: int):
    creator = creator_of(request.user)
    product = product_for_creator(actor=request.user, pk=product_pk)
    if request.method == "GET":  # asked once first (hotwave/confirm.py)
        back = back_url(request, reverse("cooperation:cart"))
        if not cart_items_for(actor=request.user).filter(product=product).exists():
            return redirect(back)  # not in the cart: nothing to ask about
        return render_confirmation(
            request,
            Confirmation(
                title=naming(_("把「%(title)s」移出带货车？"), title=product.title),
                body=_(
                    "移出后它不再出现在你的带货车和预估收益里；已产生的订单佣金不受影响。"
                    "需要时可以从热销商品重新加入。"
                ),
                action=reverse("cooperation:cart_remove", args=[product.pk]),
                button=_("移出"),
                back=back,
                style="btn--danger",
                facts=[(_("商品"), product.title), (_("价格"), format_cny(product.price))],
                hidden={"next": back},
            ),
        )
    services.cart_remove(creator=creator, product=product)
    if request.htmx:
        context = _cart_context(request, creator)
        context["removed"] = product
        return render(request, "cooperation/cart.html#results", context)
    messages.success(request, _("已将「%(title)s」移出带货车。") % {"title": product.title})
    return redirect(_back(request, default=reverse("cooperation:cart")))


def _refusal(error: DomainError) -> str:
    reasons = "；".join(str(r) for r in error.reasons)
    return f"{error.message} {reasons}".strip()


def _back(request, *, default: str) -> str:
    nxt = request.POST.get("next", "")
    # Only a local path: anything else would be reversed as a URL name by redirect().
    if (
        nxt
        and nxt.startswith("/")
        and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()})
    ):
        return nxt
    return default
