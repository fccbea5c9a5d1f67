"""Operator admin for cooperation: products and carts (tasks register below)."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from cooperation.models import CartItem, Product
from hotwave.admin import LabelledInputsAdmin, ReadOnlyAdmin


@admin.register(Product)
class ProductAdmin(LabelledInputsAdmin, SimpleHistoryAdmin):
    list_display = ("title", "sku", "merchant", "category", "price", "service_fee_rate", "status")
    list_filter = ("status", "category")
    search_fields = ("title", "sku", "merchant__shop_name", "merchant__user__username")
    list_select_related = ("merchant", "category")
    raw_id_fields = ("merchant",)
    readonly_fields = ("created_at", "updated_at")
    date_hierarchy = "created_at"


@admin.register(CartItem)
class CartItemAdmin(admin.ModelAdmin):
    list_display = ("creator", "product", "added_at")
    search_fields = ("creator__nickname", "product__title", "product__sku")
    list_select_related = ("creator", "product")
    raw_id_fields = ("creator", "product")
    readonly_fields = ("added_at",)


# --- tasks (合作任务) ----------------------------------------------------------------

from cooperation.models import Task, TaskProduct, TaskTransition  # noqa: E402


class TaskProductInline(admin.TabularInline):
    model = TaskProduct
    extra = 0
    can_delete = False
    fields = ("product", "sku", "title", "price", "service_fee_rate")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class TaskTransitionInline(admin.TabularInline):
    model = TaskTransition
    extra = 0
    can_delete = False
    fields = ("at", "action", "actor", "from_state", "to_state", "note")
    readonly_fields = fields
    ordering = ("at", "pk")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    """Read-only for operators: tasks move only through their services (escrow, transitions)."""

    list_display = (
        "id",
        "merchant",
        "creator",
        "state",
        "slot_fee",
        "planned_live_date",
        "activity",
        "created_at",
    )
    list_filter = ("state", "activity")
    search_fields = (
        "=id",
        "merchant__shop_name",
        "merchant__user__username",
        "creator__nickname",
        "creator__user__username",
        "sample_tracking_no",
    )
    list_select_related = ("merchant", "creator", "activity")
    date_hierarchy = "created_at"
    inlines = (TaskProductInline, TaskTransitionInline)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- disputes (争议) ------------------------------------------------------------------

from django.contrib import messages  # noqa: E402
from django.core.exceptions import PermissionDenied  # noqa: E402
from django.http import Http404  # noqa: E402
from django.shortcuts import redirect  # noqa: E402
from django.template.response import TemplateResponse  # noqa: E402
from django.urls import path, reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.html import format_html, format_html_join  # noqa: E402
from django.utils.translation import gettext as _  # noqa: E402
from django.utils.translation import gettext_lazy as _lazy  # noqa: E402

from cooperation.forms.tasks import DisputeDecisionForm  # noqa: E402
from cooperation.models import Dispute, DisputeStatus, TaskEvent  # noqa: E402
from cooperation.selectors.attribution import task_results  # noqa: E402
from cooperation.selectors.tasks import task_timeline  # noqa: E402
from cooperation.services import disputes as dispute_services  # noqa: E402
from hotwave import threads  # noqa: E402
from hotwave.exceptions import DomainError  # noqa: E402
from hotwave.money import format_cny  # noqa: E402


@admin.register(Dispute)
class DisputeAdmin(admin.ModelAdmin):
    """The operators' queue: oldest first; both statements, the timeline, the orders; decide."""

    list_display = (
        "task_reference",
        "reason",
        "opened_by",
        "status",
        "held",
        "opened_at",
        "answer_by",
        "outcome",
        "decided_at",
    )
    list_filter = ("status", "reason", "opened_by", "outcome")
    search_fields = ("=task__id", "task__merchant__shop_name", "task__creator__nickname")
    list_select_related = ("task", "task__merchant", "task__creator")
    ordering = ("opened_at", "pk")
    fieldsets = (
        (_lazy("争议"), {"fields": ("task_reference", "parties", "status", "held", "reason")}),
        (
            _lazy("双方陈述"),
            {
                "fields": (
                    "conversation",
                    "opened_by",
                    "opened_at",
                    "statement",
                    "links",
                    "answer_by",
                    "answer",
                    "answer_links",
                    "answered_at",
                )
            },
        ),
        (_lazy("归因订单"), {"fields": ("attributed_orders",)}),
        (_lazy("流转记录"), {"fields": ("timeline",)}),
        (
            _lazy("裁决"),
            {
                "fields": (
                    "decide_link",
                    "outcome",
                    "creator_percent",
                    "creator_amount",
                    "merchant_amount",
                    "decided_by",
                    "decided_at",
                    "decision_note",
                )
            },
        ),
    )

    @admin.display(description=_lazy("任务编号"), ordering="task_id")
    def task_reference(self, obj):
        return obj.task.reference

    @admin.display(description=_lazy("商家 / 达人"))
    def parties(self, obj):
        return f"{obj.task.merchant.shop_name} / {obj.task.creator.nickname}"

    @admin.display(description=_lazy("归因订单"))
    def attributed_orders(self, obj):
        r = task_results(task=obj.task)
        a = r.attribution
        head = format_html(
            "<p>{} {} · GMV {} · {} {} · {} {} · ROI {}</p>",
            a.count,
            _("笔"),
            format_cny(a.paid),
            _("退款"),
            format_cny(a.refunded),
            _("服务费"),
            format_cny(a.fees),
            r.roi_text,
        )
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    o.order_id,
                    o.sku,
                    timezone.localtime(o.paid_at).strftime("%Y-%m-%d %H:%M"),
                    format_cny(o.amount),
                    format_cny(o.refunded),
                )
                for o in a.orders
            ),
        )
        return format_html("{}<table><tbody>{}</tbody></table>", head, rows)

    @admin.display(description=_lazy("流转记录"))
    def timeline(self, obj):
        task = (
            type(obj.task)
            .objects.prefetch_related("transitions__actor", "events__actor")
            .get(pk=obj.task_id)
        )
        return format_html(
            "<ol>{}</ol>",
            format_html_join(
                "",
                "<li>{} · <strong>{}</strong> {} {} {}</li>",
                (
                    (
                        timezone.localtime(t.at).strftime("%Y-%m-%d %H:%M"),
                        t.title,
                        format_cny(t.amount) if t.amount is not None else "",
                        t.move,
                        t.note,
                    )
                    for t in task_timeline(task=task)
                ),
            ),
        )

    @admin.display(description=_lazy("任务会话"))
    def conversation(self, obj):
        url = threads.dispute_thread_url(obj)
        if url is None:
            return "—"
        return format_html('<a class="button" href="{}">{}</a>', url, _("查看任务会话（只读）"))

    @admin.display(description=_lazy("操作"))
    def decide_link(self, obj):
        if obj.status == DisputeStatus.DECIDED:
            return _("已裁决")
        url = reverse("admin:cooperation_dispute_decide", args=[obj.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("裁决这个争议"))

    def get_readonly_fields(self, request, obj=None):
        return [
            *(f.name for f in self.model._meta.fields),
            "task_reference",
            "parties",
            "attributed_orders",
            "timeline",
            "decide_link",
            "conversation",
        ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        urls = super().get_urls()
        decide = path(
            "<int:pk>/decide/",
            self.admin_site.admin_view(self.decide_view),
            name="cooperation_dispute_decide",
        )
        return [decide, *urls]

    def decide_view(self, request, pk: int):
        """Release / return / split, with the reason: posted once through the ledger."""
        if not request.user.has_perm(dispute_services.DECIDE_PERMISSION):
            raise PermissionDenied
        dispute = (
            Dispute.objects.select_related("task__merchant", "task__creator").filter(pk=pk).first()
        )
        if dispute is None:
            raise Http404
        change_url = reverse("admin:cooperation_dispute_change", args=[pk])
        form = DisputeDecisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                dispute_services.dispute_decide(
                    task=dispute.task_id,
                    actor=request.user,
                    outcome=form.cleaned_data["outcome"],
                    percent=form.cleaned_data.get("percent") or None,
                    note=form.cleaned_data["note"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                dispute.refresh_from_db()
                self.message_user(
                    request,
                    _("已裁决 %(ref)s：结算给达人 %(c)s，退回商家 %(m)s。")
                    % {
                        "ref": dispute.task.reference,
                        "c": format_cny(dispute.creator_amount),
                        "m": format_cny(dispute.merchant_amount),
                    },
                    messages.SUCCESS,
                )
                return redirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": _("裁决争议 %(ref)s") % {"ref": dispute.task.reference},
            "dispute": dispute,
            "form": form,
            "opts": self.model._meta,
            "change_url": change_url,
            "held": format_cny(dispute.held),
        }
        return TemplateResponse(request, "admin/cooperation/dispute/decide.html", context)


@admin.register(TaskEvent)
class TaskEventAdmin(admin.ModelAdmin):
    list_display = ("task", "kind", "party", "stage", "due_at", "amount", "at")
    list_filter = ("kind", "party")
    search_fields = ("=task__id",)
    list_select_related = ("task",)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- ratings (评价) -------------------------------------------------------------------

from django import forms as _forms  # noqa: E402

from cooperation.models import Rating  # noqa: E402
from cooperation.services import ratings as rating_services  # noqa: E402


class RatingModerationForm(_forms.ModelForm):
    """Only the hiding of the text is editable; the stars never are."""

    class Meta:
        model = Rating
        fields = ("text_hidden", "hidden_reason")

    def clean(self):
        data = super().clean()
        if self.instance.text_hidden and not data.get("text_hidden"):
            raise _forms.ValidationError(_("已隐藏的评价内容不能恢复显示。"))
        hiding = data.get("text_hidden") and not self.instance.text_hidden
        if hiding and not (data.get("hidden_reason") or "").strip():
            self.add_error("hidden_reason", _("请填写隐藏原因。"))
        return data


@admin.register(Rating)
class RatingAdmin(SimpleHistoryAdmin):
    """评价: operators read them and may hide an abusive text (audited); stars stay as given."""

    form = RatingModerationForm
    list_display = (
        "task_reference",
        "rater_party",
        "merchant",
        "creator",
        "stars",
        "text_hidden",
        "created_at",
    )
    list_filter = ("rater_party", "stars", "text_hidden")
    search_fields = ("=task__id", "merchant__shop_name", "creator__nickname", "text")
    list_select_related = ("task", "merchant", "creator")
    date_hierarchy = "created_at"
    readonly_fields = (
        "task_reference",
        "rater_party",
        "rater",
        "merchant",
        "creator",
        "stars",
        "text",
        "created_at",
        "updated_at",
        "hidden_by",
        "hidden_at",
    )
    fields = (*readonly_fields, "text_hidden", "hidden_reason")

    @admin.display(description=_lazy("任务编号"), ordering="task_id")
    def task_reference(self, obj):
        return obj.task.reference

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        # Hiding goes through the service (permission, who, when, why); nothing else changes.
        if form.cleaned_data.get("text_hidden") and "text_hidden" in form.changed_data:
            try:
                rating_services.rating_hide_text(
                    rating=obj, actor=request.user, reason=form.cleaned_data["hidden_reason"]
                )
            except DomainError as exc:
                raise PermissionDenied(str(exc)) from exc


# --- scorecards (成绩单): written by the recompute only --------------------------------

# --- promotion plans (推广计划) and the rate reconciliation -------------------------------
from cooperation.models import (  # noqa: E402  # noqa: E402
    CreatorScorecard,
    MerchantScorecard,
    PlanApplication,
    PlanRate,
    PromotionPlan,
    SampleQuota,
    SampleRequest,
)
from cooperation.selectors.reconciliation import RECONCILE_DAYS, rate_mismatches  # noqa: E402

# Plans move only through their services (merchants), scorecards only through the
# recompute: operators look (hotwave.admin.ReadOnlyAdmin).


@admin.register(CreatorScorecard)
class CreatorScorecardAdmin(ReadOnlyAdmin):
    list_display = (
        "creator",
        "tasks_completed",
        "fulfilment_rate",
        "on_time_rate",
        "gmv_per_session",
        "rating_avg",
        "rating_count",
        "disputes_against",
        "computed_at",
    )
    search_fields = ("creator__nickname", "creator__user__username")
    list_select_related = ("creator",)


@admin.register(MerchantScorecard)
class MerchantScorecardAdmin(ReadOnlyAdmin):
    list_display = (
        "merchant",
        "tasks_completed",
        "on_time_shipping_rate",
        "rating_avg",
        "rating_count",
        "typical_slot_fee",
        "disputes_against",
        "computed_at",
    )
    search_fields = ("merchant__shop_name", "merchant__user__username")
    list_select_related = ("merchant",)


class PlanRateInline(admin.TabularInline):
    model = PlanRate
    extra = 0
    can_delete = False
    readonly_fields = ("rate", "announced_at", "effective_from")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PromotionPlan)
class PromotionPlanAdmin(ReadOnlyAdmin):
    list_display = ("product", "kind", "creator", "min_level", "min_fans", "created_at", "ended_at")
    list_filter = ("kind",)
    search_fields = ("product__title", "product__sku", "product__merchant__shop_name")
    list_select_related = ("product", "creator")
    inlines = [PlanRateInline]
    change_list_template = "admin/cooperation/promotionplan/change_list.html"

    def get_urls(self):
        return [
            path(
                "reconciliation/",
                self.admin_site.admin_view(self.reconciliation_view),
                name="cooperation_promotionplan_reconciliation",
            ),
            *super().get_urls(),
        ]

    def reconciliation_view(self, request):
        from django.core.exceptions import PermissionDenied

        if not self.has_view_permission(request):
            raise PermissionDenied
        rows = rate_mismatches()
        context = {
            **self.admin_site.each_context(request),
            "title": _("费率对账"),
            "opts": self.model._meta,
            "rows": rows,
            "days": RECONCILE_DAYS,
        }
        return TemplateResponse(
            request, "admin/cooperation/promotionplan/reconciliation.html", context
        )


@admin.register(PlanApplication)
class PlanApplicationAdmin(ReadOnlyAdmin):
    list_display = ("plan", "creator", "status", "applied_at", "decided_at", "reason")
    list_filter = ("status",)
    search_fields = ("creator__nickname", "plan__product__title")
    list_select_related = ("plan", "plan__product", "creator")


@admin.register(SampleQuota)
class SampleQuotaAdmin(ReadOnlyAdmin):
    list_display = ("product", "quota", "min_level", "min_fans", "updated_at")
    search_fields = ("product__title", "product__sku")
    list_select_related = ("product",)


@admin.register(SampleRequest)
class SampleRequestAdmin(ReadOnlyAdmin):
    list_display = ("product", "creator", "planned_live_date", "status", "task", "requested_at")
    list_filter = ("status",)
    search_fields = ("creator__nickname", "product__title")
    list_select_related = ("product", "creator", "task")
