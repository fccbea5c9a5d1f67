"""Product images (商品图片): up to five per product, re-encoded, with a thumbnail made once."""

from __future__ import annotations

from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _

from cooperation.models.products import Product

# How many images one product may have (issue 18).
MAX_IMAGES_PER_PRODUCT = 5


class ProductImage(models.Model):
    """One image of a product; the first by ``position`` is the one cards show.

    ``image`` and ``thumb`` are files written by ``cooperation.images`` (never the
    bytes the merchant sent): JPEG, EXIF stripped, names that are never reused, so
    that their URLs may be cached for ever.
    """

    product = models.ForeignKey(
        Product, verbose_name=_("商品"), on_delete=models.CASCADE, related_name="images"
    )
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    image = models.FileField(_("图片"), max_length=200)
    thumb = models.FileField(_("缩略图"), max_length=200)
    width = models.PositiveIntegerField(_("宽度"))
    height = models.PositiveIntegerField(_("高度"))
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("商品图片")
        verbose_name_plural = _("商品图片")
        ordering = ["product", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(width__gt=0) & Q(height__gt=0), name="product_image_size_positive"
            ),
        ]
        indexes = [
            # The first image of a product (cards' thumbnails): one index probe per row.
            models.Index(fields=["product", "position", "id"], name="product_image_order_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.product} #{self.position + 1}"


def first_thumb(product_ref: str = "pk") -> Subquery:
    """The storage name of the first image's thumbnail of the product at ``product_ref``.

    Annotate lists with it (``thumb_name=first_thumb()``, or ``first_thumb("product_id")``
    on rows that point at a product): a subquery in the same SELECT, no query per row.
    """
    return Subquery(
        ProductImage.objects.filter(product_id=OuterRef(product_ref))
        .order_by("position", "pk")
        .values("thumb")[:1]
    )


__all__ = ["MAX_IMAGES_PER_PRODUCT", "ProductImage", "first_thumb"]
