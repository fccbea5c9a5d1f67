"""Concurrent settlement runs, imports and escrow moves on Postgres (separate connections)."""

from __future__ import annotations

import contextlib
import threading
from datetime import date
from decimal import Decimal as D

import pytest
from django.db import connection, connections

from settlement.models import (
    Journal,
    JournalKind,
    Order,
    OrderEvent,
    Payout,
    Posting,
    SettlementRun,
)
from settlement.services.escrow import escrow_hold, escrow_release
from settlement.services.events import ingest_objects
from settlement.services.reconcile import reconcile
from settlement.services.settle import run as settle_run
from settlement.services.settle import settle_through
from tests.settlement.factories import confirmed, paid, payable, refunded, started

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _payable_parties(creator, agency_creator, agency):
    """Paid parties are admitted with a verified 收款账户 (SPEC §7; held otherwise)."""
    payable(creator, agency_creator, agency)


OCT31 = date(2026, 10, 31)


def in_threads(n: int, fn) -> list:
    """Run ``fn(i)`` in ``n`` threads started together, each on its own DB connection."""
    barrier = threading.Barrier(n)
    results: list = [None] * n
    errors: list = []

    def run(i):
        try:
            barrier.wait()
            results[i] = fn(i)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return results


@pytest.fixture
def world(merchant, creator, agency_creator, agency):
    events = [started(agency_creator, agency, "0.33", "2026-09-01T00:00:00+08:00")]
    for i in range(60):
        who = agency_creator if i % 3 == 0 else creator
        events += [
            paid(f"C{i}", merchant, who, f"{50 + i}.99", "0.15", "2026-10-01T10:00:00+08:00"),
            confirmed(f"C{i}", "2026-10-02T10:00:00+08:00"),
        ]
    assert ingest_objects(events).rejected == 0
    return merchant, creator, agency_creator, agency


def _fingerprint():
    return (
        Journal.objects.count(),
        Posting.objects.count(),
        sorted(Payout.objects.values_list("account_id", "business_date", "amount")),
    )


@pytest.mark.parametrize("n", [2, 4])
def test_concurrent_runs_post_exactly_one_set(world, n):
    in_threads(n, lambda i: settle_through(business_date=OCT31, chunk_size=7))
    assert Journal.objects.filter(kind=JournalKind.SETTLEMENT).count() == 60
    assert Payout.objects.count() == 3  # creator, agency_creator, agency
    run = SettlementRun.objects.get()
    assert run.attempts == n and run.orders_settled == 60
    assert reconcile() == []
    # A later run changes nothing.
    before = _fingerprint()
    settle_through(business_date=OCT31)
    assert _fingerprint() == before


@pytest.mark.parametrize("n", [2, 4])
def test_concurrent_runs_without_the_advisory_lock_still_post_once(world, monkeypatch, n):
    """The constraints and row locks are the guarantee; the advisory lock only reduces contention."""
    monkeypatch.setattr(settle_run, "settlement_runs_exclusive", contextlib.nullcontext)
    in_threads(n, lambda i: settle_through(business_date=OCT31, chunk_size=5))
    assert Journal.objects.filter(kind=JournalKind.SETTLEMENT).count() == 60
    assert Order.objects.filter(status="settled").count() == 60
    assert Payout.objects.filter(business_date=OCT31).count() <= 3
    assert reconcile() == []


def test_refunds_racing_a_run_are_clawed_back_exactly(world):
    def work(i):
        if i == 0:
            return settle_through(business_date=OCT31, chunk_size=5)
        return ingest_objects(
            [refunded(f"C{k}", "10.00", "2026-10-20T10:00:00+08:00") for k in range(0, 60, 2)]
        )

    in_threads(2, work)
    settle_through(business_date=date(2026, 11, 1))
    assert Order.objects.filter(refunded=D("10.00")).count() == 30
    assert reconcile() == []


def test_concurrent_imports_of_the_same_events(merchant, creator):
    events = []
    for i in range(40):
        events += [
            paid(f"I{i}", merchant, creator, "10.00", "0.10", "2026-10-01T10:00:00+08:00"),
            refunded(f"I{i}", "1.00", "2026-10-02T10:00:00+08:00"),
        ]
    tallies = in_threads(3, lambda i: ingest_objects(events))
    assert sum(t.accepted for t in tallies) == 80
    assert sum(t.duplicates for t in tallies) == 160
    assert sum(t.rejected for t in tallies) == 0
    assert OrderEvent.objects.count() == 80
    assert set(Order.objects.values_list("refunded", flat=True)) == {D("1.00")}


def test_concurrent_escrow_release(merchant, creator):
    escrow_hold(key="task:9", merchant=merchant.merchant, creator=creator.creator, amount=D("10"))
    in_threads(4, lambda i: escrow_release(key="task:9"))
    assert Journal.objects.filter(kind=JournalKind.ESCROW_RELEASE).count() == 1
    assert reconcile() == []


def test_connection_is_postgres():
    assert connection.vendor == "postgresql"


@pytest.mark.parametrize("attempt", range(3))
def test_binding_start_racing_a_payment_never_leaves_a_wrong_frozen_rule(
    merchant, agency_creator, agency, attempt
):
    start = started(agency_creator, agency, "0.30", "2026-10-01T00:00:00+08:00")
    pay = paid("RACE", merchant, agency_creator, "100.00", "0.20", "2026-10-05T10:00:00+08:00")
    tallies = in_threads(2, lambda i: ingest_objects([start] if i == 0 else [pay]))
    binding_accepted = tallies[0].accepted == 1
    assert tallies[1].accepted == 1
    rule = Order.objects.get(order_id="RACE").rule
    # Either the binding came first and the order is bound, or the order came first and
    # the retroactive binding was rejected — never a binding covering an individual order.
    assert rule == ("agency" if binding_accepted else "individual")
