"""Product writes: a merchant creates, edits, archives and unarchives its products."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from admission.guard import require_admitted
from admission.models import Category, Merchant
from cooperation.models import MAX_SERVICE_FEE_RATE, MIN_SERVICE_FEE_RATE, Product, ProductStatus
from hotwave.exceptions import DomainError
from hotwave.money import format_cny, quantize


def _check(*, price: Decimal, service_fee_rate: Decimal) -> None:
    if price <= 0 or quantize(price) != price:
        raise DomainError(_("价格须大于 0，最多两位小数。"), code="product.bad_price")
    if price > settings.HOTWAVE_MAX_PRODUCT_PRICE:
        raise DomainError(
            _("价格不能高于 %(limit)s。")
            % {"limit": format_cny(settings.HOTWAVE_MAX_PRODUCT_PRICE)},
            code="product.price_above_limit",
        )
    if not (MIN_SERVICE_FEE_RATE <= service_fee_rate <= MAX_SERVICE_FEE_RATE):
        raise DomainError(_("服务费率须在 1% 到 80% 之间。"), code="product.bad_rate")


@transaction.atomic
def product_create(
    *,
    merchant: Merchant,
    sku: str,
    title: str,
    category: Category,
    price: Decimal,
    service_fee_rate: Decimal,
) -> Product:
    """Publish a product. Raises NotAdmitted (merchant not admitted), DomainError (SKU, price, rate)."""
    require_admitted(merchant.user, action="publish")
    _check(price=price, service_fee_rate=service_fee_rate)
    sku = sku.strip()
    if Product.objects.filter(merchant=merchant, sku=sku).exists():
        raise DomainError(_("商品编码 %(sku)s 已存在。") % {"sku": sku}, code="product.sku_taken")
    product = Product(
        merchant=merchant,
        sku=sku,
        title=title.strip(),
        category=category,
        price=price,
        service_fee_rate=service_fee_rate,
    )
    try:
        # The unique constraint is the guarantee when two requests race.
        with transaction.atomic():
            product.save()
    except IntegrityError as exc:
        raise DomainError(
            _("商品编码 %(sku)s 已存在。") % {"sku": sku}, code="product.sku_taken"
        ) from exc
    return product


@transaction.atomic
def product_update(
    *,
    product: Product,
    title: str,
    category: Category,
    price: Decimal,
    service_fee_rate: Decimal,
) -> Product:
    """Edit a product. The SKU is its identity in orders and never changes.

    Tasks copy the rate when created, so a new rate applies to new cooperation only.
    """
    _check(price=price, service_fee_rate=service_fee_rate)
    product = Product.objects.select_for_update().get(pk=product.pk)
    product.title = title.strip()
    product.category = category
    product.price = price
    product.service_fee_rate = service_fee_rate
    product.save()
    return product


@transaction.atomic
def product_archive(*, product: Product) -> Product:
    """Archive (下架) a product: it leaves hot products, new carts and new tasks. Idempotent."""
    Product.objects.filter(pk=product.pk).update(
        status=ProductStatus.ARCHIVED, updated_at=timezone.now()
    )
    product.refresh_from_db()
    return product


@transaction.atomic
def product_unarchive(*, product: Product) -> Product:
    """Put an archived product back on sale (重新上架). Idempotent. Raises NotAdmitted."""
    require_admitted(product.merchant.user, action="publish")
    Product.objects.filter(pk=product.pk).update(
        status=ProductStatus.ACTIVE, updated_at=timezone.now()
    )
    product.refresh_from_db()
    return product
