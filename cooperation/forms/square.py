"""选品广场 filters: one GET form, so every filtered, sorted page is a shareable URL."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from admission.models import Category
from cooperation.models import PlanKind
from cooperation.selectors.square import (
    PLAN_ANY,
    SORT_EARNINGS,
    SORT_NEWEST,
    SORT_ORDERS,
    SORT_RATE,
    SquareQuery,
)
from hotwave.forms import Form


class SquareForm(Form):
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("商品名称或店铺")}),
    )
    category = forms.ModelChoiceField(
        label=_("类目"), queryset=Category.objects.all(), required=False, empty_label=_("全部类目")
    )
    price = forms.ChoiceField(
        label=_("价格"),
        required=False,
        choices=[
            ("", _("全部价格")),
            ("0-50", _("¥50 以下")),
            ("50-100", _("¥50–100")),
            ("100-300", _("¥100–300")),
            ("300-", _("¥300 以上")),
        ],
    )
    rate = forms.ChoiceField(
        label=_("服务费率"),
        required=False,
        choices=[
            ("", _("全部费率")),
            ("0-10", _("10% 以下")),
            ("10-20", _("10%–20%")),
            ("20-30", _("20%–30%")),
            ("30-", _("30% 及以上")),
        ],
    )
    plan = forms.ChoiceField(
        label=_("推广计划"),
        required=False,
        choices=[("", _("不限")), (PLAN_ANY, _("有推广计划")), *PlanKind.choices],
    )
    samples = forms.BooleanField(label=_("有免费样品"), required=False)
    unrestricted = forms.BooleanField(
        label=_("只看对我不受限的"),
        required=False,
        help_text=_("不显示已屏蔽的商家的商品，和只对指定达人开放、没有我的商品。"),
    )
    sort = forms.ChoiceField(
        label=pgettext_lazy("list order", "排序"),
        required=False,
        choices=[
            (SORT_ORDERS, _("近 7 天订单从多到少")),
            (SORT_RATE, _("服务费率从高到低")),
            (SORT_EARNINGS, _("我的每件预估收益从高到低")),
            (SORT_NEWEST, _("最新上架")),
        ],
    )

    def query(self) -> SquareQuery:
        """The valid part of what was asked (a bad value in one field drops that field only)."""
        self.is_valid()
        data = {k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors}
        return SquareQuery(
            q=(data.get("q") or "").strip(),
            category=data.get("category"),
            price=data.get("price") or "",
            rate=data.get("rate") or "",
            plan=data.get("plan") or "",
            samples=bool(data.get("samples")),
            unrestricted=bool(data.get("unrestricted")),
            sort=data.get("sort") or SORT_ORDERS,
        )
