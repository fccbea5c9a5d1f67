"""Money in: top-ups (充值), the credit limit (授信额度) and the funded-hold check.

* ``top_up_request`` — a merchant asks to pay in; the payment provider
  (``settlement.payments``) confirms at once or later;
* ``top_up_confirm`` / ``top_up_fail`` — the provider's answer, idempotent:
  a confirmation posts journal ``topup:<pk>`` once (top-ups clearing → merchant);
* ``credit_limit_set`` — an operator grants credit (audited by simple-history);
* ``require_funded`` — called by ``escrow_hold`` inside its transaction: locks the
  merchant's funds row and refuses a slot fee above the available funds;
* ``funds_shortfall_record`` — remembers a refused acceptance for the merchant.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from admission.models import Merchant, User
from hotwave.exceptions import DomainError
from hotwave.money import format_cny, quantize
from settlement.models import (
    AccountKind,
    FundsShortfall,
    JournalKind,
    MerchantFunds,
    TopUp,
    TopUpStatus,
)
from settlement.payments import payment_provider
from settlement.selectors.merchant_funds import funds_of
from settlement.services.ledger import (
    business_date_of,
    party_account,
    post_journal,
    system_account,
)


class FundingError(DomainError):
    code = "funds.invalid"


class InsufficientFunds(DomainError):
    """The merchant's available funds do not cover a slot fee."""

    code = "funds.insufficient"

    def __init__(self, message: str, *, needed: Decimal, available: Decimal):
        super().__init__(message)
        self.needed = needed
        self.available = available


def _funds_row(merchant_id: int, *, lock: bool) -> MerchantFunds:
    MerchantFunds.objects.bulk_create(
        [MerchantFunds(merchant_id=merchant_id)], ignore_conflicts=True
    )
    rows = MerchantFunds.objects.filter(merchant_id=merchant_id)
    return (rows.select_for_update() if lock else rows).get()


def require_funded(*, merchant: Merchant, amount: Decimal) -> None:
    """Lock the merchant's funds and check ``amount`` fits in them. Raises InsufficientFunds.

    Must run inside the transaction that then posts the hold: the row lock makes
    two acceptances for one merchant check and post one after the other, so the
    second sees the first's hold in the balance (READ COMMITTED reads it afresh).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("require_funded must run inside the hold's transaction")
    _funds_row(merchant.pk, lock=True)
    available = funds_of(merchant.pk).available
    if amount > available:
        raise InsufficientFunds(
            # Shown to the creator: the merchant's funds themselves stay private.
            _(
                "商家「%(shop)s」的可用资金不足以托管坑位费 %(amount)s，暂不能接受；"
                "已通知商家充值，充值后可再次接受。"
            )
            % {"shop": merchant.shop_name, "amount": format_cny(amount)},
            needed=amount,
            available=available,
        )


@transaction.atomic
def funds_shortfall_record(
    *,
    merchant: Merchant,
    key: str,
    needed: Decimal,
    available: Decimal,
    reference: str = "",
    at: datetime | None = None,
) -> FundsShortfall:
    """Remember a refused acceptance so the merchant sees it (充值与可用资金, the task page)."""
    return FundsShortfall.objects.create(
        merchant=merchant,
        key=key,
        reference=reference[:40],
        needed=needed,
        available=available,
        at=at or timezone.now(),
    )


def _check_top_up_amount(amount: Decimal) -> None:
    low, high = settings.HOTWAVE_TOP_UP_MIN, settings.HOTWAVE_TOP_UP_MAX
    if not isinstance(amount, Decimal) or amount != quantize(amount) or not low <= amount <= high:
        raise FundingError(
            _("单笔充值金额须在 %(low)s 到 %(high)s 之间，精确到分。")
            % {"low": format_cny(low), "high": format_cny(high)},
            code="funds.bad_amount",
        )


@transaction.atomic
def top_up_request(*, actor: User, amount: Decimal) -> TopUp:
    """A merchant pays in ``amount`` through the provider. Raises FundingError."""
    merchant = getattr(actor, "merchant", None)
    if merchant is None:
        raise FundingError(_("只有商家可以充值。"), code="funds.not_merchant")
    _check_top_up_amount(amount)
    provider = payment_provider()
    top_up = TopUp.objects.create(
        merchant=merchant,
        amount=amount,
        provider=provider.name,
        requested_by=actor,
        requested_at=timezone.now(),
    )
    reply = provider.start_top_up(top_up_id=top_up.pk, amount=amount, merchant=actor.username)
    if reply.failure_reason:
        raise FundingError(reply.failure_reason, code="funds.provider_refused")
    top_up.reference = reply.reference
    top_up.save(update_fields=["reference"])
    if reply.confirmed:
        return top_up_confirm(provider=provider.name, reference=reply.reference)
    return top_up


def _locked_top_up(provider: str, reference: str) -> TopUp:
    top_up = (
        TopUp.objects.select_for_update()
        .select_related("merchant")
        .filter(provider=provider, reference=reference)
        .first()
    )
    if top_up is None:
        raise FundingError(
            _("没有渠道流水号为 %(ref)s 的充值。") % {"ref": reference}, code="funds.unknown"
        )
    return top_up


@transaction.atomic
def top_up_confirm(*, provider: str, reference: str, at: datetime | None = None) -> TopUp:
    """The provider says the money arrived: credit the merchant once. Raises FundingError."""
    top_up = _locked_top_up(provider, reference)
    if top_up.status == TopUpStatus.CONFIRMED:
        return top_up
    if top_up.status == TopUpStatus.FAILED:
        raise FundingError(_("该充值已失败，不能再确认。"), code="funds.failed")
    at = at or timezone.now()
    journal = post_journal(
        key=f"topup:{top_up.pk}",
        kind=JournalKind.TOP_UP,
        business_date=business_date_of(at),
        lines=[
            (system_account(AccountKind.TOP_UPS), -top_up.amount),
            (party_account(top_up.merchant_id, AccountKind.MERCHANT), top_up.amount),
        ],
        memo=f"充值 {top_up.reference}",
    )
    top_up.status = TopUpStatus.CONFIRMED
    top_up.confirmed_at = at
    top_up.journal = journal
    top_up.save(update_fields=["status", "confirmed_at", "journal"])
    return top_up


@transaction.atomic
def top_up_fail(*, provider: str, reference: str, reason: str) -> TopUp:
    """The provider says the payment failed: nothing is credited. Idempotent; raises FundingError."""
    top_up = _locked_top_up(provider, reference)
    if top_up.status == TopUpStatus.FAILED:
        return top_up
    if top_up.status == TopUpStatus.CONFIRMED:
        raise FundingError(_("该充值已到账，不能改为失败。"), code="funds.confirmed")
    top_up.status = TopUpStatus.FAILED
    top_up.failure_reason = reason[:200]
    top_up.save(update_fields=["status", "failure_reason"])
    return top_up


@transaction.atomic
def credit_limit_set(*, merchant: Merchant, credit_limit: Decimal, note: str = "") -> MerchantFunds:
    """An operator grants credit (授信额度); the change is audited. Raises FundingError."""
    if (
        not isinstance(credit_limit, Decimal)
        or credit_limit < 0
        or credit_limit != quantize(credit_limit)
    ):
        raise FundingError(_("授信额度须为不小于 0 的金额，精确到分。"), code="funds.bad_credit")
    row = _funds_row(merchant.pk, lock=True)
    row.credit_limit = credit_limit
    row.note = note[:200]
    row.save(update_fields=["credit_limit", "note", "updated_at"])
    return row
