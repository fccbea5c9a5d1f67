"""机构绑定 and 资金账户 pages. Views translate HTTP only: a scoped selector, a form,
one service, then render or redirect. Someone else's binding or order is a 404.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from admission.exceptions import NotAdmitted
from admission.models import Role
from hotwave.charts import line_chart
from hotwave.confirm import Confirmation, naming, render_confirmation
from hotwave.exceptions import DomainError
from hotwave.http import htmx_template
from hotwave.money import MoneyError, parse_decimal
from hotwave.pagecache import cached_page
from settlement import exports, holds, selectors
from settlement.catalog import attach_titles
from settlement.commission import MAX_RATE, MIN_RATE, platform_rate
from settlement.forms import (
    BindingInviteForm,
    CreatorSearchForm,
    FundFilterForm,
    ShareChangeForm,
)
from settlement.models import BindingStatus, JournalKind, OrderStatus
from settlement.payout_accounts import current_payout_account_of
from settlement.services import binding_invites

BINDINGS_PER_PAGE = 20
FUND_ROWS_PER_PAGE = 20


# --- 机构绑定 -------------------------------------------------------------------------------


def _binding_list_context(request: HttpRequest, **overrides) -> dict:
    user = request.user
    status = request.GET.get("status", "")
    if status not in selectors.BINDING_TABS:
        status = ""
    qs = selectors.bindings_for(actor=user, status=status)
    page = Paginator(qs, BINDINGS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "status": status,
        "page_obj": page,
        "counts": selectors.binding_tab_counts(actor=user),
        "is_agency": user.role == Role.AGENCY,
        "tabs": [
            ("", _("全部")),
            ("invited", _("待确认")),
            ("active", _("生效中")),
            ("history", _("历史记录")),
        ],
    }
    if user.role == Role.CREATOR:
        context["current"] = selectors.active_binding_of(creator_id=user.pk)
    else:
        search = CreatorSearchForm(request.GET or None)
        q = search.cleaned_data["q"] if search.is_valid() else ""
        context["search_form"] = search
        context["q"] = q
        context["results"] = selectors.creator_search(actor=user, q=q) if q else []
        context["invite_form"] = overrides.get("invite_form") or BindingInviteForm(
            initial={"creator": request.GET.get("invite", "")}
        )
    context.update(overrides)
    return context


@require_GET
def binding_list(request: HttpRequest) -> HttpResponse:
    """机构绑定: the actor's invitations, agreements in force and history; agencies invite here."""
    context = _binding_list_context(request)
    return render(
        request, htmx_template(request, "settlement/bindings.html", "binding-body"), context
    )


@require_POST
def binding_invite(request: HttpRequest) -> HttpResponse:
    if request.user.role != Role.AGENCY:
        raise Http404
    form = BindingInviteForm(request.POST, resolve_creator=selectors.resolve_creator)
    if form.is_valid():
        try:
            invitation, created = binding_invites.invitation_send(
                actor=request.user,
                creator=form.cleaned_data["creator"],
                agency_share=form.cleaned_data["agency_share"],
                message=form.cleaned_data["message"],
            )
        except NotAdmitted as exc:
            form.add_error(None, exc.message)
            for reason in exc.reasons:
                form.add_error(None, reason)
        except DomainError as exc:
            form.add_error("creator", exc.message)
        else:
            if created:
                messages.success(
                    request,
                    _("邀请已发给「%(creator)s」，对方确认后绑定才生效。")
                    % {"creator": invitation.creator.nickname},
                )
            else:
                messages.info(request, _("这份邀请已经发出，正在等待达人确认。"))
            return redirect("settlement:binding_detail", pk=invitation.pk)
    context = _binding_list_context(request, invite_form=form)
    return render(request, "settlement/bindings.html", context, status=400)


def _detail_context(request: HttpRequest, binding, **overrides) -> dict:
    user = request.user
    current = None
    if binding.status == BindingStatus.INVITED:
        current = selectors.active_binding_of(creator_id=binding.creator_id)
    # A creator may try its own example order on the consent page (?price=&rate=).
    price, rate, example_error = selectors.EXAMPLE_PRICE, selectors.EXAMPLE_RATE, ""
    if "price" in request.GET or "rate" in request.GET:
        try:
            price = parse_decimal(request.GET.get("price", ""), places=2, field="price")
            rate = parse_decimal(request.GET.get("rate", ""), places=2, field="rate") / 100
            if price <= 0 or price > Decimal("10000000") or not (MIN_RATE <= rate <= MAX_RATE):
                raise MoneyError("out of range")
        except (MoneyError, InvalidOperation):
            price, rate = selectors.EXAMPLE_PRICE, selectors.EXAMPLE_RATE
            example_error = _("示例订单金额须大于 0，服务费率须在 1% 到 80% 之间。")
    same_agency_current = current if current and current.agency_id == binding.agency_id else None
    preview = selectors.share_preview(
        agency_share=binding.agency_share,
        current_share=same_agency_current.agency_share if same_agency_current else None,
        price=price,
        rate=rate,
    )
    context = {
        "binding": binding,
        "is_agency": user.role == Role.AGENCY,
        "is_creator": user.role == Role.CREATOR,
        "current": current,
        "bound_elsewhere": current is not None and current.agency_id != binding.agency_id,
        "is_share_change": same_agency_current is not None,
        "preview": preview,
        "example_price": price,
        "example_rate_pct": (rate * 100).normalize(),
        "example_error": example_error,
        "share_form": overrides.pop("share_form", None) or ShareChangeForm(),
        "error": overrides.pop("error", ""),
    }
    context.update(overrides)
    return context


@require_GET
def binding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One invitation (the creator's consent page, with the preview) or agreement."""
    binding = selectors.binding_for(actor=request.user, pk=pk)
    context = _detail_context(request, binding)
    return render(
        request, htmx_template(request, "settlement/binding_detail.html", "preview"), context
    )


def _act(request: HttpRequest, pk: int, service, done: str) -> HttpResponse:
    binding = selectors.binding_for(actor=request.user, pk=pk)
    try:
        service(actor=request.user, binding=binding)
    except DomainError as exc:
        binding.refresh_from_db()
        context = _detail_context(request, binding, error=exc.message)
        return render(request, "settlement/binding_detail.html", context, status=400)
    messages.success(request, done)
    return redirect("settlement:binding_detail", pk=pk)


@require_POST
def binding_accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, binding_invites.invitation_accept, _("已同意，绑定自现在起生效。"))


def _confirm(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """GET on an action that cannot be undone: what it will do, asked once (hotwave/confirm.py)."""
    binding = selectors.binding_for(actor=request.user, pk=pk)
    agency, creator = binding.agency.name, binding.creator.nickname
    texts = {
        "decline": (
            BindingStatus.INVITED,
            naming(_("拒绝「%(agency)s」的绑定邀请？"), agency=agency),
            _("拒绝后这份邀请关闭，不能撤回；机构可以重新邀请你。你的订单继续按个人主播规则结算。"),
            _("拒绝"),
        ),
        "withdraw": (
            BindingStatus.INVITED,
            naming(_("撤回给「%(creator)s」的邀请？"), creator=creator),
            _("撤回后达人不能再同意这份邀请；需要时可以重新邀请。"),
            _("撤回邀请"),
        ),
        "end": (
            BindingStatus.ACTIVE,
            naming(
                _("解除与「%(party)s」的绑定？"),
                party=creator if request.user.role == Role.AGENCY else agency,
            ),
            _(
                "解除立即生效，不能撤回：此后支付的订单按个人主播规则结算（平台 40%%，达人 60%%），"
                "解除前支付的订单仍按本约定结算。重新绑定需要新的邀请和达人同意。"
            ),
            _("解除绑定"),
        ),
    }
    status, title, body, button = texts[action]
    if binding.status != status:
        return redirect("settlement:binding_detail", pk=pk)
    return render_confirmation(
        request,
        Confirmation(
            title=title,
            body=body % {},
            action=reverse(f"settlement:binding_{action}", args=[pk]),
            button=button,
            back=reverse("settlement:binding_detail", args=[pk]),
            style="btn--danger",
            facts=[
                (_("机构"), agency),
                (_("达人"), creator),
                (_("机构分成比例"), f"{(binding.agency_share * 100).normalize():f}%"),
            ],
        ),
    )


@require_http_methods(["GET", "POST"])
def binding_decline(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "GET":
        return _confirm(request, pk, "decline")
    return _act(request, pk, binding_invites.invitation_decline, _("已拒绝这份邀请。"))


@require_http_methods(["GET", "POST"])
def binding_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "GET":
        return _confirm(request, pk, "withdraw")
    return _act(request, pk, binding_invites.invitation_withdraw, _("邀请已撤回。"))


@require_http_methods(["GET", "POST"])
def binding_end(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "GET":
        return _confirm(request, pk, "end")
    return _act(
        request,
        pk,
        binding_invites.binding_terminate,
        _("绑定已解除。此后支付的订单按个人主播规则结算，之前的订单不受影响。"),
    )


@require_POST
def binding_share(request: HttpRequest, pk: int) -> HttpResponse:
    """The agency proposes a new share for an agreement in force (a new agreement)."""
    binding = selectors.binding_for(actor=request.user, pk=pk)
    if request.user.role != Role.AGENCY:
        raise Http404
    form = ShareChangeForm(request.POST)
    if form.is_valid():
        try:
            invitation = binding_invites.binding_share_propose(
                actor=request.user, binding=binding, agency_share=form.cleaned_data["agency_share"]
            )
        except DomainError as exc:
            form.add_error("agency_share", exc.message)
        else:
            messages.success(request, _("新的分成比例已发给达人确认；确认前仍按原比例结算。"))
            return redirect("settlement:binding_detail", pk=invitation.pk)
    context = _detail_context(request, binding, share_form=form)
    return render(request, "settlement/binding_detail.html", context, status=400)


# --- 资金账户 -------------------------------------------------------------------------------


def _fund_tabs(role: str) -> list[tuple[str, str]]:
    tabs = [
        ("settled", _("结算订单")),
        ("pending", _("待结算订单")),
        ("clawbacks", _("退款冲回")),
    ]
    if role == Role.MERCHANT:
        tabs.append(("creators", _("达人带货")))
    else:
        tabs.append(("payouts", _("打款记录")))
    if role in (Role.MERCHANT, Role.CREATOR, Role.AGENCY):
        tabs.append(("escrow", _("坑位费")))
    tabs.append(("statement", _("账户流水")))
    return tabs


@cached_page
@require_GET
def fund_account(request: HttpRequest) -> HttpResponse:
    """资金账户: balance, totals, earnings by day and one section of the statement."""
    user = request.user
    if user.role == Role.PROVIDER:
        # The navigation offers 资金账户 to every party; TP providers have no money here.
        return render(request, "settlement/fund_none.html")
    account = selectors.fund_account_of(actor=user)
    form = FundFilterForm(request.GET or None)
    start, end = form.period()
    if not form.is_bound or form.is_valid():
        # Show the period actually applied (defaults included) in the date inputs.
        form = FundFilterForm({"date_from": start.isoformat(), "date_to": end.isoformat()})
    period = selectors.Period(start, end)
    tabs = _fund_tabs(user.role)
    tab = request.GET.get("tab", "settled")
    if tab not in dict(tabs):
        tab = "settled"

    rows = None
    if tab == "settled":
        rows = selectors.settled_orders(actor=user, account=account, period=period)
    elif tab == "pending":
        rows = selectors.pending_orders(actor=user, period=period)
    elif tab == "clawbacks":
        rows = selectors.journal_lines(account=account, period=period, kinds=[JournalKind.CLAWBACK])
    elif tab == "payouts":
        rows = selectors.payouts_for(account=account, period=period)
    elif tab == "escrow":
        rows = selectors.journal_lines(
            account=account, period=period, kinds=list(selectors.ESCROW_KINDS)
        )
    elif tab == "statement":
        rows = selectors.journal_lines(account=account, period=period)
    elif tab == "creators":
        rows = selectors.sales_by_creator(actor=user, account=account, period=period)
    if tab in ("settled", "pending"):
        # Each row with its split and the viewer's side of it (built for the page only).
        rows = selectors.order_lines(actor=user, orders=rows)
    page = Paginator(rows, FUND_ROWS_PER_PAGE).get_page(request.GET.get("page"))

    summary = selectors.fund_summary(actor=user, account=account, period=period)
    label = _("每日收益") if user.role != Role.MERCHANT else _("每日服务费")
    series = selectors.earnings_by_day(account=account, period=period)
    if user.role == Role.MERCHANT:
        series = [(day, -value) for day, value in series]
    chart = line_chart(
        series,
        title=_("%(label)s（%(start)s 至 %(end)s）") % {"label": label, "start": start, "end": end},
        series_label=label,
    )
    filters = {"date_from": start.isoformat(), "date_to": end.isoformat()}
    payee = user.role in holds.PAYEE_ROLES
    context = {
        # Why payouts are held, and where they go (creators and agencies).
        "payout_holds": holds.holds_for(user) if payee else [],
        "payout_account": current_payout_account_of(actor=user) if payee else None,
        "account": account,
        "summary": summary,
        "chart": chart,
        "form": form,
        "period": period,
        "tab": tab,
        "tabs": tabs,
        "page_obj": page,
        "is_merchant": user.role == Role.MERCHANT,
        "is_agency": user.role == Role.AGENCY,
        "filter_query": urlencode(filters),
        "tab_query": urlencode({**filters, "tab": tab}),
        "export_url": f"{reverse('settlement:fund_export')}?{urlencode(filters)}",
        "today": timezone.localdate(),
        "quick_ranges": _quick_ranges(tab),
    }
    return render(
        request, htmx_template(request, "settlement/fund_account.html", "fund-body"), context
    )


def _quick_ranges(tab: str) -> list[tuple[str, str]]:
    today = timezone.localdate()
    out = []
    for label, days in ((_("近 7 天"), 7), (_("近 30 天"), 30), (_("近 90 天"), 90)):
        q = urlencode(
            {
                "date_from": (today - timedelta(days=days - 1)).isoformat(),
                "date_to": today.isoformat(),
                "tab": tab,
            }
        )
        out.append((label, q))
    first = today.replace(day=1)
    out.append(
        (
            _("本月"),
            urlencode({"date_from": first.isoformat(), "date_to": today.isoformat(), "tab": tab}),
        )
    )
    return out


@require_GET
def fund_export(request: HttpRequest) -> HttpResponse:
    """The statement of the chosen period as CSV (UTF-8 with BOM for spreadsheet apps)."""
    user = request.user
    account = selectors.fund_account_of(actor=user)
    form = FundFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return HttpResponse(
            "; ".join(str(e) for errs in form.errors.values() for e in errs),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    start, end = form.period()
    lines = selectors.statement_lines(account=account, period=selectors.Period(start, end))
    filename = f"hotwave-statement-{user.username}-{start:%Y%m%d}-{end:%Y%m%d}.csv"
    return exports.statement_response(lines, filename=filename)


@require_GET
def fund_order(request: HttpRequest, order_id: str) -> HttpResponse:
    """为什么是这个数: one order's full breakdown, its binding at payment, events and postings."""
    user = request.user
    order = selectors.order_for(actor=user, order_id=order_id)
    attach_titles([order])
    account = selectors.fund_account_of(actor=user)
    line = selectors.order_line(user, order)
    pending_clawback = (
        order.status == OrderStatus.SETTLED and order.refunded != order.settled_refunded
    )
    context = {
        "order": order,
        "shown_refunded": line.shown_refunded,
        "shown_price": line.shown_price,
        "breakdown": line.split,
        "pending_clawback": pending_clawback,
        "mine": line.estimate,
        "journals": selectors.order_journals(actor=user, order=order, account=account),
        "events": list(order.events.order_by("occurred_at", "id")),
        "is_merchant": user.role == Role.MERCHANT,
        "is_agency": user.role == Role.AGENCY,
        "platform_rate": platform_rate(order.rule),
    }
    return render(request, "settlement/fund_order.html", context)
