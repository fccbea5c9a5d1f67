"""Product titles for settlement's pages: orders name their product by (merchant, SKU).

Settlement sits below cooperation, which owns products, and never imports it
(admission ← settlement ← cooperation ← workbench). The app that owns products
registers a lookup here when it starts (``CooperationConfig.ready``); without one
the titles are empty and pages show the SKU alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

TitleLookup = Callable[[set[tuple[int, str]]], dict[tuple[int, str], str]]
_lookup: TitleLookup | None = None


def register_title_lookup(lookup: TitleLookup) -> None:
    global _lookup
    _lookup = lookup


def product_titles(pairs: Iterable[tuple[int, str]]) -> dict[tuple[int, str], str]:
    """{(merchant id, sku): title} for the pairs that name a known product (one query)."""
    wanted = set(pairs)
    if not wanted or _lookup is None:
        return {}
    return _lookup(wanted)


def attach_titles(orders) -> None:
    """Set ``product_title`` on each order ("" when the product is unknown)."""
    orders = [o for o in orders if o is not None]
    titles = product_titles((o.merchant_id, o.product_sku) for o in orders)
    for order in orders:
        order.product_title = titles.get((order.merchant_id, order.product_sku), "")
