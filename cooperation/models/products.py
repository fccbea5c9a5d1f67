"""Products (商品) and the creators' selection cart (带货车), SPEC §3."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
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


__all__ = [
    "MAX_SERVICE_FEE_RATE",
    "MIN_SERVICE_FEE_RATE",
    "CartItem",
    "Product",
    "ProductStatus",
]
