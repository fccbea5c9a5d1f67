"""Products (商品) and the creators' selection cart (带货车), SPEC §3."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import models
from django.db.models import Case, F, Q, When
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from settlement.commission import MAX_RATE, MIN_RATE

# The platform's cap on the promotion service-fee rate (SPEC §3): 1%–80%, the
# rates an order may carry (settlement.commission).
MIN_SERVICE_FEE_RATE = MIN_RATE
MAX_SERVICE_FEE_RATE = MAX_RATE


class ProductStatus(models.TextChoices):
    ACTIVE = "active", _("在售")
    ARCHIVED = "archived", _("已归档")


class Product(models.Model):
    """A merchant's product, promoted by creators for a service-fee rate (服务费率)."""

    merchant = models.ForeignKey(
        "admission.Merchant",
        verbose_name=_("商家"),
        on_delete=models.PROTECT,
        related_name="products",
    )
    # The merchant's own SKU code: orders name the product by (merchant, sku).
    sku = models.CharField(_("商品编码"), max_length=64)
    title = models.CharField(_("商品名称"), max_length=120)
    category = models.ForeignKey(
        "admission.Category",
        verbose_name=_("类目"),
        on_delete=models.PROTECT,
        related_name="products",
    )
    price = models.DecimalField(_("价格"), max_digits=14, decimal_places=2)
    # A fraction: 0.15 is 15%. Forms take a percentage and convert.
    service_fee_rate = models.DecimalField(_("服务费率"), max_digits=5, decimal_places=4)
    # A cut of the product's own rate announced and not yet folded in: from
    # ``rate_cut_from`` (a notice period after the announcement) ``rate_cut_to``
    # applies; before that second ``service_fee_rate`` does. A raise is written to
    # ``service_fee_rate`` at once. ``services.products.product_rate_cuts_apply``
    # folds a due cut into ``service_fee_rate`` (the tick); reads never wait for it.
    rate_cut_to = models.DecimalField(
        _("下调后的服务费率"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    rate_cut_from = models.DateTimeField(_("下调生效时间"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=ProductStatus.choices, default=ProductStatus.ACTIVE
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    # Who changed the price, rate or status, and when (issue #8: audit trail).
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("商品")
        verbose_name_plural = _("商品")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "sku"], name="product_sku_per_merchant"),
            models.CheckConstraint(
                condition=Q(service_fee_rate__gte=MIN_SERVICE_FEE_RATE)
                & Q(service_fee_rate__lte=MAX_SERVICE_FEE_RATE),
                name="product_service_fee_rate_1_80",
            ),
            models.CheckConstraint(
                condition=(Q(rate_cut_to__isnull=True) & Q(rate_cut_from__isnull=True))
                | (
                    Q(rate_cut_to__gte=MIN_SERVICE_FEE_RATE)
                    & Q(rate_cut_to__lt=models.F("service_fee_rate"))
                    & Q(rate_cut_from__isnull=False)
                ),
                name="product_rate_cut_is_a_cut",
            ),
            models.CheckConstraint(condition=Q(price__gt=0), name="product_price_positive"),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in ProductStatus]),
                name="product_status_valid",
            ),
        ]
        indexes = [
            # The merchant's product list: newest first, by status.
            models.Index(
                fields=["merchant", "status", "-created_at"], name="product_merchant_list_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.sku})"

    @property
    def is_active(self) -> bool:
        return self.status == ProductStatus.ACTIVE

    @property
    def service_fee_percent(self) -> Decimal:
        return (self.service_fee_rate * 100).normalize()

    def rate_in_force(self, at: datetime | None = None) -> Decimal:
        """The product's own rate at ``at`` (default now): an announced cut from its second on."""
        at = at or timezone.now()
        if self.rate_cut_from is not None and self.rate_cut_from <= at:
            return self.rate_cut_to
        return self.service_fee_rate

    @property
    def own_cut_pending(self) -> bool:
        """A cut of the product's own rate is announced and not in force yet."""
        return self.rate_cut_from is not None and self.rate_cut_from > timezone.now()

    @property
    def announced_rate(self) -> Decimal:
        """The rate the merchant set last (a pending cut's, else the rate in force)."""
        return self.rate_cut_to if self.rate_cut_to is not None else self.service_fee_rate

    @property
    def announced_percent(self) -> Decimal:
        return (self.announced_rate * 100).normalize()


def product_rate_at(at=None, prefix: str = "") -> Case:
    """SQL for :meth:`Product.rate_in_force` (``prefix`` "product__" from another model)."""
    at = Now() if at is None else at
    return Case(
        When(**{f"{prefix}rate_cut_from__lte": at}, then=F(f"{prefix}rate_cut_to")),
        default=F(f"{prefix}service_fee_rate"),
        output_field=models.DecimalField(max_digits=5, decimal_places=4),
    )


class CartItem(models.Model):
    """A product in a creator's selection cart (带货车). Adding twice is one row."""

    creator = models.ForeignKey(
        "admission.Creator",
        verbose_name=_("达人"),
        on_delete=models.CASCADE,
        related_name="cart_items",
    )
    product = models.ForeignKey(
        Product, verbose_name=_("商品"), on_delete=models.CASCADE, related_name="cart_items"
    )
    added_at = models.DateTimeField(_("加入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("带货车商品")
        verbose_name_plural = _("带货车")
        ordering = ["-added_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["creator", "product"], name="cart_item_unique"),
        ]
        indexes = [models.Index(fields=["creator", "-added_at"], name="cart_creator_added_idx")]

    def __str__(self) -> str:
        return f"{self.creator} · {self.product}"


class ProductSales(models.Model):
    """A product's 近 7 天订单 as of the last refresh (cooperation.services.sales): the
    orders paid in the 7 days before ``computed_at`` and not fully refunded. One row per
    product that had any; the product square sorts and shows by it."""

    product = models.OneToOneField(
        Product,
        verbose_name=_("商品"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="sales",
    )
    paid_orders = models.PositiveIntegerField(_("近 7 天订单"), default=0)
    computed_at = models.DateTimeField(_("统计时间"))

    class Meta:
        verbose_name = _("商品近 7 天订单")
        verbose_name_plural = _("商品近 7 天订单")

    def __str__(self) -> str:
        return f"{self.product_id}: {self.paid_orders}"


class SalesSnapshot(models.Model):
    """When the 近 7 天订单 of every product (ProductSales) were last counted, and from when.

    One row (``key`` "7d"); refreshes lock it, so two never interleave."""

    key = models.CharField(max_length=8, primary_key=True, default="7d")
    computed_at = models.DateTimeField(_("统计时间"))
    since = models.DateTimeField(_("统计起点"))

    class Meta:
        verbose_name = _("近 7 天订单统计")
        verbose_name_plural = _("近 7 天订单统计")

    def __str__(self) -> str:
        return f"{self.key} @ {self.computed_at:%Y-%m-%d %H:%M:%S}"


__all__ = [
    "MAX_SERVICE_FEE_RATE",
    "MIN_SERVICE_FEE_RATE",
    "CartItem",
    "Product",
    "ProductSales",
    "ProductStatus",
    "SalesSnapshot",
    "product_rate_at",
]
