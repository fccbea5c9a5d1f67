"""Product form: the service-fee rate is entered as a percentage (1–80) and stored as a fraction."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from admission.models import Category, Merchant
from cooperation.models import Product
from hotwave.fields import DecimalTextField, MoneyField
from hotwave.forms import Form
from hotwave.money import format_cny


class ProductForm(Form):
    sku = forms.CharField(
        label=_("商品编码"),
        max_length=64,
        help_text=_("你店铺里的商品编码（SKU），订单按它对应到商品，创建后不可修改。"),
    )
    title = forms.CharField(label=_("商品名称"), max_length=120)
    category = forms.ModelChoiceField(
        label=_("类目"), queryset=Category.objects.all(), empty_label=_("请选择类目")
    )
    price = MoneyField(
        label=_("价格（元）"),
        min_value=Decimal("0.01"),
        error_messages={"min_value": _("价格至少 0.01 元。")},
    )
    service_fee_percent = DecimalTextField(
        label=_("服务费率（%）"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("1"),
        max_value=Decimal("80"),
        help_text=_("推广服务费占成交价的比例，1%–80%（平台上限 80%）。"),
        error_messages={
            "min_value": _("服务费率不能低于 1%%。"),
            "max_value": _("服务费率不能高于 80%%（平台上限）。"),
            "max_decimal_places": _("服务费率最多两位小数。"),
            "max_digits": _("服务费率不能高于 80%%（平台上限）。"),
            "max_whole_digits": _("服务费率不能高于 80%%（平台上限）。"),
            "invalid": _("请输入数字，例如 15 或 12.5。"),
            "negative": _("服务费率不能低于 1%%。"),
        },
    )

    def __init__(self, *args, merchant: Merchant, instance: Product | None = None, **kwargs):
        self.merchant = merchant
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "sku": instance.sku,
                "title": instance.title,
                "category": instance.category_id,
                "price": instance.price,
                "service_fee_percent": instance.announced_percent,
            }
        super().__init__(*args, **kwargs)
        limit = settings.HOTWAVE_MAX_PRODUCT_PRICE
        self.fields["price"].help_text = _("不超过 %(limit)s。") % {"limit": format_cny(limit)}
        if instance is not None:
            self.fields["service_fee_percent"].help_text = _(
                "1%%–80%%。上调立即生效；下调在 %(hours)s 小时通知期后生效，"
                "期间带货车或进行中合作里有这个商品的达人会收到通知，之前支付的订单保留原费率。"
            ) % {"hours": settings.COOPERATION_PLAN_RATE_CUT_NOTICE_HOURS}
            self.fields["sku"].disabled = True
            self.fields["sku"].required = False

    def clean_price(self):
        value = self.cleaned_data["price"]
        limit = settings.HOTWAVE_MAX_PRODUCT_PRICE
        if value is not None and value > limit:
            raise forms.ValidationError(
                _("价格不能高于 %(limit)s。") % {"limit": format_cny(limit)}, code="above_limit"
            )
        return value

    def clean_sku(self) -> str:
        if self.instance is not None:
            return self.instance.sku
        sku = self.cleaned_data["sku"].strip()
        if not sku:
            raise forms.ValidationError(_("请填写商品编码。"))
        if Product.objects.filter(merchant=self.merchant, sku=sku).exists():
            raise forms.ValidationError(_("这个商品编码已经在你的商品里了。"))
        return sku

    def clean_title(self) -> str:
        title = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError(_("请填写商品名称。"))
        return title

    @property
    def service_fee_rate(self) -> Decimal:
        """The cleaned percentage as the stored fraction (15 → 0.15), exact."""
        return self.cleaned_data["service_fee_percent"] / Decimal(100)
