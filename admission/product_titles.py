"""Titles of merchants' products, for admission's messages and pages.

Admission knows a restricted product by (merchant, SKU) only: the products
themselves belong to cooperation, above admission, which admission never
imports. Cooperation registers a lookup when it starts (``CooperationConfig.
ready``), so the guard's refusals and the 准入中心 name products by title;
where no title is known they fall back to the SKU.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

# The same lookup settlement.catalog takes: {(merchant id, sku)} -> {(merchant id, sku): title}.
TitleLookup = Callable[[set[tuple[int, str]]], dict[tuple[int, str], str]]
_lookup: TitleLookup | None = None


def register(lookup: TitleLookup) -> None:
    """Install the lookup of titles by (merchant id, SKU) pairs (one query for many)."""
    global _lookup
    _lookup = lookup


def titles(merchant_id: int, skus: Iterable[str]) -> dict[str, str]:
    """``{sku: title}`` for the merchant's products that have one."""
    skus = [s for s in dict.fromkeys(skus) if s]
    if _lookup is None or not skus:
        return {}
    found = _lookup({(merchant_id, sku) for sku in skus})
    return {sku: title for (_merchant, sku), title in found.items()}


def title_of(merchant_id: int, sku: str) -> str:
    """The product's title, or its SKU when no title is known."""
    return titles(merchant_id, [sku]).get(sku) or sku
