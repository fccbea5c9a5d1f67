"""带货车 (selection cart) writes: a creator adds and removes products."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from admission.guard import require_admitted, require_product_allowed
from admission.models import Creator
from cooperation.models import CartItem, Product, ProductStatus
from hotwave.exceptions import DomainError


@transaction.atomic
def cart_add(*, creator: Creator, product: Product) -> tuple[CartItem, bool]:
    """Put ``product`` in the creator's cart; adding it again changes nothing.

    Returns (item, created). Raises NotAdmitted (creator not admitted),
    ProductRestricted (restricted without permission) or DomainError (archived).
    """
    existing = CartItem.objects.filter(creator=creator, product=product).first()
    if existing is not None:
        return existing, False
    require_admitted(creator.user, action="cart_add")
    product = Product.objects.select_related("merchant").get(pk=product.pk)
    if product.status != ProductStatus.ACTIVE:
        raise DomainError(
            _("商品「%(title)s」已下架，不能加入带货车。") % {"title": product.title},
            code="cart.product_archived",
        )
    require_product_allowed(merchant=product.merchant, sku=product.sku, title=product.title)
    try:
        # Two clicks at once: the unique constraint keeps one row, the loser reads it.
        with transaction.atomic():
            return CartItem.objects.create(creator=creator, product=product), True
    except IntegrityError:
        return CartItem.objects.get(creator=creator, product=product), False


@transaction.atomic
def cart_remove(*, creator: Creator, product: Product) -> bool:
    """Take ``product`` out of the creator's cart. Returns whether it was there; idempotent."""
    deleted, _rows = CartItem.objects.filter(creator=creator, product=product).delete()
    return deleted > 0
