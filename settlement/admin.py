"""Operator admin for settlement: read-only money rows, settlement runs and reconcile.

Money rows (orders, events, bindings, journals, postings, payouts, escrow) can
be searched and viewed, never added, changed or deleted here: they move only
through the services. Operators can run ``reconcile`` from the settlement-run
list (an action, and a button on the list page), and verify or reject the
payout accounts (收款账户) parties add.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from hotwave.exceptions import DomainError
from hotwave.money import format_cny
from settlement.models import (
    Account,
    Binding,
    EscrowHold,
    FundsShortfall,
    Journal,
    MerchantFunds,
    Order,
    OrderEvent,
    Payout,
    PayoutAccount,
    PayoutBatch,
    PayoutResultImport,
    Posting,
    SettlementRun,
    TopUp,
)
from settlement.selectors.merchant_funds import funds_of
from settlement.services import funding
from settlement.services import payout_accounts as payout_account_services
from settlement.services import payouts as payout_services
from settlement.services.reconcile import reconcile


class ReadOnlyAdmin(admin.ModelAdmin):
    """View and search only: no add, change, delete or bulk delete."""

    list_per_page = 50
    show_full_result_count = False  # COUNT(*) over millions of rows on every page is wasteful

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Also removes the bulk "delete selected" action.
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ("type", "occurred_at", "amount", "source", "received_at")
    readonly_fields = fields


class JournalInline(ReadOnlyInline):
    model = Journal
    fields = ("key", "kind", "sequence", "business_date", "basis_price", "created_at")
    readonly_fields = fields


class PostingInline(ReadOnlyInline):
    model = Posting
    fields = ("account", "amount")
    readonly_fields = fields
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account__user")


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = (
        "order_id",
        "merchant",
        "creator",
        "product_sku",
        "amount",
        "refunded",
        "service_fee_rate",
        "rule",
        "agency",
        "agency_share",
        "status",
        "paid_at",
        "settled_on",
    )
    list_filter = ("status", "rule", "settled_on")
    search_fields = (
        "order_id",
        "product_sku",
        "merchant__user__username",
        "merchant__shop_name",
        "creator__user__username",
        "creator__nickname",
        "agency__user__username",
    )
    list_select_related = ("merchant", "creator", "agency")
    date_hierarchy = "paid_at"
    inlines = [EventInline, JournalInline]


@admin.register(OrderEvent)
class OrderEventAdmin(ReadOnlyAdmin):
    list_display = ("type", "order", "binding", "amount", "occurred_at", "source", "received_at")
    list_filter = ("type", "source")
    search_fields = ("order__order_id", "key")
    list_select_related = ("order", "binding__creator", "binding__agency")
    date_hierarchy = "occurred_at"


@admin.register(Binding)
class BindingAdmin(ReadOnlyAdmin):
    list_display = (
        "creator",
        "agency",
        "agency_share",
        "status",
        "source",
        "valid_from",
        "valid_to",
        "invited_at",
        "consented_at",
    )
    list_filter = ("status", "source")
    search_fields = (
        "creator__user__username",
        "creator__nickname",
        "agency__user__username",
        "agency__name",
    )
    list_select_related = ("creator", "agency")


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "kind", "user", "created_at")
    list_filter = ("kind",)
    search_fields = ("user__username",)
    list_select_related = ("user",)


@admin.register(Journal)
class JournalAdmin(ReadOnlyAdmin):
    list_display = (
        "key",
        "kind",
        "order",
        "sequence",
        "business_date",
        "basis_price",
        "created_at",
    )
    list_filter = ("kind", "business_date")
    search_fields = ("key", "order__order_id", "memo")
    list_select_related = ("order",)
    inlines = [PostingInline]


@admin.register(Posting)
class PostingAdmin(ReadOnlyAdmin):
    list_display = ("journal", "account", "amount")
    list_filter = ("journal__kind", "account__kind")
    search_fields = ("journal__key", "account__user__username", "journal__order__order_id")
    list_select_related = ("journal", "account__user")


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    """Payout items (打款): each one's status, batch and, when it failed, why."""

    list_display = (
        "pk",
        "account",
        "business_date",
        "amount",
        "status",
        "batch",
        "failure_reason",
        "result_at",
    )
    list_filter = ("status", "business_date", "account__kind")
    search_fields = ("=id", "account__user__username")
    list_select_related = ("account__user", "batch")


class PayoutItemInline(ReadOnlyInline):
    model = Payout
    fields = ("account", "amount", "status", "account_name", "failure_reason", "result_at")
    readonly_fields = fields


class PayoutBatchExportForm(forms.Form):
    business_date = forms.DateField(
        label=_("业务日期"), widget=forms.DateInput(attrs={"type": "date"})
    )


class PayoutResultsUploadForm(forms.Form):
    file = forms.FileField(
        label=_("打款结果文件"),
        help_text=_("CSV（UTF-8）：item_id,status,reason，status 为 成功 或 失败。"),
    )


@admin.register(PayoutBatch)
class PayoutBatchAdmin(ReadOnlyAdmin):
    """打款批次: operators export a date's batch, download its file and upload results.

    Both writes go through ``services.payouts`` (the same as the commands) and are
    recorded: the batch with who exported it, each result file as a
    PayoutResultImport with who uploaded it and the report.
    """

    list_display = ("business_date", "item_count", "total", "exported_at", "exported_by")
    search_fields = ("business_date",)
    list_select_related = ("exported_by",)
    readonly_fields = (
        "business_date",
        "item_count",
        "total",
        "exported_at",
        "exported_by",
        "sha256",
    )
    fields = readonly_fields
    inlines = [PayoutItemInline]
    change_list_template = "admin/settlement/payoutbatch/change_list.html"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("export/", view(self.export_view), name="settlement_payoutbatch_export"),
            path("upload/", view(self.upload_view), name="settlement_payoutbatch_upload"),
            path(
                "<int:pk>/download/",
                view(self.download_view),
                name="settlement_payoutbatch_download",
            ),
            *super().get_urls(),
        ]

    def _may_act(self, request) -> bool:
        # Exporting and importing never edit a row by hand: each is recorded (the batch
        # with who exported it, a PayoutResultImport per file), so seeing both suffices.
        return request.user.has_perm("settlement.view_payoutbatch") and request.user.has_perm(
            "settlement.view_payoutresultimport"
        )

    def export_view(self, request):
        if not self._may_act(request) or request.method != "POST":
            raise PermissionDenied
        form = PayoutBatchExportForm(request.POST)
        if not form.is_valid():
            self.message_user(request, gettext("请选择业务日期。"), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:settlement_payoutbatch_changelist"))
        batch = payout_services.payout_batch_export(
            business_date=form.cleaned_data["business_date"], actor=request.user
        )
        self.message_user(
            request,
            gettext("批次 %(day)s：%(n)s 笔，共 %(total)s；可下载批量打款文件。")
            % {"day": batch.business_date, "n": batch.item_count, "total": format_cny(batch.total)},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:settlement_payoutbatch_change", args=[batch.pk]))

    def download_view(self, request, pk: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        batch = PayoutBatch.objects.filter(pk=pk).first()
        if batch is None:
            raise Http404
        response = HttpResponse(batch.content, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{batch.file_name}"'
        return response

    def upload_view(self, request):
        if not self._may_act(request):
            raise PermissionDenied
        form = PayoutResultsUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            tally = payout_services.payout_results_import(
                content=upload.read(), file_name=upload.name, actor=request.user
            )
            for line in tally.lines:
                self.message_user(request, line, messages.ERROR)
            self.message_user(
                request,
                gettext("结果已导入：接受 %(a)s，重复 %(d)s，拒绝 %(r)s（%(summary)s）。")
                % {
                    "a": tally.accepted,
                    "d": tally.duplicates,
                    "r": tally.rejected,
                    "summary": tally.summary,
                },
                messages.WARNING if tally.rejected else messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:settlement_payoutbatch_upload"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "title": gettext("上传打款结果"),
        }
        return TemplateResponse(request, "admin/settlement/payoutbatch/upload.html", context)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "export_form": PayoutBatchExportForm(),
            "may_act": self._may_act(request),
        }
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "download_url": reverse("admin:settlement_payoutbatch_download", args=[object_id]),
        }
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(PayoutResultImport)
class PayoutResultImportAdmin(ReadOnlyAdmin):
    list_display = (
        "file_name",
        "imported_at",
        "imported_by",
        "accepted",
        "duplicates",
        "rejected",
    )
    list_select_related = ("imported_by",)
    search_fields = ("file_name", "sha256")


@admin.register(EscrowHold)
class EscrowHoldAdmin(ReadOnlyAdmin):
    list_display = (
        "key",
        "merchant",
        "creator",
        "amount",
        "status",
        "rule",
        "held_at",
        "closed_at",
    )
    list_filter = ("status", "rule")
    search_fields = ("key", "merchant__user__username", "creator__user__username")
    list_select_related = ("merchant", "creator")


@admin.register(SettlementRun)
class SettlementRunAdmin(ReadOnlyAdmin):
    list_display = (
        "business_date",
        "status",
        "attempts",
        "orders_settled",
        "clawbacks",
        "payouts",
        "payout_total",
        "started_at",
        "finished_at",
    )
    list_filter = ("status",)
    search_fields = ("business_date",)
    actions = ["run_reconcile"]
    change_list_template = "admin/settlement/settlementrun/change_list.html"

    def get_urls(self):
        return [
            path(
                "reconcile/",
                self.admin_site.admin_view(self.reconcile_view),
                name="settlement_settlementrun_reconcile",
            ),
            *super().get_urls(),
        ]

    def _report(self, request) -> None:
        problems = reconcile()
        if not problems:
            self.message_user(
                request, gettext("对账完成：账本平衡，未发现差异。"), messages.SUCCESS
            )
            return
        self.message_user(
            request,
            gettext("对账发现 %(n)s 处差异：") % {"n": len(problems)} + "; ".join(problems[:10]),
            messages.ERROR,
        )

    @admin.action(description=_("运行对账 (reconcile)"))
    def run_reconcile(self, request, queryset):
        self._report(request)

    def reconcile_view(self, request):
        # admin_view only checks is_staff; the button is for those who may see runs.
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            self._report(request)
        return HttpResponseRedirect(reverse("admin:settlement_settlementrun_changelist"))


# --- Payout accounts (收款账户): operators verify -------------------------------------------


@admin.register(PayoutAccount)
class PayoutAccountAdmin(SimpleHistoryAdmin):
    """Operators verify or reject the accounts parties add; nothing else is editable.

    Each decision goes through ``services.payout_accounts`` (the name is checked
    against the real-name record again) and is audited: who, when, old, new.
    """

    list_display = (
        "user",
        "method",
        "holder_name",
        "masked_number",
        "bank_name",
        "status",
        "real_name_record",
        "submitted_at",
        "decided_by",
        "decided_at",
    )
    list_filter = ("status", "method")
    search_fields = ("user__username", "holder_name", "account_number")
    list_select_related = ("user", "user__creator", "user__agency", "decided_by")
    readonly_fields = [f.name for f in PayoutAccount._meta.fields] + ["real_name_record"]
    actions = ["verify_selected", "reject_selected"]

    def has_add_permission(self, request):
        return False  # parties add their own, from 资金账户

    def has_delete_permission(self, request, obj=None):
        return False  # kept as history

    @admin.display(description=_("账号"))
    def masked_number(self, obj) -> str:
        return obj.masked_number

    @admin.display(description=_("平台登记的实名信息"))
    def real_name_record(self, obj) -> str:
        return payout_account_services.real_name_of(obj.user) or "—"

    def _decide(self, request, queryset, decide, done):
        n, errors = 0, []
        for account in queryset.order_by("pk"):
            try:
                decide(account=account, operator=request.user)
                n += 1
            except DomainError as exc:
                errors.append(f"{account.user.username}: {exc.message}")
        if n:
            self.message_user(request, done % {"n": n}, messages.SUCCESS)
        for error in errors:
            self.message_user(request, error, messages.ERROR)

    @admin.action(description=_("核实所选收款账户"), permissions=["change"])
    def verify_selected(self, request, queryset):
        self._decide(
            request,
            queryset,
            payout_account_services.payout_account_verify,
            gettext("已核实 %(n)d 个收款账户（已写入审计历史）。"),
        )

    @admin.action(description=_("驳回所选收款账户（户名或账号有误）"), permissions=["change"])
    def reject_selected(self, request, queryset):
        def reject(*, account, operator):
            return payout_account_services.payout_account_reject(
                account=account,
                operator=operator,
                note=gettext("户名或账号核实未通过，请核对后重新提交。"),
            )

        self._decide(
            request, queryset, reject, gettext("已驳回 %(n)d 个收款账户（已写入审计历史）。")
        )


# --- Merchant funds (money in): credit granted by operators, top-ups, shortfalls ------------


class MerchantFundsForm(forms.ModelForm):
    class Meta:
        model = MerchantFunds
        fields = ("merchant", "credit_limit", "note")

    def clean_credit_limit(self):
        value = self.cleaned_data["credit_limit"]
        if value is not None and value < 0:
            raise forms.ValidationError(gettext("授信额度不能为负数。"))
        return value


@admin.register(MerchantFunds)
class MerchantFundsAdmin(SimpleHistoryAdmin):
    """Operators grant a merchant credit (授信额度); every change is audited (history).

    Only the credit limit and its note are editable, and saving goes through
    ``funding.credit_limit_set``; the balance and available funds are shown from the ledger.
    """

    list_display = ("merchant", "credit_limit", "balance", "available", "note", "updated_at")
    search_fields = ("merchant__user__username", "merchant__shop_name")
    list_select_related = ("merchant",)
    form = MerchantFundsForm
    fields = ("merchant", "credit_limit", "note", "balance", "available", "updated_at")
    readonly_fields = ("balance", "available", "updated_at")
    autocomplete_fields = ("merchant",)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "merchant") if obj is not None else fields

    def has_delete_permission(self, request, obj=None):
        return False  # the credit history stays

    @admin.display(description=_("账户余额"))
    def balance(self, obj) -> str:
        return format_cny(funds_of(obj.merchant_id).balance) if obj.pk else "—"

    @admin.display(description=_("可用资金"))
    def available(self, obj) -> str:
        return format_cny(funds_of(obj.merchant_id).available) if obj.pk else "—"

    def save_model(self, request, obj, form, change):
        row = funding.credit_limit_set(
            merchant=obj.merchant, credit_limit=obj.credit_limit, note=obj.note
        )
        obj.pk = row.pk


@admin.register(TopUp)
class TopUpAdmin(ReadOnlyAdmin):
    list_display = (
        "merchant",
        "amount",
        "status",
        "provider",
        "reference",
        "requested_at",
        "confirmed_at",
    )
    list_filter = ("status", "provider")
    search_fields = ("merchant__user__username", "reference")
    list_select_related = ("merchant",)


@admin.register(FundsShortfall)
class FundsShortfallAdmin(ReadOnlyAdmin):
    list_display = ("merchant", "key", "needed", "available", "at")
    search_fields = ("merchant__user__username", "key")
    list_select_related = ("merchant",)
