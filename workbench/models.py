"""Workbench content curated by operators in admin: the help center (帮助中心)
and success cases (成功案例). To-do counts are not stored here: they live in
the cache (see ``workbench.services``)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from workbench.markdown import render_markdown


def _english() -> bool:
    return (get_language() or "zh-hans").lower().startswith("en")


class Audience(models.TextChoices):
    ALL = "all", _("所有用户")
    MERCHANT = "merchant", _("商家")
    CREATOR = "creator", _("达人/主播")
    AGENCY = "agency", _("机构")


class HelpCategory(models.Model):
    """A section of the help center, e.g. 入门 or 结算与提现."""

    slug = models.SlugField(_("标识"), max_length=48, unique=True)
    name_zh = models.CharField(_("中文名称"), max_length=48)
    name_en = models.CharField(_("英文名称"), max_length=64, blank=True)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["position", "slug"]
        verbose_name = _("帮助分类")
        verbose_name_plural = _("帮助分类")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return (self.name_en or self.name_zh) if _english() else self.name_zh


class PublishedQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published=True)


class HelpArticle(models.Model):
    """A tutorial written by operators in Markdown, in Chinese and (optionally) English.

    The page shows the body matching the UI language, falling back to Chinese.
    Markdown is rendered and then sanitised with nh3 (``workbench.markdown``),
    so an operator's typo or a pasted ``<script>`` can never run in a user's browser.
    """

    category = models.ForeignKey(
        HelpCategory, verbose_name=_("分类"), on_delete=models.PROTECT, related_name="articles"
    )
    slug = models.SlugField(_("标识"), max_length=64, unique=True)
    audience = models.CharField(
        _("适用对象"), max_length=16, choices=Audience.choices, default=Audience.ALL
    )
    title_zh = models.CharField(_("中文标题"), max_length=120)
    title_en = models.CharField(_("英文标题"), max_length=160, blank=True)
    summary_zh = models.CharField(_("中文摘要"), max_length=200, blank=True)
    summary_en = models.CharField(_("英文摘要"), max_length=300, blank=True)
    body_zh = models.TextField(_("中文正文 (Markdown)"))
    body_en = models.TextField(_("英文正文 (Markdown)"), blank=True)
    published = models.BooleanField(_("已发布"), default=True)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = PublishedQuerySet.as_manager()

    class Meta:
        ordering = ["category__position", "position", "pk"]
        verbose_name = _("帮助文章")
        verbose_name_plural = _("帮助文章")
        indexes = [
            models.Index(fields=["published", "category", "position"], name="help_article_list_idx")
        ]

    def __str__(self) -> str:
        return self.title_zh

    def get_absolute_url(self) -> str:
        return reverse("workbench:help_article", kwargs={"slug": self.slug})

    @property
    def title(self) -> str:
        return (self.title_en or self.title_zh) if _english() else self.title_zh

    @property
    def summary(self) -> str:
        if _english() and self.title_en:
            return self.summary_en
        return self.summary_zh

    @property
    def body(self) -> str:
        return (self.body_en or self.body_zh) if _english() else self.body_zh

    @property
    def body_html(self) -> str:
        return render_markdown(self.body)

    @property
    def in_requested_language(self) -> bool:
        """False when the UI is English but only the Chinese text exists."""
        return not _english() or bool(self.body_en)


class PartyKind(models.TextChoices):
    MERCHANT = "merchant", _("商家")
    CREATOR = "creator", _("达人/主播")
    AGENCY = "agency", _("机构")


class SuccessCase(models.Model):
    """成功案例: a merchant's, creator's or agency's story, curated by operators."""

    slug = models.SlugField(_("标识"), max_length=64, unique=True)
    party_kind = models.CharField(_("案例主体类型"), max_length=16, choices=PartyKind.choices)
    party_name = models.CharField(_("主体名称"), max_length=100)
    title_zh = models.CharField(_("中文标题"), max_length=120)
    title_en = models.CharField(_("英文标题"), max_length=160, blank=True)
    summary_zh = models.CharField(_("中文摘要"), max_length=200)
    summary_en = models.CharField(_("英文摘要"), max_length=300, blank=True)
    story_zh = models.TextField(_("中文故事 (Markdown)"))
    story_en = models.TextField(_("英文故事 (Markdown)"), blank=True)
    published = models.BooleanField(_("已发布"), default=False)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = PublishedQuerySet.as_manager()

    class Meta:
        ordering = ["position", "-created_at", "pk"]
        verbose_name = _("成功案例")
        verbose_name_plural = _("成功案例")
        indexes = [models.Index(fields=["published", "position"], name="success_case_list_idx")]

    def __str__(self) -> str:
        return self.title_zh

    def get_absolute_url(self) -> str:
        return reverse("workbench:case_detail", kwargs={"slug": self.slug})

    @property
    def title(self) -> str:
        return (self.title_en or self.title_zh) if _english() else self.title_zh

    @property
    def summary(self) -> str:
        return (self.summary_en or self.summary_zh) if _english() else self.summary_zh

    @property
    def story_html(self) -> str:
        story = (self.story_en or self.story_zh) if _english() else self.story_zh
        return render_markdown(story)


class CaseFigure(models.Model):
    """A headline figure of a success case, e.g. 单场成交 ¥128,000."""

    case = models.ForeignKey(
        SuccessCase, verbose_name=_("案例"), on_delete=models.CASCADE, related_name="figures"
    )
    label_zh = models.CharField(_("中文指标名"), max_length=32)
    label_en = models.CharField(_("英文指标名"), max_length=48, blank=True)
    value = models.CharField(
        _("数值"), max_length=32, help_text=_("按展示原样填写，如 ¥128,000 或 3.2 倍")
    )
    position = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("案例数据")
        verbose_name_plural = _("案例数据")
        constraints = [
            models.CheckConstraint(condition=~Q(value=""), name="case_figure_value_not_empty")
        ]

    def __str__(self) -> str:
        return f"{self.label_zh}: {self.value}"

    @property
    def label(self) -> str:
        return (self.label_en or self.label_zh) if _english() else self.label_zh
