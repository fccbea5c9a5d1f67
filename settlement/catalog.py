"""Product titles and thumbnails for settlement's pages: orders name their product by
(merchant, SKU).

Settlement sits below cooperation, which owns products, and never imports it
(admission ← settlement ← cooperation ← workbench). The app that owns products
registers a lookup here when it starts (``CooperationConfig.ready``); without one
the titles are empty and pages show the SKU alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple


class ProductFacts(NamedTuple):
    title: str
    thumb: str  # the cover image's thumbnail (a storage name), "" when there is none


FactsLookup = Callable[[set[tuple[int, str]]], dict[tuple[int, str], ProductFacts]]
_lookup: FactsLookup | None = None


def register_product_lookup(lookup: FactsLookup) -> None:
    global _lookup
    _lookup = lookup


def product_facts(pairs: Iterable[tuple[int, str]]) -> dict[tuple[int, str], ProductFacts]:
    """{(merchant id, sku): (title, thumb)} for the pairs that name a known product (one query)."""
    wanted = set(pairs)
    if not wanted or _lookup is None:
        return {}
    return _lookup(wanted)


def product_titles(pairs: Iterable[tuple[int, str]]) -> dict[tuple[int, str], str]:
    """{(merchant id, sku): title} for the pairs that name a known product (one query)."""
    return {key: facts.title for key, facts in product_facts(pairs).items()}


def attach_titles(orders) -> None:
    """Set ``product_title`` and ``product_thumb`` on each order ("" when unknown), one query."""
    orders = [o for o in orders if o is not None]
    facts = product_facts((o.merchant_id, o.product_sku) for o in orders)
    for order in orders:
        found = facts.get((order.merchant_id, order.product_sku))
        order.product_title = found.title if found else ""
        order.product_thumb = found.thumb if found else ""
