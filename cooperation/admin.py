"""Operator admin for cooperation: products and carts (tasks register below)."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from cooperation.models import CartItem, Product
from hotwave.admin import LabelledInputsAdmin


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
