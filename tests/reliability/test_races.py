"""Races on PostgreSQL, each actor on its own connection (issue #8, items 1, 3, 4, 5).

Covered already by the settlement kernel (tests/settlement/test_concurrent_writers.py,
not repeated here): 2 and 4 concurrent runs over 60 orders, with and without the
advisory lock; one refund batch racing one run; concurrent imports of the same
events; concurrent escrow releases. This file adds the promises at full size:

1. 4 concurrent runs for one day over 5,000 orders → one set of postings, ledger
   sum zero, every balance and payout equal to a single run (computed from the
   SPEC rule order by order);
3. the nightly task (fired twice) racing a manual ``manage.py settle`` → one run
   per business date, one set of postings;
4. a refund arriving while its order is being settled, repeated ``REFUND_RACES``
   times → one valid outcome each time (settled at the full price then clawed back,
   or settled at the refunded price), never both or neither;
5. concurrent payouts and clawbacks for one creator → no double payout, balance
   equal to the sum of postings, payouts equal to what was earned net.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connections

from settlement.models import (
    Account,
    Journal,
    JournalKind,
    Order,
    OrderStatus,
    Payout,
    Posting,
    SettlementRun,
)
from settlement.services.events import ingest_objects
from settlement.services.reconcile import reconcile
from settlement.services.settle import settle_through
from settlement.tasks import settle_yesterday
from tests.reliability.test_money_model import split
from tests.settlement.factories import confirmed, paid, payable, refunded, started

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _payable_parties(creator, other_creator, agency_creator, agency):
    """Paid parties are admitted with a verified 收款账户 (SPEC §7; held otherwise)."""
    payable(creator, other_creator, agency_creator, agency)


ORDERS = 5000
REFUND_RACES = 20
Z = Decimal("0.00")
D = date(2026, 10, 31)


def in_threads(fns) -> list:
    """Run each callable in its own thread (own DB connection), released together."""
    barrier = threading.Barrier(len(fns))
    results: list = [None] * len(fns)
    errors: list = []

    def run(i, fn):
        try:
            barrier.wait()
            results[i] = fn()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    return results


def balances() -> dict[str, Decimal]:
    out: dict[str, Decimal] = defaultdict(lambda: Z)
    names = {
        a.pk: (a.kind if a.user_id is None else f"{a.kind}:{a.user.username}")
        for a in Account.objects.select_related("user")
    }
    for account_id, amount in Posting.objects.values_list("account_id", "amount"):
        out[names[account_id]] += amount
    return dict(out)


def single_run_expectation(orders: list[dict], shares: dict[str, Decimal]) -> dict:
    """Balances a single run produces: each order's split, then every positive party paid out."""
    bal: dict[str, Decimal] = defaultdict(lambda: Z)
    for o in orders:
        share = shares.get(o["creator"])
        fee, platform, agency, creator = split(
            Decimal(o["amount"]), Decimal(o["service_fee_rate"]), share
        )
        bal[f"merchant:{o['merchant']}"] -= fee
        bal["platform"] += platform
        bal[f"creator:{o['creator']}"] += creator
        if share is not None:
            bal[f"agency:{o['agency']}"] += agency
    payouts = {k: v for k, v in bal.items() if k.startswith(("creator:", "agency:")) and v > 0}
    for k, v in payouts.items():
        bal[k] -= v
        bal["payouts"] += v
    return {"balances": {k: v for k, v in bal.items() if v}, "payouts": payouts}


def test_four_concurrent_runs_over_5000_orders_equal_one_run(
    merchant, creator, other_creator, agency_creator, agency
):
    events = [started(agency_creator, agency, "0.33", "2026-09-01T00:00:00+08:00")]
    orders = []
    who = [creator, other_creator, agency_creator]
    for i in range(ORDERS):
        c = who[i % 3]
        e = paid(
            f"R{i}",
            merchant,
            c,
            f"{1 + i % 997}.{i % 100:02d}",
            f"0.{5 + i % 60:02d}",
            "2026-10-01T10:00:00+08:00",
        )
        e["agency"] = agency.username if c == agency_creator else None
        orders.append(e)
        events += [{k: v for k, v in e.items() if k != "agency"}]
        events.append(confirmed(f"R{i}", "2026-10-02T10:00:00+08:00"))
    assert ingest_objects(events).rejected == 0
    want = single_run_expectation(orders, {agency_creator.username: Decimal("0.33")})

    summaries = in_threads([lambda: settle_through(business_date=D, chunk_size=500)] * 4)

    assert sum(s.orders_settled for s in summaries) == ORDERS
    assert Journal.objects.filter(kind=JournalKind.SETTLEMENT).count() == ORDERS
    assert Order.objects.filter(status=OrderStatus.SETTLED).count() == ORDERS
    assert sum(Posting.objects.values_list("amount", flat=True), Z) == 0
    got = {k: v for k, v in balances().items() if v}
    assert got == want["balances"]
    paid_out = {
        f"{kind}:{username}": amount
        for kind, username, amount in Payout.objects.values_list(
            "account__kind", "account__user__username", "amount"
        )
    }
    assert paid_out == want["payouts"]
    assert SettlementRun.objects.get().attempts == 4
    assert reconcile() == []


def test_nightly_task_fired_twice_racing_a_manual_run(merchant, creator):
    events = []
    for i in range(300):
        events += [
            paid(f"N{i}", merchant, creator, "88.88", "0.2", "2026-10-30T10:00:00+08:00"),
            confirmed(f"N{i}", "2026-10-30T12:00:00+08:00"),
        ]
    assert ingest_objects(events).rejected == 0
    day = D.isoformat()
    in_threads(
        [
            lambda: settle_yesterday.apply(args=[day]).get(),
            lambda: settle_yesterday.apply(args=[day]).get(),
            lambda: call_command("settle", "--through", day, "--chunk-size", "25"),
        ]
    )
    assert SettlementRun.objects.filter(business_date=D).count() == 1
    assert SettlementRun.objects.count() == 1
    assert Journal.objects.filter(kind=JournalKind.SETTLEMENT).count() == 300
    assert Payout.objects.count() == 1
    assert Payout.objects.get().amount == 300 * split(Decimal("88.88"), Decimal("0.2"), None)[3]
    assert reconcile() == []


def test_refund_racing_the_settlement_of_its_order(merchant, creator):
    """Each round: 30 confirmed orders, a run and refunds of 3 of them at the same moment."""
    outcomes = defaultdict(int)
    for r in range(REFUND_RACES):
        events = []
        for i in range(30):
            events += [
                paid(f"F{r}-{i}", merchant, creator, "100.00", "0.2", "2026-10-01T10:00:00+08:00"),
                confirmed(f"F{r}-{i}", "2026-10-02T10:00:00+08:00"),
            ]
        assert ingest_objects(events).rejected == 0
        day = D + timedelta(days=r)
        racing = [f"F{r}-{i}" for i in (3, 15, 27)]
        # Stagger the refund a little differently each round so both orders of events occur.
        delay = (r % 5) * 0.004

        def refund(racing=racing, delay=delay):
            time.sleep(delay)
            return ingest_objects(
                [refunded(o, "40.00", "2026-10-20T10:00:00+08:00") for o in racing]
            )

        in_threads([lambda day=day: settle_through(business_date=day, chunk_size=5), refund])
        # The next night picks up whatever the race left (a clawback, or nothing).
        settle_through(business_date=day + timedelta(days=100))
        for order_id in racing:
            o = Order.objects.get(order_id=order_id)
            assert o.refunded == Decimal("40.00") and o.status == OrderStatus.SETTLED
            settlement = Journal.objects.get(order=o, kind=JournalKind.SETTLEMENT)
            clawbacks = list(Journal.objects.filter(order=o, kind=JournalKind.CLAWBACK))
            if settlement.basis_price == Decimal("100.00"):
                assert [j.basis_price for j in clawbacks] == [Decimal("60.00")]
                outcomes["settled, then clawed back"] += 1
            else:
                assert settlement.basis_price == Decimal("60.00") and clawbacks == []
                outcomes["settled at the refunded price"] += 1
            net = sum(
                Posting.objects.filter(journal__order=o, account__kind="creator").values_list(
                    "amount", flat=True
                ),
                Z,
            )
            assert net == split(Decimal("60.00"), Decimal("0.2"), None)[3]
    assert sum(outcomes.values()) == 3 * REFUND_RACES
    assert reconcile() == []
    print("refund race outcomes:", dict(outcomes))


def test_concurrent_payouts_and_clawbacks_for_one_creator(merchant, creator):
    events = []
    for i in range(200):
        events += [
            paid(f"P{i}", merchant, creator, "50.00", "0.2", "2026-10-01T10:00:00+08:00"),
            confirmed(f"P{i}", "2026-10-02T10:00:00+08:00"),
        ]
    assert ingest_objects(events).rejected == 0
    settle_through(business_date=D)  # earns and pays out
    # Refund most of them, and let new orders arrive, while runs for the next days race.
    late = []
    for i in range(60):
        late += [
            paid(f"Q{i}", merchant, creator, "30.00", "0.2", "2026-11-01T10:00:00+08:00"),
            confirmed(f"Q{i}", "2026-11-01T12:00:00+08:00"),
        ]
    refunds = [refunded(f"P{i}", "50.00", "2026-11-01T11:00:00+08:00") for i in range(150)]
    d1, d2 = D + timedelta(days=1), D + timedelta(days=2)
    in_threads(
        [
            lambda: settle_through(business_date=d1, chunk_size=7),
            lambda: settle_through(business_date=d1, chunk_size=11),
            lambda: settle_through(business_date=d2, chunk_size=13),
            lambda: settle_through(business_date=d2, chunk_size=17),
            lambda: ingest_objects(refunds[:75]),
            lambda: ingest_objects(refunds[75:] + late),
        ]
    )
    settle_through(business_date=d2 + timedelta(days=1))
    account = Account.objects.get(kind="creator", user=creator)
    postings = sum(Posting.objects.filter(account=account).values_list("amount", flat=True), Z)
    earned = sum(
        Posting.objects.filter(
            account=account, journal__kind__in=[JournalKind.SETTLEMENT, JournalKind.CLAWBACK]
        ).values_list("amount", flat=True),
        Z,
    )
    payouts = list(Payout.objects.filter(account=account).values_list("business_date", "amount"))
    assert len({d for d, _ in payouts}) == len(payouts)  # one per day
    total_paid = sum((a for _, a in payouts), Z)
    # Balance = sum of postings = what was earned net, minus what was paid out.
    assert postings == earned - total_paid
    # 50 orders at 50.00 and 60 at 30.00 remain: earned net = their split, nothing more.
    per_50 = split(Decimal("50.00"), Decimal("0.2"), None)[3]
    per_30 = split(Decimal("30.00"), Decimal("0.2"), None)[3]
    assert earned == 50 * per_50 + 60 * per_30
    # After the last run a positive balance has been paid out; a negative one (clawbacks
    # after a payout) is carried, never "paid" again.
    assert postings <= 0
    assert reconcile() == []
