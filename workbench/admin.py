"""Operators curate the help center and success cases here (Markdown, previewed safely)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from hotwave.admin import LabelledInputsAdmin, LabelledInputsInline
from workbench.markdown import render_markdown
from workbench.models import CaseFigure, HelpArticle, HelpCategory, SuccessCase


@admin.register(HelpCategory)
class HelpCategoryAdmin(LabelledInputsAdmin, admin.ModelAdmin):
    list_display = ["name_zh", "name_en", "slug", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name_en"]}
    search_fields = ["name_zh", "name_en", "slug"]


@admin.register(HelpArticle)
class HelpArticleAdmin(LabelledInputsAdmin, admin.ModelAdmin):
    list_display = [
        "title_zh",
        "category",
        "audience",
        "has_english",
        "published",
        "position",
        "updated_at",
    ]
    list_filter = ["published", "category", "audience"]
    list_editable = ["published", "position"]
    list_select_related = ["category"]
    search_fields = ["title_zh", "title_en", "body_zh", "body_en", "slug"]
    prepopulated_fields = {"slug": ["title_en"]}
    readonly_fields = ["preview_zh", "preview_en", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["category", "slug", "audience", "published", "position"]}),
        (_("中文"), {"fields": ["title_zh", "summary_zh", "body_zh", "preview_zh"]}),
        (_("English"), {"fields": ["title_en", "summary_en", "body_en", "preview_en"]}),
        (_("时间"), {"fields": ["created_at", "updated_at"]}),
    ]

    @admin.display(boolean=True, description=_("有英文版"))
    def has_english(self, obj: HelpArticle) -> bool:
        return bool(obj.body_en)

    @admin.display(description=_("中文预览（保存后更新，已过滤不安全内容）"))
    def preview_zh(self, obj: HelpArticle) -> str:
        return format_html('<div class="wb-admin-preview">{}</div>', render_markdown(obj.body_zh))

    @admin.display(description=_("英文预览（保存后更新，已过滤不安全内容）"))
    def preview_en(self, obj: HelpArticle) -> str:
        return format_html('<div class="wb-admin-preview">{}</div>', render_markdown(obj.body_en))


class CaseFigureInline(LabelledInputsInline, admin.TabularInline):
    model = CaseFigure
    extra = 1
    fields = ["label_zh", "label_en", "value", "position"]


@admin.register(SuccessCase)
class SuccessCaseAdmin(LabelledInputsAdmin, admin.ModelAdmin):
    list_display = ["title_zh", "party_kind", "party_name", "published", "position", "updated_at"]
    list_filter = ["published", "party_kind"]
    list_editable = ["published", "position"]
    search_fields = ["title_zh", "title_en", "party_name", "story_zh", "slug"]
    prepopulated_fields = {"slug": ["title_en"]}
    inlines = [CaseFigureInline]
    readonly_fields = ["created_at", "updated_at"]

    def get_form(self, request, obj=None, **kwargs):
        kwargs.setdefault(
            "help_texts",
            {
                "party_name": _(
                    "按展示原样填写；不要用平台上演示账户的名称：案例数字不从账户数据计算。"
                )
            },
        )
        return super().get_form(request, obj, **kwargs)

    fieldsets = [
        (
            None,
            {
                "fields": ["slug", "party_kind", "party_name", "published", "position"],
                # Issue 13: a case about a demo account contradicted its own workbench.
                "description": _(
                    "成功案例是运营整理的经历：案例里的数字按讲述原样展示，不从任何账户的数据计算。"
                    "因此案例主体不要用平台上演示账户的名称（例如演示商家 demo_merchant 的店铺），"
                    "否则案例里的数字会和该账户工作台上它自己的数据互相矛盾。"
                ),
            },
        ),
        (_("中文"), {"fields": ["title_zh", "summary_zh", "story_zh"]}),
        (_("English"), {"fields": ["title_en", "summary_en", "story_en"]}),
        (_("时间"), {"fields": ["created_at", "updated_at"]}),
    ]
