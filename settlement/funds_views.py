"""充值与可用资金 page: a merchant sees its available funds (balance + credit), what is
held in escrow, its top-ups and the acceptances refused for want of funds, and tops up.

Views translate HTTP only; other roles get a 404 (only merchants pay in).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from admission.models import Role
from hotwave.money import format_cny
from settlement.forms import TopUpForm
from settlement.selectors.merchant_funds import funds_of, shortfalls_for, top_ups_for
from settlement.services.funding import FundingError, top_up_request

TEMPLATE = "settlement/top_up.html"
TOP_UPS_PER_PAGE = 20
SHORTFALLS_SHOWN = 5


@require_http_methods(["GET", "POST"])
def top_up(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.role != Role.MERCHANT or getattr(user, "merchant", None) is None:
        raise Http404
    merchant = user.merchant
    form = TopUpForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                done = top_up_request(actor=user, amount=form.cleaned_data["amount"])
            except FundingError as exc:
                form.add_error(None, exc.message)
            else:
                if done.status == "confirmed":
                    text = _("充值 %(amount)s 已到账，可用于托管坑位费。")
                else:
                    text = _("充值 %(amount)s 已提交，支付渠道确认到账后计入可用资金。")
                messages.success(request, text % {"amount": format_cny(done.amount)})
                return redirect("settlement:top_up")
        status = 400
    context = {
        "form": form,
        "funds": funds_of(merchant.pk),
        "page_obj": Paginator(top_ups_for(merchant_id=merchant.pk), TOP_UPS_PER_PAGE).get_page(
            request.GET.get("page")
        ),
        "shortfalls": list(shortfalls_for(merchant_id=merchant.pk)[:SHORTFALLS_SHOWN]),
    }
    return render(request, TEMPLATE, context, status=status)
