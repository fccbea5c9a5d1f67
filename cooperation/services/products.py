"""Product writes: a merchant creates, edits, archives and unarchives its products."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from admission.guard import require_admitted
from admission.models import Category, Merchant
from cooperation import notices
from cooperation.models import MAX_SERVICE_FEE_RATE, MIN_SERVICE_FEE_RATE, Product, ProductStatus
from cooperation.services.plans import affected_creators, rate_cut_notice
from hotwave import todos
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
    now: datetime | None = None,
) -> Product:
    """Edit a product. The SKU is its identity in orders and never changes.

    The rate is the plans' rule (``services.plans``): a raise is in force at once;
    a cut takes effect a notice period later (``COOPERATION_PLAN_RATE_CUT_NOTICE_HOURS``)
    and the creators with the product in their cart or an open task are told
    (a to-do and a notification). A newer announcement replaces a cut not yet in
    force; the rate in force itself withdraws it. Tasks copy the rate in force when
    created, so an agreed task never changes.
    """
    now = now or timezone.now()
    _check(price=price, service_fee_rate=service_fee_rate)
    product = Product.objects.select_for_update().get(pk=product.pk)
    _fold_due_cut(product, now)
    current = product.service_fee_rate
    before = (product.rate_cut_to, product.rate_cut_from)
    cut = False
    if service_fee_rate == product.rate_cut_to:
        pass  # the cut already announced, unchanged (e.g. only the title was edited)
    elif service_fee_rate < current:
        product.rate_cut_to = service_fee_rate
        product.rate_cut_from = now + rate_cut_notice()
        cut = True
    else:  # a raise, or back to the rate in force: at once, any announced cut withdrawn
        product.service_fee_rate = service_fee_rate
        product.rate_cut_to = product.rate_cut_from = None
    product.title = title.strip()
    product.category = category
    product.price = price
    product.save()
    if (product.rate_cut_to, product.rate_cut_from) != before:
        affected = affected_creators(product)
        if cut:
            notices.product_rate_cut_announced(product, old_rate=current, creator_ids=affected)
        todos.changed(affected)
    return product


def _fold_due_cut(product: Product, now: datetime) -> bool:
    """Write a cut whose second has come into ``service_fee_rate`` (the row is locked)."""
    if product.rate_cut_from is None or product.rate_cut_from > now:
        return False
    product.service_fee_rate = product.rate_cut_to
    product.rate_cut_to = product.rate_cut_from = None
    product.save()
    return True


def product_rate_cuts_apply(*, now: datetime | None = None) -> int:
    """Fold every product rate cut now in force into its ``service_fee_rate`` (the tick).

    Reads do not depend on it (``Product.rate_in_force`` and ``product_rate_at``
    apply a due cut themselves); it keeps the stored rate and the product's history
    true. Each product is locked and re-checked: running twice changes nothing.
    """
    now = now or timezone.now()
    done = 0
    due = Product.objects.filter(rate_cut_from__lte=now).order_by("pk").values_list("pk", flat=True)
    for pk in list(due[:500]):
        with transaction.atomic():
            product = Product.objects.select_for_update().get(pk=pk)
            done += _fold_due_cut(product, now)
    return done


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
