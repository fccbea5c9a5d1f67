"""准入中心: the verdict, the checklist and what a party can do about it itself.

Views translate HTTP only: scoped selector → form → one service → render/redirect.
Nothing here accepts a verification flag; those change only in the operator admin.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from admission import product_titles, rules, selectors, services
from admission.forms import (
    AgreementSignForm,
    AssessmentRequestForm,
    OperatingAccountForm,
    PermissionRequestForm,
)
from admission.models import Role, SellerType
from hotwave.clientip import client_ip
from hotwave.confirm import Confirmation, naming, render_confirmation
from hotwave.exceptions import DomainError
from hotwave.http import htmx_template
from hotwave.ratelimit import hit, parse_rate

PARTY_ROLES = (Role.MERCHANT, Role.CREATOR, Role.AGENCY, Role.PROVIDER)
PRODUCTS_PER_PAGE = 10


def _party(request: HttpRequest):
    """The signed-in party's profile; operators and profile-less accounts get a 404."""
    user = request.user
    if user.role not in PARTY_ROLES or user.profile is None:
        raise Http404
    return user.profile


def _render_center(request: HttpRequest, *, status: int = 200, **forms) -> HttpResponse:
    user = request.user
    profile = _party(request)
    verdict = rules.evaluate(user)
    agreement = rules.current_agreement()
    signatures = list(selectors.signatures_for(user=user))
    signed_current = next(
        (s for s in signatures if agreement and s.agreement_id == agreement.pk), None
    )
    context = {
        "profile": profile,
        "verdict": verdict,
        "agreement": agreement,
        "signatures": signatures,
        "signed_current": signed_current,
        "sign_form": forms.get("sign_form")
        or AgreementSignForm(initial={"version": agreement.version if agreement else ""}),
        "activities": list(selectors.open_activities_for(user=user)),
        "compliances": list(selectors.compliances_for(user=user)),
        "show": request.GET.get("show", ""),
    }
    if user.role == Role.MERCHANT:
        context["is_tmall"] = profile.seller_type == SellerType.TMALL
        if context["is_tmall"]:
            context["operating_form"] = forms.get("operating_form") or OperatingAccountForm()
            context["operating_pending"] = selectors.pending_operating_request_of(shop=profile)
        context["operating_requests"] = list(selectors.pending_operating_requests_for(user=user))
        context["operated_shops"] = list(selectors.shops_operated_by(user=user))
        page = Paginator(
            selectors.restricted_products_for(merchant=profile), PRODUCTS_PER_PAGE
        ).get_page(request.GET.get("page"))
        page.object_list = selectors.with_product_titles(page.object_list, merchant=profile)
        context["products_page"] = page
        context["permission_form_pk"] = forms.get("permission_form_pk")
        context["permission_form"] = forms.get("permission_form") or PermissionRequestForm()
    if user.role in rules.ASSESSED_ROLES:
        context["assessment"] = selectors.latest_assessment_for(user=user)
        context["assessment_form"] = forms.get("assessment_form") or AssessmentRequestForm()
    template = htmx_template(request, "admission/center.html", "checklist")
    return render(request, template, context, status=status)


@require_GET
def center(request: HttpRequest) -> HttpResponse:
    return _render_center(request)


def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    messages.error(request, exc.message)
    return redirect("admission:center")


@require_POST
def agreement_sign(request: HttpRequest) -> HttpResponse:
    _party(request)
    form = AgreementSignForm(request.POST)
    if not form.is_valid():
        return _render_center(request, status=400, sign_form=form)
    try:
        signature = services.agreement_sign(
            user=request.user,
            version=form.cleaned_data["version"],
            ip_address=client_ip(request),
        )
    except services.FieldError as exc:
        form.add_error(None, exc.message)
        return _render_center(request, status=400, sign_form=form)
    except DomainError as exc:
        return _domain_error(request, exc)
    messages.success(
        request, _("已签署授权协议（版本 %(v)s）。") % {"v": signature.agreement.version}
    )
    return redirect(f"{_center_url()}#agreement")


def _center_url() -> str:
    from django.urls import reverse

    return reverse("admission:center")


@require_POST
def operating_designate(request: HttpRequest) -> HttpResponse:
    profile = _party(request)
    if request.user.role != Role.MERCHANT or profile.seller_type != SellerType.TMALL:
        raise Http404
    form = OperatingAccountForm(request.POST)
    # Every attempt counts, per shop: naming accounts one after another is slowed down.
    rate = parse_rate(settings.OPERATING_DESIGNATE_RATE)
    if rate is not None and hit("operating-designate", str(profile.pk), rate) is not None:
        form.is_valid()
        form.add_error(None, _("指定运营账户的次数过多，请稍后再试。"))
        return _render_center(request, status=429, operating_form=form)
    if not form.is_valid():
        return _render_center(request, status=400, operating_form=form)
    try:
        services.operating_account_designate(shop=profile, username=form.cleaned_data["username"])
    except services.FieldError as exc:
        form.add_error("username", exc.message)
        return _render_center(request, status=400, operating_form=form)
    except DomainError as exc:
        return _domain_error(request, exc)
    # The same answer whatever the name is: only the named account learns, when it
    # confirms, whether it can act for the shop.
    messages.success(
        request,
        _(
            "已向 %(u)s 发出运营账户邀请。请用该账户登录准入中心确认；"
            "确认时会核对它是否为已实名认证、已签署授权协议的淘宝卖家账户。"
        )
        % {"u": form.cleaned_data["username"]},
    )
    return redirect(f"{_center_url()}#operating")


@require_http_methods(["GET", "POST"])
def operating_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    _party(request)
    if decision not in ("accept", "decline"):
        raise Http404
    req = selectors.operating_request_for(user=request.user, pk=pk)
    if request.method == "GET":
        return render_confirmation(request, _operating_confirmation(req, decision))
    try:
        services.operating_request_decide(
            request=req, actor=request.user, accept=decision == "accept"
        )
    except DomainError as exc:
        return _domain_error(request, exc)
    if decision == "accept":
        messages.success(
            request, _("你已成为「%(shop)s」的运营账户。") % {"shop": req.shop.shop_name}
        )
    else:
        messages.success(
            request, _("已拒绝「%(shop)s」的运营账户邀请。") % {"shop": req.shop.shop_name}
        )
    return redirect(f"{_center_url()}#operating-requests")


def _operating_confirmation(req, decision: str) -> Confirmation:
    """Answering a Tmall shop's request cannot be taken back: asked once (hotwave/confirm.py)."""
    shop = req.shop.shop_name
    if decision == "accept":
        title = naming(_("担任「%(shop)s」的运营账户？"), shop=shop)
        body = naming(
            _(
                "确认后，你的支付宝实名认证和授权协议签署将作为「%(shop)s」的准入条件；"
                "之后由该店铺决定是否更换运营账户。"
            ),
            shop=shop,
        )
        button, style = _("确认担任"), "btn--primary"
    else:
        title = naming(_("拒绝「%(shop)s」的运营账户邀请？"), shop=shop)
        body = _("拒绝后这份邀请关闭，不能撤回；店铺可以重新邀请你。")
        button, style = _("拒绝"), "btn--danger"
    return Confirmation(
        title=title,
        body=body,
        action=reverse("admission:operating_decide", args=[req.pk, decision]),
        button=button,
        back=f"{_center_url()}#operating-requests",
        style=style,
        facts=[
            (_("店铺"), shop),
            (_("邀请时间"), localtime(req.created_at).strftime("%Y-%m-%d %H:%M")),
        ],
    )


@require_POST
def assessment_request(request: HttpRequest) -> HttpResponse:
    _party(request)
    if request.user.role not in rules.ASSESSED_ROLES:
        raise Http404
    form = AssessmentRequestForm(request.POST)
    if not form.is_valid():
        return _render_center(request, status=400, assessment_form=form)
    try:
        services.assessment_request(user=request.user, note=form.cleaned_data["note"])
    except DomainError as exc:
        return _domain_error(request, exc)
    messages.success(request, _("已提交准入考核申请，平台运营审核后会更新结果。"))
    return redirect(f"{_center_url()}#assessment")


@require_POST
def product_permission_request(request: HttpRequest, pk: int) -> HttpResponse:
    profile = _party(request)
    if request.user.role != Role.MERCHANT:
        raise Http404
    restricted = selectors.restricted_product_for(merchant=profile, pk=pk)
    form = PermissionRequestForm(request.POST)
    if not form.is_valid():
        return _render_center(
            request, status=400, permission_form=form, permission_form_pk=restricted.pk
        )
    try:
        services.product_permission_request(
            merchant=profile, restricted=restricted, note=form.cleaned_data["note"]
        )
    except DomainError as exc:
        return _domain_error(request, exc)
    title = product_titles.title_of(profile.pk, restricted.sku)
    messages.success(request, _("已提交商品「%(title)s」的推广权限申请。") % {"title": title})
    return redirect(f"{_center_url()}#products")
