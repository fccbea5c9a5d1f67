"""收款账户 page: a creator or agency sees its current payout account, what holds its
payouts, and adds or changes the account (verified by an operator in admin).

Views translate HTTP only; other roles get a 404 (they are never paid out).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from settlement import holds
from settlement.forms import PayoutAccountForm
from settlement.payout_accounts import current_payout_account_of, payout_account_history_of
from settlement.services.payout_accounts import (
    PayoutAccountError,
    payout_account_submit,
    real_name_of,
)

TEMPLATE = "settlement/payout_account.html"


@require_http_methods(["GET", "POST"])
def payout_account(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.role not in holds.PAYEE_ROLES or user.profile is None:
        raise Http404
    form = PayoutAccountForm(
        request.POST if request.method == "POST" else None,
        initial={"holder_name": real_name_of(user)},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                payout_account_submit(actor=user, **form.cleaned_data)
            except PayoutAccountError as exc:
                form.add_error(exc.field, exc.message)
            else:
                messages.success(
                    request,
                    _("收款账户已提交，平台核实后生效；核实前的收益会暂缓打款，核实后一并打款。"),
                )
                if getattr(request, "htmx", None):
                    # The whole page changes (current account, holds): htmx reloads it.
                    return HttpResponseClientRedirect(reverse("settlement:payout_account"))
                return redirect("settlement:payout_account")
        status = 400
    context = {
        "form": form,
        "current": current_payout_account_of(actor=user),
        "history": list(payout_account_history_of(actor=user)),
        "payout_holds": holds.holds_for(user),
        "real_name": real_name_of(user),
    }
    htmx = getattr(request, "htmx", None)
    template = f"{TEMPLATE}#payout-form" if htmx and not htmx.history_restore_request else TEMPLATE
    return render(request, template, context, status=status)
