"""django-filter FilterSets: the merchant's product list and the 主播广场 (streamer plaza).

Filters live in the URL (GET), so a filtered list is shareable and the back
button works; the same FilterSet serves the full page and the htmx partial.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Exists, F, FilteredRelation, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from admission.models import Category, Creator
from cooperation.models import Product, ProductStatus
from hotwave.fields import MoneyFilter
from hotwave.forms import Form

LEVEL_CHOICES = [(i, f"V{i}") for i in range(7)]


class CountFilter(django_filters.NumberFilter):
    """A bound on a count (粉丝数, 场均观看): whole numbers only."""

    field_class = forms.IntegerField


class ProductFilter(django_filters.FilterSet):
    """商品列表: search by title or SKU, filter by status and category."""

    q = django_filters.CharFilter(
        label=_("搜索"),
        method="filter_q",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("商品名称或编码")}),
    )
    status = django_filters.ChoiceFilter(
        label=_("状态"), choices=ProductStatus.choices, empty_label=_("全部")
    )
    category = django_filters.ModelChoiceFilter(
        label=_("类目"), queryset=Category.objects.all(), empty_label=_("全部类目")
    )

    class Meta:
        model = Product
        fields: list[str] = []
        form = Form

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(sku__icontains=value))


class PlazaFilterForm(Form):
    """Range pairs are checked together: a minimum above its maximum is an error at the field."""

    RANGES = (
        ("fans_min", "fans_max"),
        ("viewers_min", "viewers_max"),
        ("quote_min", "quote_max"),
    )

    def clean(self):
        cleaned = super().clean()
        for low, high in self.RANGES:
            lo, hi = cleaned.get(low), cleaned.get(high)
            if lo is not None and hi is not None and lo > hi:
                self.add_error(high, _("不能小于最小值。"))
        return cleaned


class PlazaFilter(django_filters.FilterSet):
    """主播广场: nickname search, ranges, level, agency/individual, and sort.

    Sorting keys pair with the Creator indexes (``-avg_viewers, user`` …) so a
    page of a sorted list is an index scan even at 100k creators.
    """

    KIND_AGENCY = "agency"
    KIND_INDIVIDUAL = "individual"

    q = django_filters.CharFilter(
        label=_("昵称"),
        method="filter_q",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("搜索达人昵称")}),
    )
    category = django_filters.ModelChoiceFilter(
        label=_("类目"),
        queryset=Category.objects.all(),
        empty_label=_("全部类目"),
        method="filter_category",
    )
    fans_min = CountFilter(label=_("粉丝数 ≥"), field_name="fans", lookup_expr="gte", min_value=0)
    fans_max = CountFilter(label=_("粉丝数 ≤"), field_name="fans", lookup_expr="lte", min_value=0)
    viewers_min = CountFilter(
        label=_("场均观看 ≥"), field_name="avg_viewers", lookup_expr="gte", min_value=0
    )
    viewers_max = CountFilter(
        label=_("场均观看 ≤"), field_name="avg_viewers", lookup_expr="lte", min_value=0
    )
    quote_min = MoneyFilter(label=_("报价 ≥"), field_name="quote", lookup_expr="gte", min_value=0)
    quote_max = MoneyFilter(label=_("报价 ≤"), field_name="quote", lookup_expr="lte", min_value=0)
    level = django_filters.ChoiceFilter(
        label=_("主播等级"), choices=LEVEL_CHOICES, empty_label=_("全部等级")
    )
    kind = django_filters.ChoiceFilter(
        label=_("身份"),
        choices=[(KIND_AGENCY, _("机构主播")), (KIND_INDIVIDUAL, _("个人主播"))],
        empty_label=_("全部"),
        method="filter_kind",
    )
    # Scorecard filters (issue 17): new creators have no rate and are left out by them.
    fulfilment_min = django_filters.ChoiceFilter(
        label=_("履约率"),
        choices=[("0.8", _("80% 以上")), ("0.9", _("90% 以上")), ("0.95", _("95% 以上"))],
        empty_label=_("不限"),
        field_name="scorecard__fulfilment_rate",
        lookup_expr="gte",
    )
    rating_min = django_filters.ChoiceFilter(
        label=_("评分"),
        choices=[("4", _("4 分以上")), ("4.5", _("4.5 分以上"))],
        empty_label=_("不限"),
        field_name="scorecard__rating_avg",
        lookup_expr="gte",
    )
    # With a category chosen, 场均成交 is the creator's in that category (its
    # CreatorCategoryScorecard row), for the filter, the sort and the card alike.
    gmv_min = MoneyFilter(label=_("场均成交 ≥"), method="filter_gmv_min", min_value=0)
    sort = django_filters.ChoiceFilter(
        label=pgettext_lazy("list order", "排序"),
        choices=[
            ("-viewers", _("场均观看从高到低")),
            ("-fulfilment", _("履约率从高到低")),
            ("-gmv", _("场均成交从高到低")),
            ("-rating", _("评分从高到低")),
            ("-fans", _("粉丝数从高到低")),
            ("-tasks", _("合作任务数从多到少")),
            ("quote", _("报价从低到高")),
            ("-quote", _("报价从高到低")),
        ],
        empty_label=None,
        method="filter_sort",
    )

    # The only sort orders offered: each is one of the Creator indexes (value, user),
    # read forwards or backwards, so a sorted page is an index scan.
    SORTS = {
        "-viewers": ["-avg_viewers", "user_id"],
        "-fans": ["-fans", "user_id"],
        "-tasks": ["-completed_tasks", "user_id"],
        "quote": ["quote", "user_id"],
        "-quote": ["-quote", "-user_id"],
        # Scorecard sorts: the scorecard indexes (value desc, creator); new creators
        # (no rate) and those not yet computed come last.
        "-fulfilment": [F("scorecard__fulfilment_rate").desc(nulls_last=True), "user_id"],
        "-gmv": [F("scorecard__gmv_per_session").desc(nulls_last=True), "user_id"],
        "-rating": [F("scorecard__rating_avg").desc(nulls_last=True), "user_id"],
    }
    DEFAULT_SORT = "-viewers"
    CATEGORY_GMV_SORT = [F("category_gmv").desc(nulls_last=True), "user_id"]

    class Meta:
        model = Creator
        fields: list[str] = []
        form = PlazaFilterForm

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        return queryset.filter(nickname__icontains=value) if value else queryset

    def filter_category(self, queryset: QuerySet, name: str, value: Category | None) -> QuerySet:
        if value is None:
            return queryset
        # EXISTS rather than a join: no duplicate rows, no DISTINCT over 100k creators.
        through = Creator.categories.through
        return queryset.filter(
            Exists(through.objects.filter(creator_id=OuterRef("pk"), category_id=value.pk))
        )

    def chosen_category(self) -> Category | None:
        return (self.form.cleaned_data or {}).get("category") if self.form.is_valid() else None

    def filter_gmv_min(self, queryset: QuerySet, name: str, value) -> QuerySet:
        if value is None:
            return queryset
        if self.chosen_category() is not None:
            return queryset.filter(category_gmv__gte=value)
        return queryset.filter(scorecard__gmv_per_session__gte=value)

    def filter_kind(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == self.KIND_AGENCY:
            return queryset.filter(bound_now=True)
        if value == self.KIND_INDIVIDUAL:
            return queryset.filter(bound_now=False)
        return queryset

    def filter_sort(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset  # applied last, in filter_queryset, with a default

    def sort_key(self) -> str:
        key = (self.form.cleaned_data or {}).get("sort") if self.form.is_valid() else None
        return key if key in self.SORTS else self.DEFAULT_SORT

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        category = self.chosen_category()
        order = self.SORTS[self.sort_key()]
        if category is not None:
            # One LEFT JOIN on (creator, category), unique: no extra rows, no extra query.
            queryset = queryset.annotate(
                in_category=FilteredRelation(
                    "category_cards", condition=Q(category_cards__category_id=category.pk)
                ),
                category_gmv=F("in_category__gmv_per_session"),
                category_sessions=F("in_category__live_sessions"),
            )
            if self.sort_key() == "-gmv":
                order = self.CATEGORY_GMV_SORT
        return super().filter_queryset(queryset).order_by(*order)
