"""Slot-fee escrow (SPEC §3): hold, release under the rule at that moment, return; idempotent."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from hotwave.exceptions import DomainError
from settlement.models import EscrowStatus, Journal, Posting, Rule
from settlement.services.escrow import escrow_hold, escrow_release, escrow_return
from settlement.services.ledger import balance, party_account, system_account
from settlement.services.reconcile import reconcile
from tests.settlement.factories import BindingFactory, at, payable


@pytest.fixture(autouse=True)
def _payable_parties(creator, agency_creator, agency):
    """Paid parties are admitted with a verified 收款账户 (SPEC §7; held otherwise)."""
    payable(creator, agency_creator, agency)


def bal(user, kind):
    return balance(party_account(user.pk, kind))


def test_hold_then_release_individual(merchant, creator):
    hold = escrow_hold(
        key="task:1", merchant=merchant.merchant, creator=creator.creator, amount=D("1000.00")
    )
    assert hold.status == EscrowStatus.HELD
    assert bal(merchant, "merchant") == D("-1000.00")
    assert balance(system_account("escrow")) == D("1000.00")
    escrow_release(key="task:1")
    hold.refresh_from_db()
    assert (hold.status, hold.rule, hold.agency_id) == (
        EscrowStatus.RELEASED,
        Rule.INDIVIDUAL,
        None,
    )
    assert balance(system_account("escrow")) == 0
    assert balance(system_account("platform")) == D("400.00")
    assert bal(creator, "creator") == D("600.00")


def test_release_uses_the_binding_in_force_at_release(merchant, agency_creator, agency):
    BindingFactory(
        creator=agency_creator.creator,
        agency=agency.agency,
        agency_share=D("0.33"),
        valid_from=at("2026-10-01 00:00"),
    )
    # Held before the binding existed; released while bound → the agency rule.
    escrow_hold(
        key="task:7",
        merchant=merchant.merchant,
        creator=agency_creator.creator,
        amount=D("99.99"),
        at=at("2026-09-20 10:00"),
    )
    hold = escrow_release(key="task:7", at=at("2026-10-02 10:00"))
    # 99.99: platform 30.00 (29.997), rest 69.99, agency 23.10 (23.0967), creator 46.89.
    assert balance(system_account("platform")) == D("30.00")
    assert bal(agency, "agency") == D("23.10")
    assert bal(agency_creator, "creator") == D("46.89")
    assert (hold.rule, hold.agency_share) == (Rule.AGENCY, D("0.33"))


def test_hold_then_return(merchant, creator):
    escrow_hold(key="task:2", merchant=merchant.merchant, creator=creator.creator, amount=D("5.00"))
    escrow_return(key="task:2")
    assert bal(merchant, "merchant") == 0
    assert balance(system_account("escrow")) == 0
    assert reconcile() == []


def test_every_step_is_idempotent(merchant, creator):
    for _ in range(3):
        escrow_hold(
            key="task:3", merchant=merchant.merchant, creator=creator.creator, amount=D("8.00")
        )
    for _ in range(3):
        escrow_release(key="task:3")
    assert Journal.objects.count() == 2
    assert Posting.objects.count() == 5  # hold 2 + release 3 (individual: no agency line)
    assert bal(creator, "creator") == D("4.80")


def test_a_moved_hold_cannot_move_again(merchant, creator):
    escrow_hold(key="a", merchant=merchant.merchant, creator=creator.creator, amount=D("8.00"))
    escrow_hold(key="b", merchant=merchant.merchant, creator=creator.creator, amount=D("8.00"))
    escrow_release(key="a")
    escrow_return(key="b")
    with pytest.raises(DomainError):
        escrow_return(key="a")
    with pytest.raises(DomainError):
        escrow_release(key="b")
    assert escrow_return(key="b").status == EscrowStatus.RETURNED


@pytest.mark.parametrize("amount", [D("0"), D("-1.00"), D("1.001")])
def test_bad_amounts_are_refused(merchant, creator, amount):
    with pytest.raises(DomainError):
        escrow_hold(key="x", merchant=merchant.merchant, creator=creator.creator, amount=amount)
    assert not Journal.objects.exists()


def test_same_key_other_content_is_refused(merchant, creator):
    escrow_hold(key="x", merchant=merchant.merchant, creator=creator.creator, amount=D("1.00"))
    with pytest.raises(DomainError):
        escrow_hold(key="x", merchant=merchant.merchant, creator=creator.creator, amount=D("2.00"))


def test_unknown_key_is_refused(db):
    with pytest.raises(DomainError):
        escrow_release(key="nope")
    with pytest.raises(DomainError):
        escrow_return(key="nope")


def test_released_slot_fee_is_paid_out_at_night(merchant, creator):
    from datetime import date

    from settlement.models import Payout
    from settlement.services.settle import settle_through

    escrow_hold(key="t", merchant=merchant.merchant, creator=creator.creator, amount=D("100.00"))
    escrow_release(key="t")
    settle_through(business_date=date(2026, 11, 30))
    assert Payout.objects.get().amount == D("60.00")
