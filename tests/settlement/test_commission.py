"""The commission rule (SPEC §4): golden cases worked by hand and Hypothesis properties."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from settlement.commission import AGENCY, INDIVIDUAL, split, split_fee


@pytest.mark.parametrize(
    ("price", "rate", "share", "want"),
    [
        # SPEC example: 99.99 × 15% = 14.9985 → 15.00; platform 4.50; 10.50 × 0.33 = 3.465 → 3.47.
        ("99.99", "0.15", "0.33", ("15.00", "4.50", "3.47", "7.03")),
        # Individual: 199.00 × 20% = 39.80; 40% = 15.92; creator 23.88.
        ("199.00", "0.20", None, ("39.80", "15.92", "0.00", "23.88")),
        # Half-up at exactly .5 fen: 0.05 × 0.10 = 0.005 → 0.01 (never banker's 0.00).
        ("0.05", "0.10", None, ("0.01", "0.00", "0.00", "0.01")),
        # 1.25 × 0.20 = 0.25; platform 0.25 × 0.40 = 0.10; creator 0.15.
        ("1.25", "0.20", None, ("0.25", "0.10", "0.00", "0.15")),
        # Platform half-up: fee 0.15 × 0.30 = 0.045 → 0.05; rest 0.10; agency 0.10 × 0.5 = 0.05.
        ("1.50", "0.10", "0.50", ("0.15", "0.05", "0.05", "0.05")),
        # Agency half-up: fee 1.00, platform 0.30, rest 0.70 × 0.0714 = 0.04998 → 0.05.
        ("10.00", "0.10", "0.0714", ("1.00", "0.30", "0.05", "0.65")),
        # Share 0: everything after the platform goes to the creator; share 1: to the agency.
        ("100.00", "0.20", "0", ("20.00", "6.00", "0.00", "14.00")),
        ("100.00", "0.20", "1", ("20.00", "6.00", "14.00", "0.00")),
        # Full refund: price 0 → everything 0.
        ("0.00", "0.80", "0.33", ("0.00", "0.00", "0.00", "0.00")),
        # After a 50.00 refund of the SPEC §6 order: 149.00 × 20% = 29.80; 40% = 11.92.
        ("149.00", "0.20", None, ("29.80", "11.92", "0.00", "17.88")),
    ],
)
def test_golden_splits(price, rate, share, want):
    s = split(D(price), D(rate), agency_share=D(share) if share is not None else None)
    assert (s.fee, s.platform, s.agency, s.creator) == tuple(D(x) for x in want)
    assert s.rule == (INDIVIDUAL if share is None else AGENCY)


def test_split_difference_is_a_clawback():
    share = D("0.33")
    before = split(D("99.99"), D("0.15"), agency_share=share)
    after = split(D("49.99"), D("0.15"), agency_share=share)
    diff = after - before
    # 49.99 × 15% = 7.4985 → 7.50; platform 2.25; rest 5.25 × 0.33 = 1.7325 → 1.73; creator 3.52.
    assert (diff.fee, diff.platform, diff.agency, diff.creator) == (
        D("-7.50"),
        D("-2.25"),
        D("-1.74"),
        D("-3.51"),
    )


def test_refuses_bad_inputs():
    with pytest.raises(ValueError):
        split(D("-1.00"), D("0.2"), agency_share=None)
    with pytest.raises(ValueError):
        split(D("1.00"), D("0.2"), agency_share=D("1.01"))
    with pytest.raises(ValueError):
        split_fee(D("1.001"), agency_share=None)


prices = st.decimals(min_value=D("0"), max_value=D("9999999.99"), places=2)
rates = st.decimals(min_value=D("0.01"), max_value=D("0.80"), places=4)
shares = st.one_of(st.none(), st.decimals(min_value=D("0"), max_value=D("1"), places=4))


@given(prices, rates, shares)
def test_parts_sum_to_fee_never_negative_whole_fen(price, rate, share):
    s = split(price, rate, agency_share=share)
    assert s.platform + s.agency + s.creator == s.fee
    for part in (s.fee, s.platform, s.agency, s.creator):
        assert part >= 0
        assert part == part.quantize(D("0.01"))
    if share is None:
        assert s.agency == 0
    assert s.fee <= price


@given(prices, rates, shares)
def test_deterministic(price, rate, share):
    assert split(price, rate, agency_share=share) == split(price, rate, agency_share=share)


@given(prices, prices, rates, shares)
def test_refund_never_raises_any_part_beyond_one_fen(a, b, rate, share):
    # A lower price never raises the fee; parts move by rounding at most a fen upwards.
    hi, lo = max(a, b), min(a, b)
    s_hi, s_lo = split(hi, rate, agency_share=share), split(lo, rate, agency_share=share)
    assert s_lo.fee <= s_hi.fee
    assert s_lo.platform <= s_hi.platform
    for part in ("agency", "creator"):
        assert getattr(s_lo, part) <= getattr(s_hi, part) + D("0.01")
