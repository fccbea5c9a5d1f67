"""The commission rule (SPEC §4), in one pure function, plus helpers that read bindings.

    fee      = quantize(price × rate)                  (half-up to the fen)
    bound:     platform = quantize(fee × 0.30); rest = fee − platform
               agency   = quantize(rest × share); creator = rest − agency
    individual: platform = quantize(fee × 0.40); creator = fee − platform

The parts always add up to the fee exactly. ``split()`` is pure: the same
inputs give the same result, and it touches no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from hotwave.money import ZERO, quantize

BOUND_PLATFORM_RATE = Decimal("0.30")
INDIVIDUAL_PLATFORM_RATE = Decimal("0.40")
# The service-fee rates an order (and a product) may carry (SPEC §3): 1%–80%.
MIN_RATE = Decimal("0.01")
MAX_RATE = Decimal("0.80")
AGENCY = "agency"
INDIVIDUAL = "individual"


@dataclass(frozen=True, slots=True)
class Split:
    """The parts of a promotion service fee (or a slot fee) under one rule."""

    fee: Decimal
    platform: Decimal
    agency: Decimal
    creator: Decimal
    rule: str  # "agency" | "individual"
    agency_share: Decimal | None

    def __sub__(self, other: Split) -> Split:
        """The difference between two splits of the same order (a clawback)."""
        return Split(
            fee=self.fee - other.fee,
            platform=self.platform - other.platform,
            agency=self.agency - other.agency,
            creator=self.creator - other.creator,
            rule=self.rule,
            agency_share=self.agency_share,
        )


def platform_rate(rule: str) -> Decimal:
    """The platform's part of the fee under ``rule`` ("agency" or "individual")."""
    return BOUND_PLATFORM_RATE if rule == AGENCY else INDIVIDUAL_PLATFORM_RATE


def split_fee(fee: Decimal, *, agency_share: Decimal | None) -> Split:
    """Split an already-rounded fee: bound when ``agency_share`` is not None, else individual."""
    if fee != quantize(fee):
        raise ValueError(f"fee must be whole fen, got {fee}")
    if agency_share is None:
        platform = quantize(fee * INDIVIDUAL_PLATFORM_RATE)
        return Split(fee, platform, ZERO, fee - platform, INDIVIDUAL, None)
    if not ZERO <= agency_share <= 1:
        raise ValueError(f"agency share must be within 0–1, got {agency_share}")
    platform = quantize(fee * BOUND_PLATFORM_RATE)
    rest = fee - platform
    agency = quantize(rest * agency_share)
    return Split(fee, platform, agency, rest - agency, AGENCY, agency_share)


def split(price: Decimal, rate: Decimal, *, agency_share: Decimal | None) -> Split:
    """The SPEC §4 split of the fee on ``price`` at ``rate``.

    ``agency_share`` is the share of the binding in force at payment, or None
    for an individual creator. Raises ValueError on a negative price or share
    outside 0–1.
    """
    if price < 0:
        raise ValueError(f"price must not be negative, got {price}")
    return split_fee(quantize(price * rate), agency_share=agency_share)


def split_for_order(order) -> Split:
    """The split of an order's current price under its frozen rule and share."""
    share = order.agency_share if order.rule == AGENCY else None
    return split(order.amount - order.refunded, order.service_fee_rate, agency_share=share)


def binding_in_force(creator, at: datetime | None = None):
    """The Binding covering ``at`` (default now) for ``creator`` (profile or pk), or None.

    One query, through ``settlement.selectors.bindings`` (the one place "in force at t"
    is written); kept here for the kernel's callers.
    """
    from settlement.selectors.bindings import binding_in_force as in_force

    return in_force(creator, at)


def estimate_per_unit(
    creator, *, price: Decimal, rate: Decimal, at: datetime | None = None, binding=False
) -> Split:
    """What ``creator`` would earn per unit sold at ``price``/``rate`` under its current rule.

    Pass ``binding`` (a Binding or None) when already known to save the query;
    ``.creator`` of the result is the creator's earnings.
    """
    if binding is False:
        binding = binding_in_force(creator, at)
    return split(price, rate, agency_share=binding.agency_share if binding else None)
