"""合作任务: the task lists of both sides, the task page, its actions, and 我要合作.

Views translate HTTP only: scoped selector → form → one service → render or redirect.
An htmx request gets the page's partial; without JavaScript the same URLs work
with full pages (POST → redirect → GET).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from admission.exceptions import NotAdmitted, ProductRestricted
from cooperation.forms.ratings import RatingForm
from cooperation.forms.tasks import (
    CARRIERS,
    CounterOfferForm,
    DisputeAnswerForm,
    DisputeForm,
    ReasonForm,
    ReportLiveForm,
    ShipSampleForm,
    cooperate_form_context,
)
from cooperation.models import TaskAction, TaskState
from cooperation.selectors import tasks as selectors
from cooperation.selectors.attribution import task_results
from cooperation.selectors.ratings import task_ratings
from cooperation.selectors.scorecards import merchant_scorecard
from cooperation.services import counter_offers as counter_services
from cooperation.services import disputes as dispute_services
from cooperation.services import ratings as rating_services
from cooperation.services import tasks as services
from cooperation.views.paging import paginate
from hotwave import threads
from hotwave.confirm import Confirmation, render_confirmation
from hotwave.exceptions import DomainError
from hotwave.http import htmx_template
from hotwave.money import format_cny
from hotwave.pagecache import cached_page

PAGE_SIZE = 20


# --- list ------------------------------------------------------------------------


# The same URL answers with a page or (htmx) a partial: caches must keep both apart.
@cached_page
@require_GET
@vary_on_headers("HX-Request")
def task_list(request):
    if not selectors.can_have_tasks(request.user):
        raise Http404
    state = request.GET.get("state", "")
    if state not in TaskState.values:
        state = ""
    due_soon = request.GET.get("due") == "soon"
    countered = {"1": True, "0": False}.get(request.GET.get("countered", ""))
    page = paginate(
        request,
        selectors.tasks_for(
            actor=request.user, state=state or None, due_soon=due_soon, countered=countered
        ),
        per_page=PAGE_SIZE,
    )
    # 未读消息 per row: one aggregate over the page's task threads (消息 provides it).
    rows = list(page.object_list)
    unread = threads.task_unread(actor=request.user, task_ids=[t.pk for t in rows])
    for task in rows:
        task.unread = unread.get(task.pk, 0)
    page.object_list = rows
    counts = selectors.task_state_counts(actor=request.user)
    tabs = [{"state": "", "label": _("全部"), "count": counts["all"]}] + [
        {"state": s, "label": TaskState(s).label, "count": counts[s]} for s in selectors.TAB_STATES
    ]
    context = {
        "page": page,
        "tabs": tabs,
        "state": state,
        "state_label": (
            _("待答复的议价")
            if countered and state == TaskState.INVITED
            else TaskState(state).label
            if state
            else (_("即将到期") if due_soon else "")
        ),
        "is_merchant": request.user.is_merchant,
    }
    return render(
        request, htmx_template(request, "cooperation/tasks/list.html", "results"), context
    )


# --- detail and actions -------------------------------------------------------------


@dataclass(frozen=True)
class ActionSpec:
    form: type[forms.Form] | None
    run: Callable
    done: object  # lazy message shown after success
    button: object  # lazy button label
    style: str = "btn--primary"
    # (question, what happens) for an action that cannot be undone: asked once first.
    confirm: tuple[object, object] | None = None


ACTIONS: dict[str, ActionSpec] = {
    TaskAction.ACCEPT: ActionSpec(
        None,
        lambda task, user, data: services.task_accept(task=task, actor=user),
        gettext_lazy("已接受邀请，坑位费已由平台托管，等待商家寄样。"),
        gettext_lazy("接受邀请"),
        confirm=(
            gettext_lazy("接受这份合作邀请？"),
            gettext_lazy(
                "接受后，商家支付的坑位费 %(fee)s 由平台托管，合作完成后结算给你。"
                "接受后不能再拒绝，只能按流程完成或由商家在寄样前取消。"
            ),
        ),
    ),
    TaskAction.DECLINE: ActionSpec(
        ReasonForm,
        lambda task, user, data: services.task_decline(
            task=task, actor=user, reason=data["reason"]
        ),
        gettext_lazy("已拒绝该邀请。"),
        gettext_lazy("拒绝邀请"),
        "btn--danger",
        confirm=(
            gettext_lazy("拒绝这份合作邀请？"),
            gettext_lazy("拒绝后邀请关闭，不能撤回；商家可以重新发起合作。"),
        ),
    ),
    TaskAction.CANCEL: ActionSpec(
        ReasonForm,
        lambda task, user, data: services.task_cancel(task=task, actor=user, reason=data["reason"]),
        gettext_lazy("合作已取消；已托管的坑位费退回你的资金账户。"),
        gettext_lazy("取消合作"),
        "btn--danger",
        confirm=(
            gettext_lazy("取消这次合作？"),
            gettext_lazy(
                "取消后任务关闭，不能恢复。平台托管的坑位费（如有）全部退回商家的资金账户。"
            ),
        ),
    ),
    TaskAction.SHIP_SAMPLE: ActionSpec(
        ShipSampleForm,
        lambda task, user, data: services.task_ship_sample(
            task=task, actor=user, carrier=data["carrier"], tracking_no=data["tracking_no"]
        ),
        gettext_lazy("已登记寄样，等待达人签收。"),
        gettext_lazy("确认寄样"),
    ),
    TaskAction.CONFIRM_RECEIPT: ActionSpec(
        None,
        lambda task, user, data: services.task_confirm_receipt(task=task, actor=user),
        gettext_lazy("已确认签收样品，请按计划直播。"),
        gettext_lazy("确认签收"),
        confirm=(
            gettext_lazy("确认已收到样品？"),
            gettext_lazy("确认后任务进入待直播，不能撤回。请在真正收到样品后再确认。"),
        ),
    ),
    TaskAction.REPORT_LIVE: ActionSpec(
        ReportLiveForm,
        lambda task, user, data: services.task_report_live(
            task=task, actor=user, live_at=data["live_at"], replay_url=data["replay_url"]
        ),
        gettext_lazy("已提交直播信息，等待商家确认完成。"),
        gettext_lazy("提交直播"),
    ),
    TaskAction.CONFIRM_COMPLETION: ActionSpec(
        None,
        lambda task, user, data: services.task_confirm_completion(task=task, actor=user),
        gettext_lazy("合作已完成，坑位费已结算给达人。"),
        gettext_lazy("确认完成"),
        confirm=(
            gettext_lazy("确认合作完成？"),
            gettext_lazy(
                "确认后，平台托管的坑位费 %(fee)s 立即按达人此刻的机构绑定规则结算，不能撤回。"
            ),
        ),
    ),
    TaskAction.CANCEL_LATE_SHIPPING: ActionSpec(
        ReasonForm,
        lambda task, user, data: services.task_cancel_late(
            task=task,
            actor=user,
            reason=data["reason"],
            action=TaskAction.CANCEL_LATE_SHIPPING,
        ),
        gettext_lazy("合作已取消：商家逾期未寄样，已记录商家违约，坑位费退回商家。"),
        gettext_lazy("逾期未寄样，取消合作"),
        "btn--danger",
        confirm=(
            gettext_lazy("商家逾期未寄样，取消这次合作？"),
            gettext_lazy(
                "取消后任务关闭，不能恢复；商家的逾期记录在案，平台托管的坑位费 %(fee)s 退回商家。"
            ),
        ),
    ),
    TaskAction.CANCEL_LATE_LIVE: ActionSpec(
        ReasonForm,
        lambda task, user, data: services.task_cancel_late(
            task=task, actor=user, reason=data["reason"], action=TaskAction.CANCEL_LATE_LIVE
        ),
        gettext_lazy("合作已取消：达人逾期未直播，已记录达人违约，坑位费已退回你的资金账户。"),
        gettext_lazy("逾期未直播，取消合作"),
        "btn--danger",
        confirm=(
            gettext_lazy("达人逾期未直播，取消这次合作？"),
            gettext_lazy(
                "取消后任务关闭，不能恢复；达人的逾期记录在案，平台托管的坑位费 %(fee)s "
                "全部退回你的资金账户。"
            ),
        ),
    ),
    TaskAction.COUNTER_OFFER: ActionSpec(
        CounterOfferForm,
        lambda task, user, data: counter_services.task_counter(
            task=task,
            actor=user,
            slot_fee=data["slot_fee"],
            mode=data["mode"],
            gmv_target=data.get("gmv_target"),
            planned_live_date=data["planned_live_date"],
            note=data["note"],
        ),
        gettext_lazy("已提出议价，等待商家答复；每份邀请只能议价一次。"),
        gettext_lazy("提出议价"),
        "",
    ),
    TaskAction.ACCEPT_COUNTER: ActionSpec(
        None,
        lambda task, user, data: counter_services.task_accept_counter(task=task, actor=user),
        gettext_lazy("已接受议价：合作按新条件进行，坑位费已由平台托管。"),
        gettext_lazy("接受议价"),
        confirm=(
            gettext_lazy("接受达人的议价？"),
            gettext_lazy(
                "接受后合作按议价的条件进行，你支付的坑位费 %(fee)s 立即由平台托管，"
                "不能再修改条件。"
            ),
        ),
    ),
    TaskAction.DECLINE_COUNTER: ActionSpec(
        ReasonForm,
        lambda task, user, data: counter_services.task_decline_counter(
            task=task, actor=user, reason=data["reason"]
        ),
        gettext_lazy("已拒绝议价，这份邀请已结束。"),
        gettext_lazy("拒绝议价"),
        "btn--danger",
        confirm=(
            gettext_lazy("拒绝达人的议价？"),
            gettext_lazy("拒绝后这份邀请结束，不能撤回；需要时可以重新发起合作。"),
        ),
    ),
    TaskAction.OPEN_DISPUTE: ActionSpec(
        DisputeForm,
        lambda task, user, data: dispute_services.dispute_open(
            task=task,
            actor=user,
            reason=data["reason"],
            statement=data["statement"],
            links=data["links"],
        ),
        gettext_lazy("已发起争议：坑位费已冻结、期限暂停，等待对方回应和运营裁决。"),
        gettext_lazy("发起争议"),
        "btn--danger",
        confirm=(
            gettext_lazy("对这次合作发起争议？"),
            gettext_lazy(
                "发起后任务进入争议中：平台托管的坑位费 %(fee)s 冻结，各项期限暂停，"
                "对方须在 3 天内回应，之后由平台运营裁决。每一方对同一任务只能发起一次争议。"
            ),
        ),
    ),
}

# URL slug of each action (cooperation:task_<slug>).
ACTION_SLUGS = {
    TaskAction.ACCEPT: "accept",
    TaskAction.DECLINE: "decline",
    TaskAction.CANCEL: "cancel",
    TaskAction.SHIP_SAMPLE: "ship",
    TaskAction.CONFIRM_RECEIPT: "receive",
    TaskAction.REPORT_LIVE: "report_live",
    TaskAction.CONFIRM_COMPLETION: "confirm",
    TaskAction.CANCEL_LATE_SHIPPING: "cancel_late_shipping",
    TaskAction.CANCEL_LATE_LIVE: "cancel_late_live",
    TaskAction.OPEN_DISPUTE: "dispute",
    TaskAction.COUNTER_OFFER: "counter",
    TaskAction.ACCEPT_COUNTER: "accept_counter",
    TaskAction.DECLINE_COUNTER: "decline_counter",
}


def _blank_form(spec: ActionSpec, task, data=None):
    """The action's form (bound to ``data`` if given); some start from the task's terms."""
    if spec.form is None:
        return None
    kwargs = {"task": task} if getattr(spec.form, "takes_task", False) else {}
    return spec.form(data, **kwargs) if data is not None else spec.form(**kwargs)


def _panel(task, user, *, failed: str | None = None, form=None, error=None) -> list[dict]:
    """The actions the viewer may take now, each with its (possibly bound) form."""
    viewer = selectors.viewer_of(task=task, actor=user)
    panel = []
    for action in viewer.actions:
        spec = ACTIONS.get(action)
        if spec is None:
            continue
        bound = form if action == failed else None
        panel.append(
            {
                "action": action,
                "url": reverse(f"cooperation:task_{ACTION_SLUGS[action]}", args=[task.pk]),
                "label": spec.button,
                "style": spec.style,
                "form": bound if bound is not None else _blank_form(spec, task),
                "error": error if action == failed else None,
                # Asked first, unless it just failed: then its form is shown as it was sent.
                "confirm": spec.confirm is not None and action != failed,
            }
        )
    # The way forward first; leaving (decline, cancel) last.
    return sorted(panel, key=lambda item: item["style"] == "btn--danger")


def _detail_context(
    task, user, *, answer_form=None, rating_form=None, rating_error=None, **panel_kwargs
) -> dict:
    viewer = selectors.viewer_of(task=task, actor=user)
    dispute = selectors.current_dispute(task=task)
    can_answer = (
        dispute is not None
        and dispute.status == "open"
        and dispute.respondent == viewer.party
        and task.state == TaskState.DISPUTED
    )
    return {
        "task": task,
        "viewer": viewer,
        "panel": _panel(task, user, **panel_kwargs),
        "progress": selectors.task_progress(task=task),
        "hint": selectors.next_step_hint(task=task, party=viewer.party),
        "carriers": CARRIERS,
        "deadline": selectors.deadline_view(task=task, party=viewer.party),
        "dispute": dispute,
        "answer_form": (answer_form or DisputeAnswerForm()) if can_answer else None,
        "results": task_results(task=task),
        "timeline": selectors.task_timeline(task=task),
        "ratings": (ratings := task_ratings(task=task, actor=user)),
        "rating_form": rating_form
        or (
            RatingForm(initial={"stars": ratings.mine.stars, "text": ratings.mine.text})
            if ratings.mine
            else RatingForm()
        ),
        "rating_error": rating_error,
        # 商家记录 on every invitation and task the creator sees.
        "merchant_record": merchant_scorecard(merchant_id=task.merchant_id)
        if viewer.party == "creator"
        else None,
        # Just refused for want of funds: the refusal itself says so, next to the button.
        "funds_shortfall": None
        if panel_kwargs.get("error")
        else selectors.funds_shortfall(task=task),
    }


@require_GET
@vary_on_headers("HX-Request")
def task_results_partial(request, pk: int):
    """The attributed orders, GMV, refunds and ROI: the task page polls it while live."""
    task = selectors.task_for(actor=request.user, pk=pk)
    context = {"task": task, "results": task_results(task=task)}
    if request.htmx:
        return render(request, "cooperation/tasks/detail.html#results", context)
    return redirect(reverse("cooperation:task_detail", args=[pk]) + "#task-results")


@require_http_methods(["POST"])
def task_dispute_answer(request, pk: int):
    """回应争议: the other side's account, within the answer period."""
    task = selectors.task_for(actor=request.user, pk=pk)
    form = DisputeAnswerForm(request.POST)
    error = None
    if form.is_valid():
        try:
            dispute_services.dispute_answer(
                task=task,
                actor=request.user,
                answer=form.cleaned_data["answer"],
                links=form.cleaned_data["answer_links"],
            )
        except DomainError as exc:
            error = exc
        else:
            done = _("已提交回应，等待平台运营裁决。")
            if request.htmx:
                task = selectors.task_for(actor=request.user, pk=pk)
                context = _detail_context(task, request.user)
                context["flash"] = done
                return render(request, "cooperation/tasks/detail.html#task", context)
            messages.success(request, done)
            return redirect("cooperation:task_detail", pk=pk)
    task = selectors.task_for(actor=request.user, pk=pk)
    context = _detail_context(task, request.user, answer_form=form)
    context["answer_error"] = error
    if request.htmx:
        return render(request, "cooperation/tasks/detail.html#task", context)
    return render(request, "cooperation/tasks/detail.html", context, status=400)


@require_http_methods(["POST"])
def task_rate(request, pk: int, edit: bool = False):
    """评价: rate the other side of a completed task (or change it within 24 h)."""
    task = selectors.task_for(actor=request.user, pk=pk)
    form = RatingForm(request.POST)
    error = None
    if form.is_valid():
        service = rating_services.rating_edit if edit else rating_services.rating_create
        try:
            service(
                task=task,
                actor=request.user,
                stars=form.cleaned_data["stars"],
                text=form.cleaned_data["text"],
            )
        except DomainError as exc:
            error = exc
        else:
            done = _("评价已修改。") if edit else _("评价已提交，谢谢！24 小时内可以修改。")
            if request.htmx:
                task = selectors.task_for(actor=request.user, pk=pk)
                context = _detail_context(task, request.user)
                context["flash"] = done
                return render(request, "cooperation/tasks/detail.html#task", context)
            messages.success(request, done)
            return redirect(reverse("cooperation:task_detail", args=[pk]) + "#task-ratings")
    # Refused or invalid: nothing was written; the form shows why, as it was sent.
    context = _detail_context(task, request.user, rating_form=form, rating_error=error)
    if request.htmx:
        return render(request, "cooperation/tasks/detail.html#task", context)
    return render(request, "cooperation/tasks/detail.html", context, status=400)


@cached_page
@require_GET
@vary_on_headers("HX-Request")
def task_detail(request, pk: int):
    task = selectors.task_for(actor=request.user, pk=pk)
    return render(request, "cooperation/tasks/detail.html", _detail_context(task, request.user))


def _confirmation(task, user, action: str) -> Confirmation:
    spec = ACTIONS[action]
    question, body = spec.confirm
    detail = reverse("cooperation:task_detail", args=[task.pk])
    facts = [
        (_("商家"), task.merchant.shop_name),
        (_("达人"), task.creator.nickname),
        (_("合作商品"), _("、").join(item.title for item in task.items.all())),
        (_("坑位费"), format_cny(task.slot_fee)),
    ]
    if task.mode != "fixed":
        facts.append((_("合作模式"), task.get_mode_display()))
    fee = task.slot_fee
    if action == TaskAction.ACCEPT_COUNTER and hasattr(task, "counter_offer"):
        fee = task.counter_offer.slot_fee
        facts += [
            (_("议价：%(what)s") % {"what": what}, f"{was} → {asked}")
            for what, was, asked in task.counter_offer.changes()
        ]
    if action == TaskAction.CONFIRM_COMPLETION and task.slot_fee:
        part = services.creator_part(task)
        if part != task.slot_fee:
            facts.append((_("按目标达成结算"), format_cny(part)))
            facts.append((_("退回商家"), format_cny(task.slot_fee - part)))
        split = selectors.completion_split(task=task, amount=part)
        facts.append((_("达人所得"), format_cny(split.creator)))
        if split.agency:
            facts.append((_("机构所得"), format_cny(split.agency)))
        facts.append((_("平台软件服务费"), format_cny(split.platform)))
    return Confirmation(
        title=str(question),
        body=str(body) % {"fee": format_cny(fee)},
        action=reverse(f"cooperation:task_{ACTION_SLUGS[action]}", args=[task.pk]),
        button=str(spec.button),
        back=detail,
        style=spec.style,
        facts=facts,
        form=_blank_form(spec, task),
    )


@require_http_methods(["GET", "POST"])
def task_transition(request, pk: int, action: str):
    spec = ACTIONS[action]
    if request.method == "GET" and spec.confirm is None:
        return HttpResponseNotAllowed(["POST"])
    task = selectors.task_for(actor=request.user, pk=pk)
    if request.method == "GET":
        # The confirmation of an irreversible action (the page, or the dialog's content).
        if action not in selectors.viewer_of(task=task, actor=request.user).actions:
            messages.info(request, _("这个操作现在不可用：任务状态已经变化。"))
            return redirect("cooperation:task_detail", pk=pk)
        return render_confirmation(request, _confirmation(task, request.user, action))
    form = _blank_form(spec, task, request.POST)
    error = None
    if form is None or form.is_valid():
        try:
            spec.run(task, request.user, form.cleaned_data if form else {})
        except DomainError as exc:
            error = exc
        else:
            if request.htmx:
                task = selectors.task_for(actor=request.user, pk=pk)
                context = _detail_context(task, request.user)
                context["flash"] = spec.done
                return render(request, "cooperation/tasks/detail.html#task", context)
            messages.success(request, spec.done)
            return redirect("cooperation:task_detail", pk=pk)
    # Refused or invalid: nothing changed; show why where the user acted.
    task = selectors.task_for(actor=request.user, pk=pk)
    context = _detail_context(task, request.user, failed=action, form=form, error=error)
    if (
        error is not None
        and action not in selectors.viewer_of(task=task, actor=request.user).actions
    ):
        # The action is no longer available (someone acted first): say so at the top.
        context["refusal"] = error
    if request.htmx:
        return render(request, "cooperation/tasks/detail.html#task", context)
    return render(request, "cooperation/tasks/detail.html", context, status=400)


# --- 我要合作 ----------------------------------------------------------------------

# Where each service refusal belongs on the form.
_CREATE_ERROR_FIELD = {
    "task.no_product": "products",
    "task.product_unavailable": "products",
    "admission.product_restricted": "products",
    "task.past_date": "planned_live_date",
    "task.outside_activity": "planned_live_date",
    "task.bad_slot_fee": "slot_fee",
    "task.bad_gmv_target": "gmv_target",
    "task.bad_mode": "mode",
    "task.bad_ship_days": "ship_days",
    "task.bad_receipt_days": "receipt_days",
    "task.bad_live_grace_days": "live_grace_days",
}


@require_http_methods(["GET", "POST"])
def task_create(request, pk: int):
    creator = selectors.cooperate_target(actor=request.user, creator_pk=pk)
    merchant = request.user.merchant
    initial = None
    again = request.GET.get("again", "")
    if request.method == "GET" and again:
        # 再次合作: pre-filled from one of this merchant's completed tasks with the creator.
        if not (again.isascii() and again.isdigit()) or len(again) > 12:
            raise Http404
        initial = selectors.cooperate_again_initial(
            actor=request.user, pk=int(again), creator_pk=creator.pk
        )
    context = cooperate_form_context(
        merchant=merchant,
        creator=creator,
        data=request.POST if request.method == "POST" else None,
        initial=initial,
    )
    form = context["cooperate_form"]
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                task = services.task_create(
                    actor=request.user,
                    creator=creator,
                    products=list(data["products"]),
                    slot_fee=data["slot_fee"],
                    planned_live_date=data["planned_live_date"],
                    note=data["note"],
                    activity=data["activity"],
                    mode=data["mode"],
                    gmv_target=data.get("gmv_target"),
                    ship_days=data["ship_days"],
                    receipt_days=data["receipt_days"],
                    live_grace_days=data["live_grace_days"],
                )
            except (NotAdmitted, ProductRestricted, DomainError) as exc:
                field = _CREATE_ERROR_FIELD.get(exc.code)
                if field:
                    form.add_error(field, [exc.message, *exc.reasons])
                else:
                    context["cooperate_refusal"] = exc
            else:
                messages.success(
                    request,
                    _("已向「%(name)s」发出合作邀请，等待达人确认。") % {"name": creator.nickname},
                )
                url = reverse("cooperation:task_detail", args=[task.pk])
                if request.htmx:
                    return HttpResponseClientRedirect(url)
                return redirect(url)
        status = 400
    context["creator"] = creator
    if request.htmx:
        # The form swaps itself in place; htmx swaps only 2xx responses.
        return render(request, "cooperation/tasks/_cooperate_form.html", context)
    return render(request, "cooperation/tasks/create.html", context, status=status)
