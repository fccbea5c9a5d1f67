"""申样: merchants set a product's sample quota and answer requests; creators ask."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cooperation.forms.plans import (
    DecisionForm,
    SampleQuotaForm,
    SampleRequestForm,
    fulfilment_fraction,
)
from cooperation.models import SampleStatus
from cooperation.selectors import samples as selectors
from cooperation.selectors.access import creator_of, merchant_of
from cooperation.selectors.products import product_for_creator, product_for_merchant
from cooperation.services import samples as services
from cooperation.views.paging import paginate
from hotwave.exceptions import DomainError


def _errors(request, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


def _refusal(exc: DomainError) -> str:
    return " ".join([str(exc.message), *map(str, exc.reasons)])


@require_http_methods(["GET", "POST"])
def product_samples(request, pk: int):
    """A product's sample quota and the requests for it."""
    merchant = merchant_of(request.user)
    product = product_for_merchant(actor=request.user, pk=pk)
    quota = selectors.quota_of(product)
    initial = (
        {
            "quota": quota.quota,
            "min_level": quota.min_level,
            "min_fans": quota.min_fans,
            "min_fulfilment_percent": (
                (quota.min_fulfilment * 100).quantize(Decimal("0.1"))
                if quota.min_fulfilment
                else None
            ),
        }
        if quota
        else {}
    )
    form = SampleQuotaForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.sample_quota_set(
                merchant=merchant,
                product=product,
                quota=data["quota"],
                min_level=data.get("min_level") or 0,
                min_fans=data.get("min_fans") or 0,
                min_fulfilment=fulfilment_fraction(data.get("min_fulfilment_percent")),
            )
        except DomainError as exc:
            form.add_error(None, _refusal(exc))
        else:
            messages.success(request, _("样品名额已保存。"))
            return redirect("cooperation:product_samples", pk=product.pk)
    context = {
        "product": product,
        "quota": quota,
        "form": form,
        "counts": selectors.sample_counts(product),
        "requests": list(
            selectors.sample_requests_for_product(actor=request.user, product=product)
        ),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "cooperation/plans/product_samples.html", context, status=status)


@require_POST
def sample_decide(request, pk: int):
    sample = selectors.sample_request_for_merchant(actor=request.user, pk=pk)
    back = reverse("cooperation:product_samples", args=[sample.product_id])
    form = DecisionForm(request.POST)
    if not form.is_valid():
        _errors(request, form)
        return redirect(back)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        sample = services.sample_decide(
            request=sample, approve=approve, reason=form.cleaned_data.get("reason") or ""
        )
    except DomainError as exc:
        messages.error(request, _refusal(exc))
    else:
        if approve:
            messages.success(
                request,
                _("已通过申样，合作任务 %(ref)s 已进入待寄样。") % {"ref": sample.task.reference},
            )
        else:
            messages.success(request, _("已拒绝这条申样。"))
    return redirect(back)


@require_POST
def sample_request(request, product_pk: int):
    creator = creator_of(request.user)
    product = product_for_creator(actor=request.user, pk=product_pk)
    back = reverse("cooperation:product_plans_for_creator", args=[product.pk])
    form = SampleRequestForm(request.POST)
    if not form.is_valid():
        _errors(request, form)
        return redirect(back)
    try:
        services.sample_request_create(
            creator=creator,
            product=product,
            planned_live_date=form.cleaned_data["planned_live_date"],
            note=form.cleaned_data.get("note") or "",
        )
    except DomainError as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, _("申样已提交，商家通过后会生成合作任务。"))
    return redirect(back)


@require_GET
def sample_list(request):
    """Sample requests for all the merchant's products; ``?status=pending`` is the to-do."""
    status = request.GET.get("status", "")
    if status not in SampleStatus.values:
        status = ""
    qs = selectors.sample_requests_for_merchant(actor=request.user, status=status or None)
    page = paginate(request, qs, per_page=20)
    context = {"page": page, "status": status, "statuses": SampleStatus.choices}
    return render(request, "cooperation/plans/samples.html", context)
