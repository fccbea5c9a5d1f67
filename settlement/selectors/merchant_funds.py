"""A merchant's available funds (可用资金) and what explains them: top-ups, credit, shortfalls.

available = prepaid balance + credit limit, where the prepaid balance is the
merchant's ledger balance: top-ups (充值) in, commission settled and slot fees
held or paid out. Held slot fees are already debited, so "− what is held" is
part of the balance, not a second subtraction.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet

from hotwave.money import ZERO
from settlement.models import (
    Account,
    AccountKind,
    EscrowHold,
    EscrowStatus,
    FundsShortfall,
    MerchantFunds,
    TopUp,
)
from settlement.services.ledger import balance, fen_sum, from_fen_sum


@dataclass(frozen=True)
class Funds:
    balance: Decimal  # the merchant's ledger balance (top-ups − fees − slot fees)
    credit_limit: Decimal  # 授信额度
    held: Decimal  # slot fees in escrow now (already inside ``balance``)

    @property
    def available(self) -> Decimal:
        """What a new slot fee may use: balance + credit, never below zero."""
        return max(self.balance + self.credit_limit, ZERO)


def funds_of(merchant_id: int) -> Funds:
    """The merchant's funds right now (three queries)."""
    account_id = (
        Account.objects.filter(kind=AccountKind.MERCHANT, user_id=merchant_id)
        .values_list("pk", flat=True)
        .first()
    )
    credit = (
        MerchantFunds.objects.filter(merchant_id=merchant_id)
        .values_list("credit_limit", flat=True)
        .first()
    )
    held = from_fen_sum(
        EscrowHold.objects.filter(merchant_id=merchant_id, status=EscrowStatus.HELD).aggregate(
            s=fen_sum()
        )["s"]
    )
    return Funds(
        balance=balance(account_id) if account_id else ZERO,
        credit_limit=credit if credit is not None else ZERO,
        held=held,
    )


def top_ups_for(*, merchant_id: int) -> QuerySet[TopUp]:
    """The merchant's top-ups, newest first."""
    return TopUp.objects.filter(merchant_id=merchant_id).order_by("-requested_at", "-id")


def shortfalls_for(*, merchant_id: int) -> QuerySet[FundsShortfall]:
    """Acceptances refused for want of funds, newest first."""
    return FundsShortfall.objects.filter(merchant_id=merchant_id).order_by("-at", "-id")


def last_shortfall(*, key: str) -> FundsShortfall | None:
    """The latest refused acceptance under an escrow key (``task:<pk>``), or None."""
    return FundsShortfall.objects.filter(key=key).order_by("-at", "-id").first()
