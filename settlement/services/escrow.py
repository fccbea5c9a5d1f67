"""Slot-fee escrow (坑位费, SPEC §3), for the cooperation app to call.

* ``escrow_hold``    — on acceptance: merchant → escrow;
* ``escrow_release`` — on completion: escrow → platform, agency, creator, split
  like commission (SPEC §4) under the creator's binding at the moment of release;
* ``escrow_return``  — on cancellation: escrow → merchant;
* ``escrow_split``   — a dispute decision or a 保底 shortfall: part released (split
  like a release), the rest returned, in one transaction.

Each is idempotent by the caller's ``key`` (e.g. ``task:42``): calling it
again returns the same hold and posts nothing. A released or returned hold
can't move again (DomainError). Journals: ``escrow:hold|release|return:<key>``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from admission.models import Creator, Merchant
from hotwave.exceptions import DomainError
from hotwave.money import quantize
from settlement.commission import AGENCY, binding_in_force, split_fee
from settlement.models import AccountKind, EscrowHold, EscrowStatus, Journal, JournalKind, Rule
from settlement.services.funding import require_funded
from settlement.services.ledger import (
    business_date_of,
    party_accounts,
    post_journal,
    system_account,
)


class EscrowError(DomainError):
    code = "escrow.invalid"


@transaction.atomic
def escrow_hold(
    *,
    key: str,
    merchant: Merchant,
    creator: Creator,
    amount: Decimal,
    at: datetime | None = None,
) -> EscrowHold:
    """Move ``amount`` from the merchant into escrow under ``key``, if funded.

    Idempotent; raises EscrowError, InsufficientFunds (settlement.services.funding).
    """
    if not isinstance(amount, Decimal) or amount <= 0 or amount != quantize(amount):
        raise EscrowError(_("坑位费必须是大于 0 的金额（精确到分）。"), code="escrow.bad_amount")
    at = at or timezone.now()
    if not Journal.objects.filter(key=f"escrow:hold:{key}").exists():
        # Only what is funded is held (balance + credit, SPEC §7); the merchant's funds
        # row stays locked until this transaction ends, so concurrent holds queue.
        require_funded(merchant=merchant, amount=amount)
    existing = EscrowHold.objects.filter(key=key).first()
    if existing is None:
        try:
            with transaction.atomic():
                existing = EscrowHold.objects.create(
                    key=key, merchant=merchant, creator=creator, amount=amount, held_at=at
                )
        except IntegrityError:
            existing = EscrowHold.objects.get(key=key)
    if (existing.merchant_id, existing.creator_id, existing.amount) != (
        merchant.pk,
        creator.pk,
        amount,
    ):
        raise EscrowError(
            _("托管记录 %(key)s 已存在且内容不同。") % {"key": key}, code="escrow.conflict"
        )
    accounts = party_accounts([(AccountKind.MERCHANT, merchant.pk)])
    post_journal(
        key=f"escrow:hold:{key}",
        kind=JournalKind.ESCROW_HOLD,
        business_date=business_date_of(existing.held_at),
        lines=[
            (accounts[(AccountKind.MERCHANT, merchant.pk)], -amount),
            (system_account(AccountKind.ESCROW), amount),
        ],
        memo=f"坑位费托管 {key}",
    )
    return existing


def _locked(key: str) -> EscrowHold:
    hold = EscrowHold.objects.select_for_update().filter(key=key).first()
    if hold is None:
        raise EscrowError(_("没有托管记录 %(key)s。") % {"key": key}, code="escrow.unknown")
    return hold


def _post_release(hold: EscrowHold, amount: Decimal, at: datetime) -> None:
    """Post ``amount`` of the hold to the creator's side under its binding at ``at``
    (journal ``escrow:release:<key>``) and record the rule on the hold (not saved)."""
    binding = binding_in_force(hold.creator_id, at)
    s = split_fee(amount, agency_share=binding.agency_share if binding else None)
    pairs = [(AccountKind.CREATOR, hold.creator_id)]
    if binding:
        pairs.append((AccountKind.AGENCY, binding.agency_id))
    accounts = party_accounts(pairs)
    lines = [
        (system_account(AccountKind.ESCROW), -amount),
        (system_account(AccountKind.PLATFORM), s.platform),
        (accounts[(AccountKind.CREATOR, hold.creator_id)], s.creator),
    ]
    if binding:
        lines.append((accounts[(AccountKind.AGENCY, binding.agency_id)], s.agency))
    post_journal(
        key=f"escrow:release:{hold.key}",
        kind=JournalKind.ESCROW_RELEASE,
        business_date=business_date_of(at),
        lines=lines,
        memo=f"坑位费结算 {hold.key}",
    )
    hold.rule = Rule.AGENCY if s.rule == AGENCY else Rule.INDIVIDUAL
    hold.binding = binding
    hold.agency_id = binding.agency_id if binding else None
    hold.agency_share = s.agency_share


def _post_return(hold: EscrowHold, amount: Decimal, at: datetime) -> None:
    """Post ``amount`` of the hold back to the merchant (journal ``escrow:return:<key>``)."""
    accounts = party_accounts([(AccountKind.MERCHANT, hold.merchant_id)])
    post_journal(
        key=f"escrow:return:{hold.key}",
        kind=JournalKind.ESCROW_RETURN,
        business_date=business_date_of(at),
        lines=[
            (system_account(AccountKind.ESCROW), -amount),
            (accounts[(AccountKind.MERCHANT, hold.merchant_id)], amount),
        ],
        memo=f"坑位费退回 {hold.key}",
    )


_RELEASE_FIELDS = [
    "status",
    "closed_at",
    "rule",
    "binding",
    "agency",
    "agency_share",
    "released_amount",
]


@transaction.atomic
def escrow_release(*, key: str, at: datetime | None = None) -> EscrowHold:
    """Pay the held slot fee out under the creator's rule at ``at``. Idempotent; raises EscrowError."""
    hold = _locked(key)
    if hold.status == EscrowStatus.RELEASED:
        return hold
    if hold.status == EscrowStatus.RETURNED:
        raise EscrowError(_("坑位费已退回商家，不能再结算。"), code="escrow.returned")
    at = at or timezone.now()
    _post_release(hold, hold.amount, at)
    hold.status = EscrowStatus.RELEASED
    hold.closed_at = at
    hold.released_amount = hold.amount
    hold.save(update_fields=_RELEASE_FIELDS)
    return hold


@transaction.atomic
def escrow_return(*, key: str, at: datetime | None = None) -> EscrowHold:
    """Return the held slot fee to the merchant. Idempotent; raises EscrowError."""
    hold = _locked(key)
    if hold.status == EscrowStatus.RETURNED:
        return hold
    if hold.status == EscrowStatus.RELEASED:
        raise EscrowError(_("坑位费已结算，不能再退回。"), code="escrow.released")
    at = at or timezone.now()
    _post_return(hold, hold.amount, at)
    hold.status = EscrowStatus.RETURNED
    hold.closed_at = at
    hold.released_amount = Decimal("0.00")
    hold.save(update_fields=["status", "closed_at", "released_amount"])
    return hold


@transaction.atomic
def escrow_split(*, key: str, creator_part: Decimal, at: datetime | None = None) -> EscrowHold:
    """Release ``creator_part`` of the held slot fee and return the rest, exactly once.

    The released part is split like commission under the creator's binding at
    ``at`` (journal ``escrow:release:<key>``); the rest goes back to the merchant
    (``escrow:return:<key>``). All of it → a release, none → a return. Calling it
    again after it closed returns the hold unchanged if the parts agree; raises
    EscrowError otherwise, or for a part outside 0…held.
    """
    hold = _locked(key)
    if not isinstance(creator_part, Decimal) or creator_part != quantize(creator_part):
        raise EscrowError(_("结算金额必须精确到分。"), code="escrow.bad_amount")
    if not 0 <= creator_part <= hold.amount:
        raise EscrowError(
            _("结算金额须在 0 到托管金额 %(amount)s 之间。") % {"amount": hold.amount},
            code="escrow.bad_amount",
        )
    if hold.status != EscrowStatus.HELD:
        if hold.released_amount == creator_part or (
            hold.released_amount is None
            and creator_part == (hold.amount if hold.status == EscrowStatus.RELEASED else 0)
        ):
            return hold
        raise EscrowError(_("坑位费托管已完结，不能再分配。"), code="escrow.closed")
    at = at or timezone.now()
    if creator_part == hold.amount:
        hold = escrow_release(key=key, at=at)
    elif creator_part == 0:
        hold = escrow_return(key=key, at=at)
    else:
        _post_release(hold, creator_part, at)
        _post_return(hold, hold.amount - creator_part, at)
        hold.status = EscrowStatus.SPLIT
        hold.closed_at = at
        hold.released_amount = creator_part
        hold.save(update_fields=_RELEASE_FIELDS)
    return hold
