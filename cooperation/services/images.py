"""Product image writes: a merchant adds, reorders and removes its products' images.

Files are written through Django's storage API (``default_storage``: the file system
in the demo, an S3-compatible bucket in production) under names never reused, so a
URL once served may be cached for ever. The product row is locked for every change
of its images: two uploads at once cannot both take the fifth place.
"""

from __future__ import annotations

import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from cooperation.images import Encoded, process_upload
from cooperation.models import MAX_IMAGES_PER_PRODUCT, Product, ProductImage
from hotwave.exceptions import DomainError


def _store(product: Product, encoded: Encoded) -> tuple[str, str]:
    stem = f"products/{product.pk}/{uuid.uuid4().hex}"
    image = default_storage.save(f"{stem}.jpg", ContentFile(encoded.image))
    thumb = default_storage.save(f"{stem}-thumb.jpg", ContentFile(encoded.thumb))
    return image, thumb


def _delete_files(*names: str) -> None:
    for name in names:
        if name:
            default_storage.delete(name)


def _lock(product: Product) -> None:
    # Every change to a product's images holds its row: counts and positions stay exact.
    Product.objects.select_for_update().filter(pk=product.pk).first()


def _room_left(product: Product) -> int:
    return MAX_IMAGES_PER_PRODUCT - ProductImage.objects.filter(product=product).count()


def product_image_add(*, product: Product, data: bytes) -> ProductImage:
    """Add an image (the uploaded file's bytes) at the end of the product's images.

    Raises DomainError: too large, not a JPEG/PNG/WebP, too many pixels, broken, or the
    product already has MAX_IMAGES_PER_PRODUCT images. Nothing is stored when refused.
    """
    with transaction.atomic():
        _lock(product)
        if _room_left(product) <= 0:
            raise DomainError(
                _("每个商品最多 %(n)s 张图片，请先删除一张。") % {"n": MAX_IMAGES_PER_PRODUCT},
                code="image.too_many",
            )
    # Decoding and encoding take a moment: not while the product row is locked.
    encoded = process_upload(data)
    names = _store(product, encoded)
    try:
        with transaction.atomic():
            _lock(product)
            if _room_left(product) <= 0:  # another upload took the last place meanwhile
                raise DomainError(
                    _("每个商品最多 %(n)s 张图片，请先删除一张。") % {"n": MAX_IMAGES_PER_PRODUCT},
                    code="image.too_many",
                )
            last = ProductImage.objects.filter(product=product).aggregate(m=Max("position"))["m"]
            return ProductImage.objects.create(
                product=product,
                position=0 if last is None else last + 1,
                image=names[0],
                thumb=names[1],
                width=encoded.width,
                height=encoded.height,
            )
    except BaseException:
        _delete_files(*names)
        raise


def _renumber(product: Product) -> None:
    rows = list(ProductImage.objects.filter(product=product).order_by("position", "pk"))
    for index, row in enumerate(rows):
        if row.position != index:
            row.position = index
            row.save(update_fields=["position"])


@transaction.atomic
def product_image_remove(*, image: ProductImage) -> None:
    """Remove an image; its files are deleted once the removal is committed. Idempotent."""
    product = image.product
    _lock(product)
    deleted, _rows = ProductImage.objects.filter(pk=image.pk).delete()
    if deleted:
        names = (image.image.name, image.thumb.name)
        transaction.on_commit(lambda: _delete_files(*names))
    _renumber(product)


@transaction.atomic
def product_image_move(*, image: ProductImage, offset: int) -> None:
    """Move an image one place earlier (``offset=-1``) or later (``+1``); the first image
    is the cover. Moving past either end changes nothing."""
    if offset not in (-1, 1):
        raise DomainError(_("无法移动这张图片。"), code="image.bad_move")
    product = image.product
    _lock(product)
    rows = list(ProductImage.objects.filter(product=product).order_by("position", "pk"))
    index = next((i for i, row in enumerate(rows) if row.pk == image.pk), None)
    if index is None:
        return
    target = index + offset
    if not 0 <= target < len(rows):
        return
    rows[index], rows[target] = rows[target], rows[index]
    for position, row in enumerate(rows):
        if row.position != position:
            row.position = position
            row.save(update_fields=["position"])
