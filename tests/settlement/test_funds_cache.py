"""资金账户 at scale: ledger sums cached under the account's ledger signature, and the
pending estimate computed per distinct order instead of per order."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

import pytest
from django.test import override_settings

from admission.models import Role
from hotwave.money import ZERO
from settlement import selectors
from settlement.commission import split_for_order
from settlement.models import AccountKind, Journal, JournalKind, OrderStatus, Posting
from settlement.services.ledger import party_account, post_journal, system_account
from tests.settlement.factories import BindingFactory, OrderFactory, at

pytestmark = pytest.mark.django_db

NOV = selectors.Period(date(2026, 11, 1), date(2026, 11, 30))
DEAD_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


def earn(account, amount: str, day: date, key: str, kind=JournalKind.SETTLEMENT):
    amount = Decimal(amount)
    post_journal(
        key=key,
        kind=kind,
        business_date=day,
        lines=[(account, amount), (system_account(AccountKind.PLATFORM), -amount)],
    )


def fresh_account(user):
    """The account as a new request sees it (the ledger signature is read once per request)."""
    return selectors.fund_account_of(actor=user)


def test_a_new_posting_shows_at_once(creator):
    account = party_account(creator.pk, AccountKind.CREATOR)
    earn(account, "10.00", date(2026, 11, 3), "t:1")
    first = selectors.fund_summary(actor=creator, account=fresh_account(creator), period=NOV)
    assert (first.balance, first.period_earned) == (Decimal("10.00"), Decimal("10.00"))
    earn(account, "2.50", date(2026, 11, 4), "t:2")
    earn(account, "-1.00", date(2026, 11, 4), "t:3", kind=JournalKind.CLAWBACK)
    account = fresh_account(creator)
    summary = selectors.fund_summary(actor=creator, account=account, period=NOV)
    assert summary.balance == Decimal("11.50")
    assert summary.period_clawbacks == Decimal("-1.00")
    by_day = dict(selectors.earnings_by_day(account=account, period=NOV))
    assert by_day[date(2026, 11, 3)] == Decimal("10.00")
    assert by_day[date(2026, 11, 4)] == Decimal("1.50")


def test_the_period_is_part_of_the_key(creator):
    account = party_account(creator.pk, AccountKind.CREATOR)
    earn(account, "10.00", date(2026, 11, 3), "t:1")
    earn(account, "5.00", date(2026, 10, 3), "t:2")
    octo = selectors.Period(date(2026, 10, 1), date(2026, 10, 31))
    nov = selectors.fund_summary(actor=creator, account=fresh_account(creator), period=NOV)
    oct_ = selectors.fund_summary(actor=creator, account=fresh_account(creator), period=octo)
    assert (nov.period_earned, oct_.period_earned) == (Decimal("10.00"), Decimal("5.00"))
    assert nov.balance == oct_.balance == Decimal("15.00")


def test_warm_reads_are_one_index_lookup(creator, django_assert_num_queries):
    account = party_account(creator.pk, AccountKind.CREATOR)
    earn(account, "10.00", date(2026, 11, 3), "t:1")
    account = fresh_account(creator)
    with django_assert_num_queries(4):  # signature, totals, pending | by day
        selectors.fund_summary(actor=creator, account=account, period=NOV)
        selectors.earnings_by_day(account=account, period=NOV)
    account = fresh_account(creator)
    with django_assert_num_queries(2):  # signature, pending
        selectors.fund_summary(actor=creator, account=account, period=NOV)
        selectors.earnings_by_day(account=account, period=NOV)


def test_a_posting_committed_out_of_id_order_still_shows(creator):
    """Concurrent transactions may commit a lower journal id after a higher one: the
    signature counts the postings, so the cached totals are not reused."""
    account = party_account(creator.pk, AccountKind.CREATOR)
    platform = system_account(AccountKind.PLATFORM)
    top = Journal.objects.order_by("-id").values_list("id", flat=True).first() or 0

    def journal_at(pk: int, amount: str) -> None:
        j = Journal.objects.create(
            id=pk, key=f"t:{pk}", kind=JournalKind.SETTLEMENT, business_date=date(2026, 11, 3)
        )
        Posting.objects.create(journal=j, account=account, amount=Decimal(amount))
        Posting.objects.create(journal=j, account=platform, amount=-Decimal(amount))

    journal_at(top + 100, "10.00")
    first = selectors.fund_summary(actor=creator, account=fresh_account(creator), period=NOV)
    assert first.balance == Decimal("10.00")
    journal_at(top + 50, "1.00")  # the "late" commit: a lower id than the latest
    summary = selectors.fund_summary(actor=creator, account=fresh_account(creator), period=NOV)
    assert summary.balance == Decimal("11.00")


def test_a_dead_cache_reads_the_ledger(creator):
    account = party_account(creator.pk, AccountKind.CREATOR)
    earn(account, "10.00", date(2026, 11, 3), "t:1")
    with override_settings(CACHES=DEAD_REDIS):
        account = fresh_account(creator)
        summary = selectors.fund_summary(actor=creator, account=account, period=NOV)
        assert summary.balance == Decimal("10.00")
        assert dict(selectors.earnings_by_day(account=account, period=NOV))[
            date(2026, 11, 3)
        ] == Decimal("10.00")


@pytest.mark.parametrize("role", [Role.MERCHANT, Role.CREATOR, Role.AGENCY])
def test_grouped_pending_estimate_equals_the_per_order_sum(role, merchant, creator, agency):
    """Per-order rounding is kept: the grouped estimate equals splitting each order."""
    rng = random.Random(7)
    binding = BindingFactory(
        creator=creator.creator, agency=agency.agency, agency_share=Decimal("0.33")
    )
    prices = [Decimal("99.99"), Decimal("0.05"), Decimal("12.34"), Decimal("1999.00")]
    rates = [Decimal("0.15"), Decimal("0.0333"), Decimal("0.2")]
    for _ in range(60):
        amount = rng.choice(prices)
        refunded = rng.choice([ZERO, ZERO, (amount / 3).quantize(Decimal("0.01"))])
        status = rng.choice([OrderStatus.PAID, OrderStatus.CONFIRMED])
        extra = {"confirmed_at": at("2026-11-02 10:00")} if status == OrderStatus.CONFIRMED else {}
        OrderFactory(
            merchant=merchant.merchant,
            bound=binding if rng.random() < 0.5 else None,
            creator=creator.creator,
            amount=amount,
            refunded=refunded,
            service_fee_rate=rng.choice(rates),
            status=status,
            **extra,
        )
    actor = {Role.MERCHANT: merchant, Role.CREATOR: creator, Role.AGENCY: agency}[role]
    orders = list(selectors.orders_for(actor=actor).exclude(status=OrderStatus.SETTLED))
    expected = sum((selectors.party_amount(actor, split_for_order(o)) for o in orders), ZERO)
    assert selectors.pending_estimate(actor=actor) == (len(orders), expected)
    assert len(orders) > 0


def test_the_pending_estimate_follows_new_orders_refunds_and_settlement(
    merchant, creator, django_assert_num_queries
):
    def order(**kw):
        return OrderFactory(merchant=merchant.merchant, creator=creator.creator, **kw)

    a = order(amount=Decimal("100.00"), service_fee_rate=Decimal("0.20"))
    # individual creator: 100 × 20% × 60%
    assert selectors.pending_estimate(actor=creator) == (1, Decimal("12.00"))
    with django_assert_num_queries(1):  # warm: the signature of the unsettled orders
        assert selectors.pending_estimate(actor=creator) == (1, Decimal("12.00"))
    b = order(amount=Decimal("50.00"), service_fee_rate=Decimal("0.20"))
    assert selectors.pending_estimate(actor=creator) == (2, Decimal("18.00"))
    type(b).objects.filter(pk=b.pk).update(refunded=Decimal("25.00"))
    assert selectors.pending_estimate(actor=creator) == (2, Decimal("15.00"))
    # a settles while another order of the same amount arrives: the set changed
    type(a).objects.filter(pk=a.pk).update(
        status=OrderStatus.SETTLED,
        confirmed_at=at("2026-11-02 10:00"),
        settled_at=at("2026-11-03 00:10"),
        settled_on=date(2026, 11, 2),
    )
    order(amount=Decimal("100.00"), service_fee_rate=Decimal("0.20"))
    assert selectors.pending_estimate(actor=creator) == (2, Decimal("15.00"))
    assert selectors.pending_estimate(actor=merchant) == (2, Decimal("-25.00"))
