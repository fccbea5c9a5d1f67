"""Factories for products and carts, plus helpers for the world they live in.

``admit(user)`` signs the current authorization agreement (the factories' other
flags already meet the rules). ``paid_order(...)`` and ``bind(...)`` write
settlement rows directly: these tests read sales and bindings, they don't test
how settlement makes them.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from admission.models import (
    Category,
    PermissionStatus,
    ProductPermission,
    RestrictedProduct,
    User,
)
from cooperation.models import CartItem, Product, ProductStatus
from settlement.models import Binding, BindingStatus, Order, Rule
from tests.admission.factories import CreatorFactory, MerchantFactory, sign_agreement


def admit(*users: User) -> None:
    """Sign the current agreement for each user, making the factories' parties admitted."""
    for user in users:
        sign_agreement(user)


def category(code: str = "home") -> Category:
    return Category.objects.get(code=code)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    merchant = factory.SubFactory(MerchantFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    title = factory.Sequence(lambda n: f"商品{n}")
    category = factory.LazyFunction(lambda: Category.objects.order_by("position").first())
    price = Decimal("100.00")
    service_fee_rate = Decimal("0.2000")
    status = ProductStatus.ACTIVE


class CartItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CartItem

    creator = factory.SubFactory(CreatorFactory)
    product = factory.SubFactory(ProductFactory)


_order_ids = itertools.count(1)


def paid_order(
    product: Product, *, creator, at=None, amount=None, refunded="0.00", binding=None
) -> Order:
    """A paid order for ``product`` brought by ``creator`` (a Creator profile).

    With ``binding``, the agency rule of that binding is frozen onto it (as at
    payment: an order's rule and parties never change afterwards).
    """
    amount = Decimal(amount) if amount is not None else product.price
    frozen = {"rule": Rule.INDIVIDUAL}
    if binding is not None:
        frozen = {
            "rule": Rule.AGENCY,
            "binding": binding,
            "agency": binding.agency,
            "agency_share": binding.agency_share,
        }
    return Order.objects.create(
        order_id=f"T-{next(_order_ids):07d}",
        merchant=product.merchant,
        creator=creator,
        product_sku=product.sku,
        amount=amount,
        refunded=Decimal(refunded),
        service_fee_rate=product.service_fee_rate,
        paid_at=at or timezone.now() - timedelta(hours=1),
        **frozen,
    )


def bind(creator, agency, *, share: str = "0.30", since=None, until=None) -> Binding:
    """A binding in force from ``since`` (default: a month ago) to ``until`` (open)."""
    since = since or timezone.now() - timedelta(days=30)
    return Binding.objects.create(
        creator=creator,
        agency=agency,
        agency_share=Decimal(share),
        status=BindingStatus.ENDED if until else BindingStatus.ACTIVE,
        consented_at=since,
        valid_from=since,
        valid_to=until,
    )


def restrict(product: Product, *, reason: str = "医疗器械类目需资质", granted: bool = False):
    """Mark ``product`` restricted (限制推广商品), optionally with a granted permission."""
    RestrictedProduct.objects.create(merchant=product.merchant, sku=product.sku, reason=reason)
    if granted:
        ProductPermission.objects.create(
            merchant=product.merchant, sku=product.sku, status=PermissionStatus.GRANTED
        )


def image_bytes(
    fmt: str = "PNG", size: tuple[int, int] = (64, 48), color="#e4572e", **save
) -> bytes:
    """A small real image of ``fmt`` drawn with Pillow."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt, **save)
    return out.getvalue()


def with_image(product: Product, *, color="#e4572e"):
    """Give ``product`` one more image through the service (as an upload would)."""
    from cooperation.services.images import product_image_add

    return product_image_add(product=product, data=image_bytes(color=color))
