"""Operator admin for settlement: read-only money rows, settlement runs and reconcile.

Money rows (orders, events, bindings, journals, postings, payouts, escrow) can
be searched and viewed, never added, changed or deleted here: they move only
through the services. Operators can run ``reconcile`` from the settlement-run
list (an action, and a button on the list page).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from settlement.models import (
    Account,
    Binding,
    EscrowHold,
    Journal,
    Order,
    OrderEvent,
    Payout,
    Posting,
    SettlementRun,
)
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
    list_display = ("account", "business_date", "amount", "journal", "created_at")
    list_filter = ("business_date", "account__kind")
    search_fields = ("account__user__username",)
    list_select_related = ("account__user", "journal")


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
