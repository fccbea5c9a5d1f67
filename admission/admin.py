"""Operator admin for parties and admission (SPEC §1–2).

Operators find parties by name, role, verdict and unmet condition; verify or
unverify flags in bulk (through ``services.flags_set`` so each row gets an audit
row); approve assessments; manage activities, compliance, restricted products and
their permissions. Every qualification change is kept by django-simple-history
and shown under each object's "历史" page.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import BooleanField, ExpressionWrapper
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from admission import rules, selectors, services
from admission.models import (
    Activity,
    Agency,
    Agreement,
    AgreementSignature,
    Assessment,
    AssessmentStatus,
    Category,
    Creator,
    MarketingCompliance,
    Merchant,
    OperatingAccountRequest,
    PermissionStatus,
    ProductPermission,
    Provider,
    RestrictedProduct,
    Role,
    ShopStatus,
    User,
)
from hotwave.exceptions import DomainError


class PartyVerdictFilter(admin.SimpleListFilter):
    title = _("准入结果")
    parameter_name = "admitted"

    def lookups(self, request, model_admin):
        return [("yes", _("已准入")), ("no", _("未准入（合作方）"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(selectors.admitted_users_q())
        if self.value() == "no":
            return queryset.exclude(role=Role.OPERATOR).exclude(selectors.admitted_users_q())
        return queryset


class PartyUnmetFilter(admin.SimpleListFilter):
    title = _("未满足的条件")
    parameter_name = "unmet"

    def lookups(self, request, model_admin):
        return list(rules.CONDITION_LABELS.items())

    def queryset(self, request, queryset):
        if self.value() in rules.CONDITION_LABELS:
            return queryset.filter(selectors.unmet_users_q(self.value()))
        return queryset


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """All accounts; operators find parties of any role by name, role, verdict and unmet condition."""

    list_display = (
        "username",
        "party_name",
        "role",
        "admitted",
        "is_active",
        "last_login",
        "date_joined",
    )
    list_filter = (PartyVerdictFilter, PartyUnmetFilter, "role", "is_active", "is_staff")
    search_fields = (
        "username",
        "first_name",
        "last_name",
        "email",
        "merchant__shop_name",
        "creator__nickname",
        "agency__name",
        "provider__company_name",
    )
    list_select_related = ("merchant", "creator", "agency", "provider")
    fieldsets = (*DjangoUserAdmin.fieldsets, (_("角色"), {"fields": ("role",)}))
    add_fieldsets = (*DjangoUserAdmin.add_fieldsets, (_("角色"), {"fields": ("role",)}))

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                is_admitted=ExpressionWrapper(
                    selectors.admitted_users_q(), output_field=BooleanField()
                )
            )
        )

    def get_readonly_fields(self, request, obj=None):
        # One role per account, fixed at creation (its profile row depends on it).
        fields = super().get_readonly_fields(request, obj)
        return fields if obj is None else ("role", *fields)

    @admin.display(description=_("名称"))
    def party_name(self, obj) -> str:
        return obj.display_name

    @admin.display(description=_("准入"), boolean=True, ordering="is_admitted")
    def admitted(self, obj) -> bool | None:
        return None if obj.role == Role.OPERATOR else bool(obj.is_admitted)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en", "position")
    ordering = ("position",)


# --- Filters: verdict and unmet condition, set-based (admission.selectors) ------------


class VerdictFilter(admin.SimpleListFilter):
    title = _("准入结果")
    parameter_name = "admitted"

    def lookups(self, request, model_admin):
        return [("yes", _("已准入")), ("no", _("未准入"))]

    def __init__(self, request, params, model, model_admin):
        self.role = model_admin.role
        super().__init__(request, params, model, model_admin)

    def queryset(self, request, queryset):
        q = selectors.admitted_q(self.role)
        if self.value() == "yes":
            return queryset.filter(q)
        if self.value() == "no":
            return queryset.exclude(q)
        return queryset


class UnmetConditionFilter(admin.SimpleListFilter):
    title = _("未满足的条件")
    parameter_name = "unmet"

    def lookups(self, request, model_admin):
        return [
            (code, rules.CONDITION_LABELS[code])
            for code in selectors.condition_table(model_admin.role)
        ]

    def queryset(self, request, queryset):
        code = self.value()
        if code and code in selectors.condition_table(self.role):
            return queryset.filter(selectors.unmet_q(self.role, code))
        return queryset

    def __init__(self, request, params, model, model_admin):
        self.role = model_admin.role
        super().__init__(request, params, model, model_admin)


def _flag_action(field: str, value, label):
    def action(modeladmin, request, queryset):
        try:
            n = services.flags_set(
                operator=request.user, profiles=queryset, field=field, value=value
            )
        except DomainError as exc:
            modeladmin.message_user(request, exc.message, messages.ERROR)
            return
        modeladmin.message_user(
            request, gettext("已更新 %(n)d 条记录（已写入审计历史）。") % {"n": n}, messages.SUCCESS
        )

    action.__name__ = f"set_{field}_{value}"
    action.short_description = label
    action.allowed_permissions = ("change",)  # a view-only staff user doesn't get it
    return action


class PartyAdmin(SimpleHistoryAdmin):
    """Shared admin for the four party profiles: verdict column and detail, filters, actions."""

    role: str = ""
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    list_per_page = 50

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                is_admitted=ExpressionWrapper(
                    selectors.admitted_q(self.role), output_field=BooleanField()
                )
            )
        )

    @admin.display(description=_("准入"), boolean=True, ordering="is_admitted")
    def admitted(self, obj) -> bool:
        return bool(obj.is_admitted)

    @admin.display(description=_("准入结果与条件"))
    def verdict_detail(self, obj):
        if obj is None or not obj.pk:
            return "—"
        verdict = rules.evaluate(obj.user)
        head = gettext("已准入") if verdict.admitted else gettext("未准入")
        rows = format_html_join(
            "",
            "<li>{} {} — {}</li>",
            (
                (
                    "✓" if c.met else ("✕" if c.self_fixable else "…"),
                    c.label,
                    c.message,
                )
                for c in verdict.conditions
            ),
        )
        return format_html("<strong>{}</strong><ul>{}</ul>", head, rows)

    def get_readonly_fields(self, request, obj=None):
        fields = (*super().get_readonly_fields(request, obj), "verdict_detail")
        # The owning account is the profile's primary key: editing it would save the
        # profile again under another account (a creator for an agency's login).
        return fields if obj is None else ("user", *fields)


@admin.register(Merchant)
class MerchantAdmin(PartyAdmin):
    role = Role.MERCHANT
    list_display = (
        "shop_name",
        "user",
        "seller_type",
        "shop_status",
        "alipay_verified",
        "operating_account",
        "admitted",
    )
    list_filter = (
        VerdictFilter,
        UnmetConditionFilter,
        "seller_type",
        "shop_status",
        "alipay_verified",
    )
    search_fields = ("shop_name", "user__username")
    list_select_related = ("user", "operating_account")
    raw_id_fields = ("user", "operating_account")
    actions = [
        _flag_action("alipay_verified", True, _("核实支付宝实名认证")),
        _flag_action("alipay_verified", False, _("撤销支付宝实名认证")),
        _flag_action("shop_status", ShopStatus.NORMAL, _("店铺状态设为正常")),
        _flag_action("shop_status", ShopStatus.RESTRICTED, _("店铺状态设为受限")),
        _flag_action("shop_status", ShopStatus.CLOSED, _("店铺状态设为关闭")),
    ]


@admin.register(Creator)
class CreatorAdmin(PartyAdmin):
    role = Role.CREATOR
    list_display = (
        "nickname",
        "user",
        "level",
        "fans",
        "avg_viewers",
        "quote",
        "alipay_verified",
        "guangguang_eligible",
        "admitted",
    )
    list_filter = (
        VerdictFilter,
        UnmetConditionFilter,
        "level",
        "alipay_verified",
        "guangguang_eligible",
        "categories",
    )
    search_fields = ("nickname", "user__username")
    readonly_fields = ("completed_tasks",)
    actions = [
        _flag_action("alipay_verified", True, _("核实支付宝实名认证")),
        _flag_action("alipay_verified", False, _("撤销支付宝实名认证")),
        _flag_action("guangguang_eligible", True, _("开通逛逛商单资格")),
        _flag_action("guangguang_eligible", False, _("取消逛逛商单资格")),
    ]


@admin.register(Agency)
class AgencyAdmin(PartyAdmin):
    role = Role.AGENCY
    list_display = ("name", "user", "registered_verified", "licence_verified", "admitted")
    list_filter = (VerdictFilter, UnmetConditionFilter, "registered_verified", "licence_verified")
    search_fields = ("name", "user__username")
    actions = [
        _flag_action("registered_verified", True, _("核实机构后台注册")),
        _flag_action("registered_verified", False, _("撤销机构后台注册核实")),
        _flag_action("licence_verified", True, _("核实营业执照")),
        _flag_action("licence_verified", False, _("撤销营业执照核实")),
    ]


@admin.register(Provider)
class ProviderAdmin(PartyAdmin):
    role = Role.PROVIDER
    list_display = ("company_name", "user", "licence_verified", "linked_agency", "admitted")
    list_filter = (VerdictFilter, UnmetConditionFilter, "licence_verified")
    search_fields = ("company_name", "linked_company", "user__username")
    list_select_related = ("user", "linked_agency")
    raw_id_fields = ("user", "linked_agency")
    actions = [
        _flag_action("licence_verified", True, _("核实关联主体营业执照")),
        _flag_action("licence_verified", False, _("撤销营业执照核实")),
    ]


# --- Agreement ------------------------------------------------------------------------


@admin.register(Agreement)
class AgreementAdmin(SimpleHistoryAdmin):
    list_display = ("version", "title", "published_at", "signature_count")
    search_fields = ("version", "title")

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(n_signatures=Count("signatures"))

    @admin.display(description=_("签署数"), ordering="n_signatures")
    def signature_count(self, obj) -> int:
        return obj.n_signatures

    def get_readonly_fields(self, request, obj=None):
        # A signed version is evidence of what parties agreed to: it never changes.
        # Publish a new version instead.
        if obj is not None and obj.signatures.exists():
            return ("version", "title", "body", "title_en", "body_en", "published_at")
        return ()

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.signatures.exists()

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            self.message_user(
                request,
                gettext("新版本协议生效后，所有合作方须重新签署才能保持准入。"),
                messages.WARNING,
            )


@admin.register(AgreementSignature)
class AgreementSignatureAdmin(admin.ModelAdmin):
    list_display = ("user", "agreement", "signed_at", "ip_address")
    list_filter = ("agreement",)
    search_fields = ("user__username",)
    list_select_related = ("user", "agreement")
    readonly_fields = ("user", "agreement", "signed_at", "ip_address")

    def has_add_permission(self, request):
        return False  # only the party signs, on its 准入中心

    def has_change_permission(self, request, obj=None):
        return False


# --- Assessments and operating accounts ------------------------------------------------------


@admin.register(Assessment)
class AssessmentAdmin(SimpleHistoryAdmin):
    list_display = ("user", "status", "requested_at", "decided_at", "decided_by")
    list_filter = ("status", "user__role")
    search_fields = ("user__username", "note")
    list_select_related = ("user", "decided_by")
    raw_id_fields = ("user",)
    readonly_fields = ("decided_at", "decided_by")
    actions = ["approve", "reject"]

    def _decide(self, request, queryset, approve: bool):
        done = 0
        for assessment in queryset.filter(status=AssessmentStatus.PENDING):
            services.assessment_decide(
                assessment=assessment, operator=request.user, approve=approve
            )
            done += 1
        self.message_user(request, gettext("已处理 %(n)d 条考核。") % {"n": done}, messages.SUCCESS)

    @admin.action(description=_("考核通过"), permissions=["change"])
    def approve(self, request, queryset):
        self._decide(request, queryset, True)

    @admin.action(description=_("考核不通过"), permissions=["change"])
    def reject(self, request, queryset):
        self._decide(request, queryset, False)


@admin.register(OperatingAccountRequest)
class OperatingAccountRequestAdmin(SimpleHistoryAdmin):
    list_display = ("shop", "username", "account", "status", "created_at", "decided_at")
    list_filter = ("status",)
    search_fields = ("shop__shop_name", "username", "account__username")
    list_select_related = ("shop", "account")
    raw_id_fields = ("shop", "account")


# --- Activities and compliance ---------------------------------------------------------------


@admin.register(Activity)
class ActivityAdmin(SimpleHistoryAdmin):
    list_display = ("name", "starts_at", "ends_at", "requires_marketing_compliance")
    list_filter = ("requires_marketing_compliance",)
    search_fields = ("name",)
    date_hierarchy = "starts_at"


@admin.register(MarketingCompliance)
class MarketingComplianceAdmin(SimpleHistoryAdmin):
    list_display = ("user", "valid_from", "valid_until", "note")
    list_filter = ("user__role",)
    search_fields = ("user__username", "note")
    list_select_related = ("user",)
    raw_id_fields = ("user",)


# --- Restricted products and permissions --------------------------------------------------


@admin.register(RestrictedProduct)
class RestrictedProductAdmin(SimpleHistoryAdmin):
    list_display = ("merchant", "sku", "reason", "created_at")
    search_fields = ("merchant__shop_name", "merchant__user__username", "sku")
    list_select_related = ("merchant",)
    raw_id_fields = ("merchant",)


@admin.register(ProductPermission)
class ProductPermissionAdmin(SimpleHistoryAdmin):
    list_display = ("merchant", "sku", "status", "requested_at", "decided_at", "decided_by")
    list_filter = ("status",)
    search_fields = ("merchant__shop_name", "merchant__user__username", "sku")
    list_select_related = ("merchant", "decided_by")
    raw_id_fields = ("merchant",)
    readonly_fields = ("decided_at", "decided_by")
    actions = ["grant", "refuse", "revoke"]

    def _set(self, request, queryset, status):
        for p in queryset.select_related("merchant"):
            services.product_permission_set(
                operator=request.user, merchant=p.merchant, sku=p.sku, status=status
            )
        self.message_user(
            request, gettext("已更新 %(n)d 条授权。") % {"n": queryset.count()}, messages.SUCCESS
        )

    @admin.action(description=_("授予推广权限"), permissions=["change"])
    def grant(self, request, queryset):
        self._set(request, queryset, PermissionStatus.GRANTED)

    @admin.action(description=_("拒绝申请"), permissions=["change"])
    def refuse(self, request, queryset):
        self._set(request, queryset, PermissionStatus.REFUSED)

    @admin.action(description=_("撤销推广权限"), permissions=["change"])
    def revoke(self, request, queryset):
        self._set(request, queryset, PermissionStatus.REVOKED)

    def save_model(self, request, obj, form, change):
        if {"status"} & set(form.changed_data):
            obj.decided_by = request.user
            from django.utils import timezone

            obj.decided_at = timezone.now()
        super().save_model(request, obj, form, change)
