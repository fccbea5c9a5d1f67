"""Money in (issue 20): top-ups through the payment provider, credit, the funded-hold check."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.test import override_settings

from settlement.models import (
    AccountKind,
    EscrowHold,
    Journal,
    JournalKind,
    MerchantFunds,
    Posting,
    TopUp,
    TopUpStatus,
)
from settlement.payments import ProviderReply
from settlement.selectors.merchant_funds import funds_of
from settlement.services import funding
from settlement.services.escrow import escrow_hold, escrow_return
from settlement.services.ledger import balance, party_account
from settlement.services.report import total
from tests.admission.factories import MerchantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    """A merchant with no credit and no money in."""
    return MerchantFactory(credit_limit=0).user


class PendingProvider:
    """A provider that confirms later (a real one's shape)."""

    name = "later"

    def start_top_up(self, *, top_up_id, amount, merchant):
        return ProviderReply(reference=f"LATER-{top_up_id}")


def test_a_new_merchant_has_no_funds(shop):
    funds = funds_of(shop.pk)
    assert (funds.balance, funds.credit_limit, funds.held, funds.available) == (
        D("0.00"),
        D("0.00"),
        D("0.00"),
        D("0.00"),
    )


def test_an_instant_top_up_credits_the_merchant_once_and_the_ledger_balances(shop):
    top_up = funding.top_up_request(actor=shop, amount=D("5000.00"))
    assert top_up.status == TopUpStatus.CONFIRMED and top_up.reference.startswith("INSTANT-")
    assert funds_of(shop.pk).available == D("5000.00")
    journal = Journal.objects.get(key=f"topup:{top_up.pk}")
    assert journal.kind == JournalKind.TOP_UP
    assert {(p.account.kind, p.amount) for p in Posting.objects.filter(journal=journal)} == {
        (AccountKind.MERCHANT, D("5000.00")),
        (AccountKind.TOP_UPS, D("-5000.00")),
    }
    # A confirmation delivered again credits nothing more.
    funding.top_up_confirm(provider=top_up.provider, reference=top_up.reference)
    assert funds_of(shop.pk).available == D("5000.00")
    assert total() == D("0.00")


def test_a_later_confirmation_credits_when_it_arrives_and_a_failure_credits_nothing(
    shop, monkeypatch
):
    monkeypatch.setattr(funding, "payment_provider", PendingProvider)
    first = funding.top_up_request(actor=shop, amount=D("300.00"))
    second = funding.top_up_request(actor=shop, amount=D("200.00"))
    assert first.status == second.status == TopUpStatus.PENDING
    assert funds_of(shop.pk).available == D("0.00")
    funding.top_up_confirm(provider="later", reference=first.reference)
    funding.top_up_fail(provider="later", reference=second.reference, reason="银行卡余额不足")
    funding.top_up_fail(provider="later", reference=second.reference, reason="again")
    assert funds_of(shop.pk).available == D("300.00")
    second.refresh_from_db()
    assert (second.status, second.failure_reason) == (TopUpStatus.FAILED, "银行卡余额不足")
    with pytest.raises(funding.FundingError):
        funding.top_up_confirm(provider="later", reference=second.reference)
    with pytest.raises(funding.FundingError):
        funding.top_up_fail(provider="later", reference=first.reference, reason="x")
    with pytest.raises(funding.FundingError):
        funding.top_up_confirm(provider="later", reference="NOPE")


@pytest.mark.parametrize("amount", [D("0.00"), D("0.99"), D("1000000.01"), D("10.001")])
def test_a_top_up_outside_the_bounds_is_refused_and_changes_nothing(shop, amount):
    with pytest.raises(funding.FundingError) as exc:
        funding.top_up_request(actor=shop, amount=amount)
    assert "¥1.00" in exc.value.message and "¥1,000,000.00" in exc.value.message
    assert not TopUp.objects.exists() and not Journal.objects.exists()


def test_only_merchants_top_up(creator):
    with pytest.raises(funding.FundingError):
        funding.top_up_request(actor=creator, amount=D("10.00"))


@override_settings(HOTWAVE_PAYMENT_PROVIDER="settlement.payments.NoProvider")
def test_without_a_provider_a_top_up_is_refused_with_the_reason(shop):
    with pytest.raises(funding.FundingError) as exc:
        funding.top_up_request(actor=shop, amount=D("10.00"))
    assert "充值通道" in exc.value.message
    assert not TopUp.objects.exists()


def test_credit_is_audited_and_never_negative(shop):
    funding.credit_limit_set(merchant=shop.merchant, credit_limit=D("2000.00"), note="框架协议")
    funding.credit_limit_set(merchant=shop.merchant, credit_limit=D("500.00"))
    row = MerchantFunds.objects.get(merchant=shop.merchant)
    assert [h.credit_limit for h in row.history.order_by("history_id")] == [
        D("2000.00"),
        D("500.00"),
    ]
    assert funds_of(shop.pk).available == D("500.00")
    with pytest.raises(funding.FundingError):
        funding.credit_limit_set(merchant=shop.merchant, credit_limit=D("-1.00"))


def test_a_hold_uses_balance_and_credit_and_refuses_one_fen_more(shop, creator):
    funding.top_up_request(actor=shop, amount=D("600.00"))
    funding.credit_limit_set(merchant=shop.merchant, credit_limit=D("400.00"))
    escrow_hold(key="t:1", merchant=shop.merchant, creator=creator.creator, amount=D("700.00"))
    funds = funds_of(shop.pk)
    assert (funds.balance, funds.held, funds.available) == (
        D("-100.00"),
        D("700.00"),
        D("300.00"),
    )
    with pytest.raises(funding.InsufficientFunds) as exc:
        escrow_hold(key="t:2", merchant=shop.merchant, creator=creator.creator, amount=D("300.01"))
    assert (exc.value.needed, exc.value.available) == (D("300.01"), D("300.00"))
    assert "¥300.01" in exc.value.message
    assert not EscrowHold.objects.filter(key="t:2").exists()
    escrow_hold(key="t:2", merchant=shop.merchant, creator=creator.creator, amount=D("300.00"))
    assert funds_of(shop.pk).available == D("0.00")
    # Holding the same key again is idempotent even with no funds left.
    escrow_hold(key="t:2", merchant=shop.merchant, creator=creator.creator, amount=D("300.00"))
    # A returned slot fee is available again.
    escrow_return(key="t:1")
    assert funds_of(shop.pk).available == D("700.00")
    assert balance(party_account(shop.pk, AccountKind.MERCHANT)) == D("300.00")
    assert total() == D("0.00")
