"""What the workbench reads about cooperation: a party's tasks, products and cart.

The workbench never imports ``cooperation.models``: it reads through these
functions (one query each) and the other selectors (``hot``, ``plaza``).
``party`` is the side of a task: "merchant" or "creator".
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Q

from cooperation.models import OPEN_STATES, CartItem, Product, ProductStatus, Task

TASK_PARTIES = ("merchant", "creator")


def _side(party: str, party_id: int) -> dict[str, int]:
    if party not in TASK_PARTIES:
        raise ValueError(f"party must be one of {TASK_PARTIES}, not {party!r}")
    return {f"{party}_id": party_id}


def open_task_count(*, party: str, party_id: int) -> int:
    """The party's cooperation tasks not yet completed, declined, cancelled or expired."""
    return Task.objects.filter(state__in=list(OPEN_STATES), **_side(party, party_id)).count()


def task_milestones(*, party: str, party_id: int) -> dict[str, int]:
    """How many of the party's tasks reached each milestone (one query): ``created``,
    ``accepted``, ``shipped``, ``received``, ``live``, ``completed``."""
    return Task.objects.filter(**_side(party, party_id)).aggregate(
        created=Count("pk"),
        accepted=Count("pk", filter=Q(accepted_at__isnull=False)),
        shipped=Count("pk", filter=Q(shipped_at__isnull=False)),
        received=Count("pk", filter=Q(received_at__isnull=False)),
        live=Count("pk", filter=Q(live_reported_at__isnull=False)),
        completed=Count("pk", filter=Q(completed_at__isnull=False)),
    )


def recent_slot_fees(*, merchant_id: int, limit: int = 20) -> list[Decimal]:
    """The slot fees of the merchant's ``limit`` most recent tasks, newest first."""
    return list(
        Task.objects.filter(merchant_id=merchant_id)
        .order_by("-created_at")
        .values_list("slot_fee", flat=True)[:limit]
    )


def has_products(*, merchant_id: int) -> bool:
    """Whether the merchant has listed any product (in any state)."""
    return Product.objects.filter(merchant_id=merchant_id).exists()


def active_product_categories(*, merchant_id: int) -> set[str]:
    """The category codes of the merchant's products on sale."""
    return set(
        Product.objects.filter(merchant_id=merchant_id, status=ProductStatus.ACTIVE)
        .order_by()
        .values_list("category_id", flat=True)
        .distinct()
    )


def active_category_counts(*, merchant_id: int) -> list[dict]:
    """The categories of the merchant's products on sale, most products first (ties: the
    category's display order, then code): ``{"code", "name_zh", "name_en", "products"}``
    each. The first is the merchant's **main category**. One query."""
    rows = (
        Product.objects.filter(merchant_id=merchant_id, status=ProductStatus.ACTIVE)
        .values("category_id", "category__name_zh", "category__name_en", "category__position")
        .annotate(n=Count("id"))
        .order_by("-n", "category__position", "category_id")
    )
    return [
        {
            "code": r["category_id"],
            "name_zh": r["category__name_zh"],
            "name_en": r["category__name_en"],
            "products": r["n"],
        }
        for r in rows
    ]


def has_cart_items(*, creator_id: int) -> bool:
    """Whether the creator has anything in its 带货车."""
    return CartItem.objects.filter(creator_id=creator_id).exists()
