"""推广计划: merchants publish and manage plans and answer applications; creators apply."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cooperation.forms.plans import (
    ApplyForm,
    ChosenCreatorForm,
    DecisionForm,
    PlanForm,
    RateForm,
    SampleRequestForm,
    fulfilment_fraction,
)
from cooperation.models import ApplicationStatus, CartItem, PlanKind
from cooperation.selectors import plans as selectors
from cooperation.selectors.access import creator_of, merchant_of
from cooperation.selectors.hot import EarningsEstimator
from cooperation.selectors.plans import threshold_shortfalls, with_best_rate
from cooperation.selectors.products import product_for_creator, product_for_merchant
from cooperation.selectors.samples import sample_eligibility
from cooperation.services import plans as services
from cooperation.services.plans import rate_cut_notice
from cooperation.views.paging import paginate
from hotwave.confirm import Confirmation, back_url, naming, render_confirmation
from hotwave.exceptions import DomainError
from hotwave.templatetags.hw import rate as fmt_rate

APPLICATIONS_PAGE_SIZE = 20


def _refusal(exc: DomainError) -> list[str]:
    return [str(exc.message), *map(str, exc.reasons)]


# --- merchants --------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def product_plans(request, pk: int):
    """One product's plans, with the form publishing a new one."""
    merchant = merchant_of(request.user)
    product = product_for_merchant(actor=request.user, pk=pk)
    form = PlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.plan_create(
                merchant=merchant,
                product=product,
                kind=data["kind"],
                rate=form.rate,
                min_level=data.get("min_level") or 0,
                min_fans=data.get("min_fans") or 0,
                min_fulfilment=fulfilment_fraction(data.get("min_fulfilment_percent")),
                creator=data.get("creator_profile"),
                note=data.get("note") or "",
            )
        except DomainError as exc:
            form.add_error(None, _refusal(exc))
        else:
            messages.success(request, _("推广计划已发布。"))
            return redirect("cooperation:product_plans", pk=product.pk)
    context = {
        "product": product,
        "plans": list(selectors.plans_for_product(actor=request.user, product=product)),
        "form": form,
        "rate_form": RateForm(),
        "notice_hours": int(rate_cut_notice().total_seconds() // 3600),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "cooperation/plans/product_plans.html", context, status=status)


@require_POST
def plan_rate(request, pk: int):
    """Announce a new rate: a raise now, a cut after the notice period."""
    plan = selectors.plan_for_merchant(actor=request.user, pk=pk)
    form = RateForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        try:
            row = services.plan_set_rate(plan=plan, rate=form.rate)
        except DomainError as exc:
            messages.error(request, " ".join(_refusal(exc)))
        else:
            if row.effective_from > row.announced_at:
                messages.success(
                    request,
                    _("费率下调已公布：%(rate)s 将在通知期结束后生效，此前的订单保留原费率。")
                    % {"rate": fmt_rate(row.rate)},
                )
            else:
                messages.success(
                    request, _("费率已调整为 %(rate)s，立即生效。") % {"rate": fmt_rate(row.rate)}
                )
    return redirect("cooperation:product_plans", pk=plan.product_id)


@require_http_methods(["GET", "POST"])
def plan_end(request, pk: int):
    plan = selectors.plan_for_merchant(actor=request.user, pk=pk)
    back = reverse("cooperation:product_plans", args=[plan.product_id])
    if request.method == "GET":
        return render_confirmation(
            request,
            Confirmation(
                title=naming(_("结束「%(title)s」的这个计划？"), title=plan.product.title),
                body=_(
                    "结束和降低费率一样，要在通知期（%(hours)s 小时）后才生效；"
                    "在此之前支付的订单仍按计划费率结算，带货中的达人会收到提醒。"
                )
                % {"hours": int(rate_cut_notice().total_seconds() // 3600)},
                action=reverse("cooperation:plan_end", args=[plan.pk]),
                button=_("结束计划"),
                back=back_url(request, back),
                style="btn--danger",
                facts=[
                    (_("计划类型"), plan.get_kind_display()),
                    (_("服务费率"), fmt_rate(plan.in_force)),
                ],
            ),
        )
    services.plan_end(plan=plan)
    messages.success(request, _("计划将在通知期结束后停止。"))
    return redirect(back)


@require_http_methods(["GET", "POST"])
def plan_creators(request, pk: int):
    """指定达人 of a 定向计划: search admitted creators, add one by account name, remove."""
    plan = selectors.plan_for_merchant(actor=request.user, pk=pk)
    if plan.kind != PlanKind.TARGETED:
        raise Http404
    form = ChosenCreatorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            application = services.plan_creator_add(plan=plan, handle=form.cleaned_data["handle"])
        except DomainError as exc:
            form.add_error("handle", _refusal(exc))
        else:
            messages.success(
                request,
                _("已把达人「%(name)s」加入名单：计划费率立即对其生效，已通知对方。")
                % {"name": application.creator.nickname},
            )
            return redirect("cooperation:plan_creators", pk=plan.pk)
    q = (request.GET.get("q") or "").strip()[:60]
    context = {
        "plan": plan,
        "product": plan.product,
        "form": form,
        "q": q,
        "found": selectors.creators_to_choose(plan=plan, q=q),
        "members": list(selectors.plan_members(plan=plan)),
        "notice_hours": int(rate_cut_notice().total_seconds() // 3600),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "cooperation/plans/plan_creators.html", context, status=status)


@require_http_methods(["GET", "POST"])
def plan_creator_remove(request, pk: int, application_pk: int):
    plan = selectors.plan_for_merchant(actor=request.user, pk=pk)
    member = get_object_or_404(selectors.plan_members(plan=plan), pk=application_pk)
    back = reverse("cooperation:plan_creators", args=[plan.pk])
    if request.method == "GET":
        return render_confirmation(
            request,
            Confirmation(
                title=naming(_("把「%(name)s」移出名单？"), name=member.creator.nickname),
                body=_(
                    "移出和降低费率一样，要在通知期（%(hours)s 小时）后才生效；"
                    "在此之前支付的订单仍按计划费率结算，达人会收到提醒。"
                )
                % {"hours": int(rate_cut_notice().total_seconds() // 3600)},
                action=reverse("cooperation:plan_creator_remove", args=[plan.pk, member.pk]),
                button=_("移出名单"),
                back=back_url(request, back),
                style="btn--danger",
                facts=[
                    (_("商品"), plan.product.title),
                    (_("服务费率"), fmt_rate(plan.in_force)),
                ],
            ),
        )
    try:
        services.plan_creator_remove(application=member)
    except DomainError as exc:
        messages.error(request, " ".join(_refusal(exc)))
    else:
        messages.success(request, _("达人将在通知期结束后移出名单。"))
    return redirect(back)


@require_GET
def application_list(request):
    """Applications to the merchant's 定向计划; ``?status=pending`` is the to-do."""
    status = request.GET.get("status", "")
    if status not in ApplicationStatus.values:
        status = ""
    qs = selectors.applications_for_merchant(actor=request.user, status=status or None)
    page = paginate(request, qs, per_page=APPLICATIONS_PAGE_SIZE)
    context = {"page": page, "status": status, "statuses": ApplicationStatus.choices}
    return render(request, "cooperation/plans/applications.html", context)


@require_POST
def application_decide(request, pk: int):
    application = selectors.application_for_merchant(actor=request.user, pk=pk)
    form = DecisionForm(request.POST)
    back = reverse("cooperation:application_list") + "?status=pending"
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        services.application_decide(
            application=application, approve=approve, reason=form.cleaned_data.get("reason") or ""
        )
    except DomainError as exc:
        messages.error(request, " ".join(_refusal(exc)))
    else:
        name = application.creator.nickname
        if approve:
            messages.success(request, _("已通过「%(name)s」的申请。") % {"name": name})
        else:
            messages.success(request, _("已拒绝「%(name)s」的申请。") % {"name": name})
    return redirect(back)


# --- creators ---------------------------------------------------------------------


@require_GET
def product_plans_for_creator(request, product_pk: int):
    """A product's plans as a creator sees them: the rate that applies, and what to apply for."""
    creator = creator_of(request.user)
    product = product_for_creator(actor=request.user, pk=product_pk)
    product = (
        with_best_rate(
            type(product).objects.filter(pk=product.pk).select_related("merchant", "category"),
            creator=creator,
        )
        .annotate(
            in_cart=Exists(CartItem.objects.filter(creator=creator, product_id=OuterRef("pk")))
        )
        .get()
    )
    estimator = EarningsEstimator(creator)
    product.estimate = estimator.estimate(product)
    plans = selectors.plans_visible_to(actor=request.user, product=product)
    for plan in plans:
        plan.shortfalls = (
            threshold_shortfalls(plan, creator) if plan.kind == PlanKind.TARGETED else []
        )
    context = {
        "product": product,
        "plans": plans,
        "estimator": estimator,
        "apply_form": ApplyForm(),
        "samples": sample_eligibility(product=product, creator=creator),
        "sample_form": SampleRequestForm(),
    }
    return render(request, "cooperation/plans/creator_plans.html", context)


@require_POST
def plan_apply(request, pk: int):
    creator = creator_of(request.user)
    plan = selectors.plan_for_creator(actor=request.user, pk=pk)
    form = ApplyForm(request.POST)
    back = reverse("cooperation:product_plans_for_creator", args=[plan.product_id])
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    try:
        services.plan_apply(
            plan=plan, creator=creator, message=form.cleaned_data.get("message") or ""
        )
    except DomainError as exc:
        messages.error(request, " ".join(_refusal(exc)))
    else:
        messages.success(request, _("申请已提交，商家处理后会在这里显示结果。"))
    return redirect(back)
