"""Payouts held for parties that are not admitted or have no verified 收款账户 (issue 14, defect 3).

SPEC §2: only admitted parties earn; SPEC §7: creators and agencies are paid only
to a verified payout account and only while admitted, otherwise the balance is
held with its reason. The trade system's events are still accepted and settled
(the order happened); nothing is paid out to a held party; the first settlement
run after the reason is gone pays the whole balance. ``demo_newbie`` used to earn
and be paid out. Both kernels (Python; set-based SQL on Postgres).
"""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal as D

import pytest
from django.core.management import call_command

from admission.models import Creator
from settlement import holds
from settlement.models import Order, OrderStatus, Payout, PayoutAccount
from settlement.services.events import ingest_objects
from settlement.services.payout_accounts import payout_account_submit, payout_account_verify
from settlement.services.reconcile import reconcile
from settlement.services.settle import settle_through
from settlement.todos import PAYOUTS_HELD
from tests.admission.factories import CreatorFactory, OperatorFactory, sign_agreement
from tests.settlement.factories import confirmed, paid, payable, started

pytestmark = pytest.mark.django_db
OCT = date(2026, 10, 31)
KERNELS = ["python", pytest.param("sql", marks=pytest.mark.postgres)]


def report() -> dict:
    out = io.StringIO()
    call_command("ledger_report", "--json", stdout=out)
    return json.loads(out.getvalue())


def sell(merchant, creator, order_id="H1", amount="100.00", day="05"):
    tally = ingest_objects(
        [
            paid(order_id, merchant, creator, amount, "0.20", f"2026-10-{day}T10:00:00+08:00"),
            confirmed(order_id, f"2026-10-{day}T12:00:00+08:00"),
        ]
    )
    assert tally.rejected == 0


def codes(user) -> list[str]:
    return [r.code for r in holds.holds_for(user)]


@pytest.mark.parametrize("kernel", KERNELS)
def test_a_creator_that_is_not_admitted_is_settled_but_not_paid(merchant, kernel):
    newbie = CreatorFactory(alipay_verified=False).user  # like demo_newbie
    sell(merchant, newbie)
    summary = settle_through(business_date=OCT, kernel=kernel)
    assert summary.orders_settled == 1 and summary.payouts == 0
    assert Order.objects.get(order_id="H1").status == OrderStatus.SETTLED
    account = report()["accounts"][f"creator:{newbie.username}"]
    # 100 × 20% = 20.00; individual: creator 60% = 12.00, all of it held.
    assert account == {"earned": "12.00", "paid_out": "0.00", "balance": "12.00"}
    assert codes(newbie) == ["not_admitted", "no_verified_payout_account"]
    assert reconcile() == []


@pytest.mark.parametrize("kernel", KERNELS)
def test_an_admitted_creator_without_a_verified_account_is_held(merchant, creator, kernel):
    sign_agreement(creator)
    sell(merchant, creator)
    assert settle_through(business_date=OCT, kernel=kernel).payouts == 0
    assert codes(creator) == ["no_verified_payout_account"]
    assert not Payout.objects.exists()


@pytest.mark.parametrize("kernel", KERNELS)
def test_the_first_run_after_the_reason_is_gone_pays_everything_held(merchant, kernel):
    newbie = CreatorFactory(alipay_verified=False).user
    sell(merchant, newbie, "H1", day="05")
    settle_through(business_date=date(2026, 10, 5), kernel=kernel)
    sell(merchant, newbie, "H2", amount="50.00", day="06")
    settle_through(business_date=date(2026, 10, 6), kernel=kernel)
    assert report()["accounts"][f"creator:{newbie.username}"]["balance"] == "18.00"
    # The operator verifies Alipay, the creator signs and adds an account, it is verified.
    Creator.objects.filter(pk=newbie.pk).update(alipay_verified=True)
    newbie.refresh_from_db()
    payable(newbie)
    assert codes(newbie) == []
    summary = settle_through(business_date=date(2026, 10, 7), kernel=kernel)
    assert summary.payouts == 1 and summary.payout_total == D("18.00")
    assert report()["accounts"][f"creator:{newbie.username}"] == {
        "earned": "18.00",
        "paid_out": "18.00",
        "balance": "0.00",
    }
    assert reconcile() == []


@pytest.mark.parametrize("kernel", KERNELS)
def test_a_changed_account_holds_payouts_until_it_is_verified(merchant, creator, kernel):
    (first,) = payable(creator)
    sell(merchant, creator, "H1", day="05")
    assert settle_through(business_date=date(2026, 10, 5), kernel=kernel).payouts == 1
    changed = payout_account_submit(
        actor=creator,
        method="bank",
        holder_name=first.holder_name,
        account_number="6222 0000 1111 2222",
        bank_name="工商银行",
    )
    first.refresh_from_db()
    assert (first.status, changed.status) == ("replaced", "pending")
    sell(merchant, creator, "H2", day="06")
    assert settle_through(business_date=date(2026, 10, 6), kernel=kernel).payouts == 0
    assert codes(creator) == ["no_verified_payout_account"]
    payout_account_verify(account=changed, operator=OperatorFactory())
    summary = settle_through(business_date=date(2026, 10, 7), kernel=kernel)
    assert (summary.payouts, summary.payout_total) == (1, D("12.00"))


@pytest.mark.parametrize("kernel", KERNELS)
def test_the_agency_and_its_creator_are_held_each_for_its_own_reasons(
    merchant, agency_creator, agency, kernel
):
    payable(agency_creator)  # the creator may be paid; its agency has no account yet
    sign_agreement(agency)
    ingest_objects([started(agency_creator, agency, "0.50", "2026-10-01T00:00:00+08:00")])
    sell(merchant, agency_creator)
    settle_through(business_date=OCT, kernel=kernel)
    accounts = report()["accounts"]
    # fee 20.00: platform 30% = 6.00, rest 14.00 split 50/50.
    assert accounts[f"creator:{agency_creator.username}"]["paid_out"] == "7.00"
    assert accounts[f"agency:{agency.username}"] == {
        "earned": "7.00",
        "paid_out": "0.00",
        "balance": "7.00",
    }
    assert codes(agency) == ["no_verified_payout_account"]


def test_a_negative_balance_is_never_held_as_a_to_do(merchant, creator):
    """The to-do counts reasons only while something is owed."""
    sign_agreement(creator)
    assert PAYOUTS_HELD.count_for(creator) == 0  # nothing earned yet
    sell(merchant, creator)
    settle_through(business_date=OCT)
    assert PAYOUTS_HELD.count_for(creator) == 1
    assert PAYOUTS_HELD.count_all() == {creator.pk: 1}
    newbie = CreatorFactory(alipay_verified=False).user
    sell(merchant, newbie, "H9")
    settle_through(business_date=OCT)
    assert PAYOUTS_HELD.count_all() == {creator.pk: 1, newbie.pk: 2}
    payable(creator)
    settle_through(business_date=date(2026, 11, 1))
    assert PAYOUTS_HELD.count_for(creator) == 0
    assert PayoutAccount.objects.filter(user=creator, status="verified").count() == 1


def test_the_to_do_statement_counts_as_count_for(merchant, creator):
    from hotwave.todos import counts_for

    sign_agreement(creator)
    sell(merchant, creator)
    settle_through(business_date=OCT)
    assert counts_for(creator)["settlement.payouts_held"] == 1


def test_the_statement_built_once_answers_as_the_orm_for_every_payee(creator, agency):
    """holds_for runs a statement compiled once per role (settlement.holds._statement);
    for creators and agencies in every state it flags what the ORM query flags."""
    newbie = CreatorFactory(alipay_verified=False).user
    unsigned = CreatorFactory().user
    signed = CreatorFactory().user
    sign_agreement(signed)
    verified = CreatorFactory().user
    payable(verified)
    payees = [creator, agency, newbie, unsigned, signed, verified]
    holds._statements.clear()
    for user in payees:
        orm = list(holds._flags(user.role, user.pk))[0]
        assert [r.code for r in holds.holds_for(user)] == [
            r.code for r, held in zip(holds.REASONS, orm, strict=True) if held
        ], user.username
    assert {key[0] for key in holds._statements} == {"creator", "agency"}
    assert len({tuple(codes(u)) for u in payees}) > 2  # states that differ
