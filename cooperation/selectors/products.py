"""Product reads: the merchant's own products, and what may be promoted at all."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from admission.models import Merchant, User
from admission.selectors import blocked_products_q, restriction_annotations
from cooperation.models import Product, ProductImage, ProductStatus, first_thumb
from cooperation.selectors.access import merchant_of


def blocked_q(prefix: str = "") -> Q:
    """Products restricted (限制推广商品) without an operator-granted permission.

    ``prefix`` points at a product from another model ("product__"). The rule
    itself is admission's (``admission.selectors.blocked_products_q``).
    """
    # admission's Q keeps the products that are NOT blocked; negate it.
    return ~blocked_products_q(merchant_field=f"{prefix}merchant", sku_field=f"{prefix}sku")


def promotable_q(prefix: str = "") -> Q:
    """Products a creator may promote now: active and not blocked by a restriction."""
    return Q(**{f"{prefix}status": ProductStatus.ACTIVE}) & ~blocked_q(prefix)


def with_restriction(qs: QuerySet[Product]) -> QuerySet[Product]:
    """Annotate ``is_blocked`` (restricted without permission) for the merchant's list."""
    blocked = Product.objects.filter(blocked_q(), pk=OuterRef("pk"))
    return qs.annotate(is_blocked=Exists(blocked))


def products_for_merchant(*, actor: User) -> QuerySet[Product]:
    """The actor's own products (404 for non-merchants), category loaded, newest first."""
    merchant = merchant_of(actor)
    return with_restriction(
        Product.objects.filter(merchant=merchant)
        .select_related("category")
        .annotate(thumb_name=first_thumb())
    ).order_by("-created_at", "-pk")


def product_for_merchant(*, actor: User, pk: int) -> Product:
    """One of the actor's own products; someone else's (or none) is a 404."""
    try:
        return products_for_merchant(actor=actor).get(pk=pk)
    except Product.DoesNotExist as exc:
        raise Http404 from exc


def cooperate_choices(*, merchant: Merchant) -> QuerySet[Product]:
    """The merchant's active products for 我要合作, newest first.

    Each carries ``is_blocked`` (restricted without a permission) and its restriction
    (``restriction_pk``, ``restriction_reason``, ``permission_status``): the form
    shows a blocked product disabled, with why and how to ask for the permission.
    """
    return (
        with_restriction(Product.objects.filter(merchant=merchant, status=ProductStatus.ACTIVE))
        .annotate(**restriction_annotations())
        .order_by("-created_at", "-pk")
    )


def offerable_products(*, merchant: Merchant) -> QuerySet[Product]:
    """The merchant's products it can offer in a cooperation: active, not blocked."""
    return (
        Product.objects.filter(merchant=merchant)
        .filter(promotable_q())
        .select_related("category")
        .order_by("title", "pk")
    )


def product_counts(*, actor: User) -> dict[str, int]:
    """Counts per status tab of the merchant's product list (one query)."""
    from django.db.models import Count

    merchant = merchant_of(actor)
    rows = (
        Product.objects.filter(merchant=merchant)
        .values("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {s.value: 0 for s in ProductStatus}
    for row in rows:
        counts[row["status"]] = row["n"]
    counts["all"] = sum(counts.values())
    return counts


def product_for_creator(*, actor: User, pk: int) -> Product:
    """Any merchant's product, for a creator choosing what to promote (404 for other roles).

    Archived and restricted products are returned too: the cart service refuses
    them with the reason, which a 404 would hide.
    """
    from cooperation.selectors.access import creator_of

    creator_of(actor)
    try:
        return Product.objects.select_related("merchant", "category").get(pk=pk)
    except Product.DoesNotExist as exc:
        raise Http404 from exc


def titles_by_sku(pairs: set[tuple[int, str]]) -> dict[tuple[int, str], str]:
    """{(merchant id, sku): title} of the products named by ``pairs`` (one query).

    Admission's refusals and 准入中心 call this through ``admission.product_titles``.
    """
    if not pairs:
        return {}
    merchants = {m for m, _sku in pairs}
    skus = {sku for _m, sku in pairs}
    rows = Product.objects.filter(merchant_id__in=merchants, sku__in=skus).values_list(
        "merchant_id", "sku", "title"
    )
    return {(m, sku): title for m, sku, title in rows if (m, sku) in pairs}


def product_images(*, product: Product) -> list[ProductImage]:
    """The product's images in display order (the first is the cover)."""
    return list(ProductImage.objects.filter(product=product).order_by("position", "pk"))


def product_image_for_merchant(*, actor: User, product_pk: int, pk: int) -> ProductImage:
    """One image of one of the actor's products; anyone else's (or none) is a 404."""
    merchant = merchant_of(actor)
    image = (
        ProductImage.objects.filter(pk=pk, product_id=product_pk, product__merchant=merchant)
        .select_related("product")
        .first()
    )
    if image is None:
        raise Http404
    return image


def facts_by_sku(pairs: set[tuple[int, str]]) -> dict:
    """{(merchant id, sku): ProductFacts(title, cover thumbnail)} of the named products
    (one query): settlement's order pages and CSV show them through ``settlement.catalog``."""
    from settlement.catalog import ProductFacts

    if not pairs:
        return {}
    merchants = {m for m, _sku in pairs}
    skus = {sku for _m, sku in pairs}
    rows = (
        Product.objects.filter(merchant_id__in=merchants, sku__in=skus)
        .annotate(thumb_name=first_thumb())
        .values_list("merchant_id", "sku", "title", "thumb_name")
    )
    return {
        (m, sku): ProductFacts(title, thumb or "")
        for m, sku, title, thumb in rows
        if (m, sku) in pairs
    }
