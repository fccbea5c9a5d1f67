"""Payouts over random histories (Hypothesis, issue 20): settlements, clawbacks, payouts,
failures and retries.

Each example runs a few nights for two creators (one bound to an agency): orders
paid and confirmed, refunds after settlement (clawbacks), the nightly run, the
day's batch exported, each item's result 成功 or 失败 or not yet, and after a
failure the payout account fixed (a new one verified) or not. At the end every
outstanding item is exported and answered 成功. Then, for every party:
paid_out (ledger_report) = the sum of its items that reached 已到账, balance =
earned − paid_out, and the ledger sums to zero.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from settlement.models import Payout, PayoutStatus
from settlement.services.events import ingest_objects
from settlement.services.payout_accounts import payout_account_submit, payout_account_verify
from settlement.services.payouts import payout_batch_export, payout_results_import
from settlement.services.report import account_figures, total
from settlement.services.settle import settle_through
from tests.admission.factories import (
    AgencyFactory,
    CreatorFactory,
    MerchantFactory,
    OperatorFactory,
)
from tests.settlement.factories import confirmed, paid, payable, refunded, started

pytestmark = pytest.mark.django_db

# Each example lives in its own stretch of the calendar: batches and runs are per date.
_STRETCH = itertools.count()

night = st.fixed_dictionaries(
    {
        "orders": st.lists(
            st.tuples(st.integers(0, 1), st.sampled_from(["0.01", "9.99", "100.00", "333.33"])),
            max_size=3,
        ),
        "refund": st.one_of(st.none(), st.tuples(st.integers(0, 20), st.integers(1, 100))),
        "results": st.lists(st.sampled_from(["成功", "失败", None]), max_size=3),
        "fix": st.booleans(),
    }
)


def _result(items, outcomes) -> bytes:
    lines = ["item_id,status,reason"]
    for item, outcome in zip(items, outcomes, strict=False):
        if outcome:
            lines.append(f"{item.pk},{outcome},{'账户异常' if outcome == '失败' else ''}")
    return ("\n".join(lines) + "\n").encode()


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(nights=st.lists(night, min_size=1, max_size=5))
def test_paid_out_is_what_arrived_and_the_balance_is_earned_less_paid_out(nights):
    start = date(2024, 1, 1) + timedelta(days=40 * next(_STRETCH))
    merchant = MerchantFactory().user
    creators = [CreatorFactory().user, CreatorFactory().user]
    agency = AgencyFactory().user
    payable(*creators, agency)
    operator = OperatorFactory()
    ingest_objects(
        [
            started(
                creators[1],
                agency,
                "0.30",
                f"{(start - timedelta(days=1)).isoformat()}T00:00:00+08:00",
            )
        ],
        source="file",
    )
    orders: list[tuple[str, Decimal]] = []
    for n, plan in enumerate(nights):
        day = start + timedelta(days=n)
        iso = day.isoformat()
        events = []
        for k, (who, amount) in enumerate(plan["orders"]):
            order_id = f"PP-{start:%Y%m%d}-{n}-{k}"
            events += [
                paid(order_id, merchant, creators[who], amount, "0.20", f"{iso}T09:00:00+08:00"),
                confirmed(order_id, f"{iso}T10:00:00+08:00"),
            ]
            orders.append((order_id, Decimal(amount)))
        if plan["refund"] and orders:
            index, percent = plan["refund"]
            order_id, amount = orders[index % len(orders)]
            part = (amount * percent / 100).quantize(Decimal("0.01"))
            if part > 0:
                events.append(refunded(order_id, f"{part:.2f}", f"{iso}T11:00:00+08:00"))
                orders[index % len(orders)] = (order_id, amount - part)
        if events:
            ingest_objects(events, source="file")
        settle_through(business_date=day)
        payout_batch_export(business_date=day)
        items = list(Payout.objects.filter(batch__business_date=day).order_by("pk"))
        payout_results_import(content=_result(items, plan["results"]), file_name=f"{iso}.csv")
        if plan["fix"]:
            for user in (*creators, agency):
                if Payout.objects.filter(account__user=user, status=PayoutStatus.FAILED).exists():
                    account = payout_account_submit(
                        actor=user,
                        method="bank",
                        holder_name=user.profile.real_name,
                        account_number=f"6222{user.pk:08d}{n:04d}",
                        bank_name="招商银行",
                    )
                    payout_account_verify(account=account, operator=operator)
    # Everything still outstanding is exported and arrives.
    last = start + timedelta(days=len(nights))
    payout_batch_export(business_date=last)
    open_items = Payout.objects.filter(
        account__user__in=[*creators, agency], status=PayoutStatus.SUBMITTED
    )
    payout_results_import(
        content=_result(list(open_items), ["成功"] * open_items.count()), file_name="final.csv"
    )

    figures = account_figures()
    for user in (*creators, agency):
        role = user.role
        name = f"{role}:{user.username}"
        arrived = sum(
            (p.amount for p in Payout.objects.filter(account__user=user, status=PayoutStatus.PAID)),
            Decimal("0.00"),
        )
        mine = figures.get(name, {"earned": "0.00", "paid_out": "0.00", "balance": "0.00"})
        assert Decimal(mine["paid_out"]) == arrived, name
        assert Decimal(mine["balance"]) == Decimal(mine["earned"]) - Decimal(mine["paid_out"])
        assert not Payout.objects.filter(
            account__user=user, status__in=[PayoutStatus.PENDING, PayoutStatus.SUBMITTED]
        ).exists()
    assert total() == Decimal("0.00")
