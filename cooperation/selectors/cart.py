"""带货车 (selection cart) reads: the creator's items with availability and estimates."""

from __future__ import annotations

from django.db.models import Case, Exists, OuterRef, QuerySet, Value, When

from admission.models import User
from cooperation.models import CartItem, Product, ProductStatus, first_thumb
from cooperation.selectors.access import creator_of
from cooperation.selectors.plans import with_best_rate
from cooperation.selectors.products import blocked_q


def cart_items_for(*, actor: User) -> QuerySet[CartItem]:
    """The actor's (a creator's) cart, newest first; Http404 for other roles.

    Annotates ``unavailable``: "" when the product can be promoted, "archived"
    or "restricted" when it no longer can (it stays listed so the creator sees why),
    ``thumb_name``, the product's cover thumbnail, and the rate that applies to the
    creator (``best_rate``, ``best_plan_kind``, ``rate_cut_pending``:
    cooperation.selectors.plans).
    """
    creator = creator_of(actor)
    blocked = Product.objects.filter(blocked_q(), pk=OuterRef("product_id"))
    items = (
        CartItem.objects.filter(creator=creator)
        .select_related("product", "product__merchant", "product__category")
        .annotate(
            unavailable=Case(
                When(product__status=ProductStatus.ARCHIVED, then=Value("archived")),
                When(Exists(blocked), then=Value("restricted")),
                default=Value(""),
            ),
            thumb_name=first_thumb("product_id"),
        )
        .order_by("-added_at", "-pk")
    )
    return with_best_rate(items, creator=creator, product_ref="product_id")


def cart_item_for(*, actor: User, pk: int) -> CartItem:
    """One item of the actor's cart; someone else's is a 404."""
    from django.http import Http404

    try:
        return cart_items_for(actor=actor).get(pk=pk)
    except CartItem.DoesNotExist as exc:
        raise Http404 from exc


def cart_product_ids(*, actor: User) -> set[int]:
    """Ids of the products in the actor's cart (for "已加入" marks)."""
    creator = creator_of(actor)
    return set(CartItem.objects.filter(creator=creator).values_list("product_id", flat=True))
