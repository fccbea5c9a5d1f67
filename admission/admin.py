"""Operator admin for parties. (Admission rules and actions are added by the admission app's admin.)"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from admission.models import Agency, Category, Creator, Merchant, Provider, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "role", "is_active", "last_login", "date_joined")
    list_filter = ("role", "is_active", "is_staff")
    search_fields = ("username", "first_name", "last_name", "email")
    fieldsets = (*DjangoUserAdmin.fieldsets, (_("角色"), {"fields": ("role",)}))
    add_fieldsets = (*DjangoUserAdmin.add_fieldsets, (_("角色"), {"fields": ("role",)}))


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en", "position")
    ordering = ("position",)


@admin.register(Merchant)
class MerchantAdmin(SimpleHistoryAdmin):
    list_display = ("shop_name", "user", "seller_type", "shop_status", "alipay_verified")
    list_filter = ("seller_type", "shop_status", "alipay_verified")
    search_fields = ("shop_name", "user__username")
    list_select_related = ("user",)
    raw_id_fields = ("user", "operating_account")


@admin.register(Creator)
class CreatorAdmin(SimpleHistoryAdmin):
    list_display = (
        "nickname",
        "user",
        "level",
        "fans",
        "avg_viewers",
        "quote",
        "alipay_verified",
        "guangguang_eligible",
    )
    list_filter = ("level", "alipay_verified", "guangguang_eligible", "categories")
    search_fields = ("nickname", "user__username")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    readonly_fields = ("completed_tasks",)


@admin.register(Agency)
class AgencyAdmin(SimpleHistoryAdmin):
    list_display = ("name", "user", "registered_verified", "licence_verified")
    list_filter = ("registered_verified", "licence_verified")
    search_fields = ("name", "user__username")
    list_select_related = ("user",)
    raw_id_fields = ("user",)


@admin.register(Provider)
class ProviderAdmin(SimpleHistoryAdmin):
    list_display = ("company_name", "user", "licence_verified", "linked_agency")
    list_filter = ("licence_verified",)
    search_fields = ("company_name", "user__username")
    list_select_related = ("user", "linked_agency")
    raw_id_fields = ("user", "linked_agency")
