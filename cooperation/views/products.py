"""我的商品: a merchant's products — list with search and paging, create, edit, archive."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from cooperation.filters import ProductFilter
from cooperation.forms.products import ProductForm
from cooperation.selectors import products as selectors
from cooperation.selectors.access import merchant_of
from cooperation.services import products as services
from cooperation.views.paging import paginate
from hotwave.confirm import Confirmation, back_url, naming, render_confirmation
from hotwave.exceptions import DomainError
from hotwave.formats import format_pct
from hotwave.http import htmx_template


@vary_on_headers("HX-Request")
def product_list(request):
    qs = selectors.products_for_merchant(actor=request.user)
    filterset = ProductFilter(request.GET or None, queryset=qs)
    page = paginate(request, filterset.qs if filterset.is_bound else qs)
    context = {
        "filterset": filterset,
        "page": page,
        "counts": selectors.product_counts(actor=request.user),
        "status": request.GET.get("status", ""),
    }
    return render(
        request, htmx_template(request, "cooperation/product_list.html", "results"), context
    )


def product_create(request):
    merchant = merchant_of(request.user)
    form = ProductForm(request.POST or None, request.FILES or None, merchant=merchant)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            product = services.product_create(
                merchant=merchant,
                sku=data["sku"],
                title=data["title"],
                category=data["category"],
                price=data["price"],
                service_fee_rate=form.service_fee_rate,
            )
        except DomainError as exc:
            form.add_error(None, [exc.message, *exc.reasons])
        else:
            messages.success(
                request,
                _("商品「%(title)s」已创建，可以上传商品图片了。") % {"title": product.title},
            )
            return redirect("cooperation:product_images", pk=product.pk)
    return render(request, "cooperation/product_form.html", {"form": form, "product": None})


def product_edit(request, pk: int):
    merchant = merchant_of(request.user)
    product = selectors.product_for_merchant(actor=request.user, pk=pk)
    form = ProductForm(
        request.POST or None, request.FILES or None, merchant=merchant, instance=product
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.product_update(
                product=product,
                title=data["title"],
                category=data["category"],
                price=data["price"],
                service_fee_rate=form.service_fee_rate,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("商品「%(title)s」已保存。") % {"title": data["title"]})
            if saved.own_cut_pending:
                messages.info(
                    request,
                    _(
                        "服务费率将于 %(at)s 下调至 %(rate)s；在此之前仍按 %(old)s，"
                        "带货车或进行中合作里有这个商品的达人已收到通知。"
                    )
                    % {
                        "at": timezone.localtime(saved.rate_cut_from).strftime("%Y-%m-%d %H:%M"),
                        "rate": format_pct(saved.rate_cut_to),
                        "old": format_pct(saved.service_fee_rate),
                    },
                )
            return redirect("cooperation:product_list")
    return render(request, "cooperation/product_form.html", {"form": form, "product": product})


@require_http_methods(["GET", "POST"])
def product_archive(request, pk: int):
    product = selectors.product_for_merchant(actor=request.user, pk=pk)
    if request.method == "GET":  # asked once first (hotwave/confirm.py)
        back = back_url(request, reverse("cooperation:product_list"))
        return render_confirmation(
            request,
            Confirmation(
                title=naming(_("下架「%(title)s」？"), title=product.title),
                body=_(
                    "下架后，这个商品不再出现在热销商品和新的合作里；"
                    "已发起的合作和已产生的订单不受影响。需要时可以重新上架。"
                ),
                action=reverse("cooperation:product_archive", args=[product.pk]),
                button=_("下架"),
                back=back,
                style="btn--danger",
                facts=[(_("商品"), product.title), (_("商品编码"), product.sku)],
                hidden={"next": back},
            ),
        )
    services.product_archive(product=product)
    messages.success(
        request,
        _("商品「%(title)s」已下架，不再出现在热销商品和新的合作中。") % {"title": product.title},
    )
    return redirect(_back(request))


@require_POST
def product_unarchive(request, pk: int):
    product = selectors.product_for_merchant(actor=request.user, pk=pk)
    try:
        services.product_unarchive(product=product)
    except DomainError as exc:
        messages.error(request, " ".join([str(exc.message), *map(str, exc.reasons)]))
    else:
        messages.success(request, _("商品「%(title)s」已重新上架。") % {"title": product.title})
    return redirect(_back(request))


def _back(request) -> str:
    """Where to return after an action: the list the user came from, if it is ours."""
    from django.urls import reverse
    from django.utils.http import url_has_allowed_host_and_scheme

    nxt = request.POST.get("next", "")
    # Only a local path: anything else would be reversed as a URL name by redirect().
    if (
        nxt
        and nxt.startswith("/")
        and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()})
    ):
        return nxt
    return reverse("cooperation:product_list")
