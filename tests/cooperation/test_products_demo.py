"""cooperation.demo: products and carts, idempotent, nothing with --users-only."""

from __future__ import annotations

import pytest

from admission import demo as admission_demo
from cooperation import demo
from cooperation.models import CartItem, Product, ProductStatus

pytestmark = pytest.mark.django_db


def test_users_only_creates_nothing():
    context: dict = {}
    admission_demo.seed(users_only=True, context=context)
    demo.seed(users_only=True, context=context)
    assert not Product.objects.exists() and not CartItem.objects.exists()


def test_seed_products_is_idempotent_and_has_the_settlement_skus():
    context: dict = {}
    admission_demo.seed(users_only=False, context=context)
    demo.seed_products(context)
    counts = (Product.objects.count(), CartItem.objects.count())
    demo.seed_products(context)
    assert (Product.objects.count(), CartItem.objects.count()) == counts
    assert counts[0] == 44
    skus = set(Product.objects.values_list("merchant__user__username", "sku"))
    for i in range(1, 11):
        assert ("demo_merchant", f"DM-{i:03d}") in skus
        assert ("demo_tmall", f"TM-{i:03d}") in skus
    assert Product.objects.filter(status=ProductStatus.ARCHIVED).count() == 1
    cart = CartItem.objects.filter(creator__user__username="demo_creator")
    assert cart.count() == 4
    assert all(item.product.is_active for item in cart)


def test_demo_products_get_drawn_images_once(settings, tmp_path):
    from PIL import Image

    from cooperation.demo_images import seed_images
    from cooperation.models import ProductImage

    settings.MEDIA_ROOT = str(tmp_path)
    context: dict = {}
    admission_demo.seed(users_only=False, context=context)
    products = demo.seed_products(context)
    made = seed_images(products)
    active = Product.objects.filter(status=ProductStatus.ACTIVE)
    assert made == ProductImage.objects.count() >= active.count()
    assert not active.filter(images=None).exists()
    assert not Product.objects.filter(status=ProductStatus.ARCHIVED, images__isnull=False).exists()
    assert seed_images(products) == 0  # again: nothing new
    with Image.open(ProductImage.objects.first().thumb.path) as thumb:
        assert thumb.format == "JPEG" and thumb.size == (320, 320)
