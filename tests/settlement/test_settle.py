"""Settlement, clawbacks, payouts, the ledger's guarantees, ledger_report and reconcile."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum

from settlement.models import (
    Account,
    Journal,
    JournalKind,
    Order,
    OrderStatus,
    Payout,
    Posting,
    RunStatus,
    SettlementRun,
)
from settlement.services.events import ingest_objects
from settlement.services.ledger import balance
from settlement.services.reconcile import reconcile
from settlement.services.settle import run as settle_run
from settlement.services.settle import settle_through
from tests.settlement.factories import confirmed, paid, payable, refunded, started

OCT31 = date(2026, 10, 31)


@pytest.fixture(autouse=True)
def _payable_parties(creator, other_creator, agency_creator, agency):
    """Paid parties are admitted with a verified 收款账户 (SPEC §7; held otherwise)."""
    payable(creator, other_creator, agency_creator, agency)


def report() -> dict:
    out = io.StringIO()
    call_command("ledger_report", "--json", stdout=out)
    return json.loads(out.getvalue())


def acct(user) -> str:
    return f"{user.role}:{user.username}"


def total() -> D:
    return Posting.objects.aggregate(s=Sum("amount"))["s"] or D("0")


@pytest.fixture
def spec_world(merchant, agency_creator, agency):
    """The SPEC §4 example: bound at 33%, 99.99 at 15%, confirmed in October."""
    tally = ingest_objects(
        [
            started(agency_creator, agency, "0.33", "2026-10-01T00:00:00+08:00"),
            paid("SPEC-1", merchant, agency_creator, "99.99", "0.15", "2026-10-05T20:15:00+08:00"),
            confirmed("SPEC-1", "2026-10-08T09:00:00+08:00"),
        ]
    )
    assert tally.rejected == 0
    return merchant, agency_creator, agency


def test_spec_example_settles_exactly_and_pays_out(spec_world):
    merchant, creator, agency = spec_world
    summary = settle_through(business_date=OCT31)
    assert (summary.orders_settled, summary.clawbacks, summary.payouts) == (1, 0, 2)
    r = report()
    assert r["orders"]["SPEC-1"] == {
        "fee": "15.00",
        "platform": "4.50",
        "agency": "3.47",
        "creator": "7.03",
        "rule": "agency",
        "settled": True,
    }
    a = r["accounts"]
    assert a[acct(merchant)] == {"earned": "-15.00", "paid_out": "0.00", "balance": "-15.00"}
    assert a["platform"] == {"earned": "4.50", "paid_out": "0.00", "balance": "4.50"}
    assert a[acct(agency)] == {"earned": "3.47", "paid_out": "3.47", "balance": "0.00"}
    assert a[acct(creator)] == {"earned": "7.03", "paid_out": "7.03", "balance": "0.00"}
    assert r["total"] == "0.00"
    run = SettlementRun.objects.get()
    assert (run.business_date, run.status, run.orders_settled, run.payouts) == (
        OCT31,
        RunStatus.DONE,
        1,
        2,
    )
    assert reconcile() == []


def test_cutoff_is_the_end_of_the_shanghai_day(merchant, creator):
    ingest_objects(
        [
            paid("A", merchant, creator, "100.00", "0.20", "2026-10-01T10:00:00+08:00"),
            paid("B", merchant, creator, "100.00", "0.20", "2026-10-01T10:00:00+08:00"),
            confirmed("A", "2026-10-31T23:59:59+08:00"),
            # 2026-10-31 16:00 UTC is already November 1st in Shanghai.
            confirmed("B", "2026-10-31T16:00:00+00:00"),
        ]
    )
    settle_through(business_date=OCT31)
    assert dict(Order.objects.values_list("order_id", "status")) == {
        "A": "settled",
        "B": "confirmed",
    }


def test_unconfirmed_orders_wait(merchant, creator):
    ingest_objects([paid("A", merchant, creator, "100.00", "0.20", "2026-10-01T10:00:00+08:00")])
    summary = settle_through(business_date=OCT31)
    assert summary.orders_settled == 0
    assert report()["orders"]["A"]["settled"] is False
    assert not Posting.objects.exists()


def test_refund_before_settlement_settles_the_new_price(merchant, creator):
    ingest_objects(
        [
            paid("T1001", merchant, creator, "199.00", "0.20", "2026-10-01T20:15:00+08:00"),
            refunded("T1001", "50.00", "2026-10-03T10:00:00+08:00"),
            confirmed("T1001", "2026-10-05T09:00:00+08:00"),
        ]
    )
    settle_through(business_date=OCT31)
    o = report()["orders"]["T1001"]
    # 149.00 × 20% = 29.80; platform 40% = 11.92; creator 17.88.
    assert (o["fee"], o["platform"], o["creator"], o["rule"]) == (
        "29.80",
        "11.92",
        "17.88",
        "individual",
    )
    assert balance(Account.objects.get(user=merchant)) == D("-29.80")
    assert not Journal.objects.filter(kind=JournalKind.CLAWBACK).exists()


def test_refund_after_settlement_posts_a_clawback_and_carries_a_negative_balance(spec_world):
    merchant, creator, agency = spec_world
    settle_through(business_date=OCT31)
    ingest_objects([refunded("SPEC-1", "50.00", "2026-11-02T10:00:00+08:00")])
    first_postings = list(Posting.objects.order_by("id").values_list("id", "amount"))
    summary = settle_through(business_date=date(2026, 11, 2))
    assert summary.clawbacks == 1
    # Nothing posted before was edited.
    assert (
        list(
            Posting.objects.filter(id__in=[i for i, _ in first_postings])
            .order_by("id")
            .values_list("id", "amount")
        )
        == first_postings
    )
    claw = Journal.objects.get(kind=JournalKind.CLAWBACK)
    parts = {p.account.kind: p.amount for p in claw.postings.select_related("account")}
    # 49.99 × 15% = 7.50; platform 2.25; agency 5.25 × 0.33 = 1.73; creator 3.52.
    assert parts == {
        "merchant": D("7.50"),
        "platform": D("-2.25"),
        "agency": D("-1.74"),
        "creator": D("-3.51"),
    }
    r = report()
    assert r["orders"]["SPEC-1"] == {
        "fee": "7.50",
        "platform": "2.25",
        "agency": "1.73",
        "creator": "3.52",
        "rule": "agency",
        "settled": True,
    }
    # Already paid out: the clawback leaves negative balances, carried, not paid.
    a = r["accounts"]
    assert a[acct(creator)] == {"earned": "3.52", "paid_out": "7.03", "balance": "-3.51"}
    assert a[acct(agency)] == {"earned": "1.73", "paid_out": "3.47", "balance": "-1.74"}
    assert r["total"] == "0.00"
    # The negative balance is netted against later earnings.
    ingest_objects(
        [
            paid("LATER", merchant, creator, "100.00", "0.50", "2026-11-03T10:00:00+08:00"),
            confirmed("LATER", "2026-11-04T10:00:00+08:00"),
        ]
    )
    settle_through(business_date=date(2026, 11, 4))
    # 50.00 fee; platform 15.00; rest 35.00; agency 11.55; creator 23.45 − 3.51 carried = 19.94.
    assert Payout.objects.get(account__user=creator, business_date=date(2026, 11, 4)).amount == D(
        "19.94"
    )
    assert reconcile() == []


def test_full_refund_after_settlement_brings_every_part_to_zero(spec_world):
    merchant, creator, agency = spec_world
    settle_through(business_date=OCT31)
    ingest_objects(
        [
            refunded("SPEC-1", "49.99", "2026-11-02T10:00:00+08:00"),
            refunded("SPEC-1", "50.00", "2026-11-03T10:00:00+08:00"),
        ]
    )
    settle_through(business_date=date(2026, 11, 3))
    r = report()
    assert r["orders"]["SPEC-1"] | {"settled": None} == {
        "fee": "0.00",
        "platform": "0.00",
        "agency": "0.00",
        "creator": "0.00",
        "rule": "agency",
        "settled": None,
    }
    assert r["accounts"][acct(merchant)]["earned"] == "0.00"
    assert r["accounts"]["platform"]["earned"] == "0.00"
    assert r["accounts"][acct(creator)]["balance"] == "-7.03"
    assert Journal.objects.filter(kind=JournalKind.CLAWBACK).count() == 1  # one per run
    assert reconcile() == []


def test_running_twice_changes_nothing(spec_world):
    settle_through(business_date=OCT31)
    before = (Journal.objects.count(), Posting.objects.count(), Payout.objects.count())
    summary = settle_through(business_date=OCT31)
    assert (summary.orders_settled, summary.clawbacks, summary.payouts) == (0, 0, 0)
    assert (Journal.objects.count(), Posting.objects.count(), Payout.objects.count()) == before
    run = SettlementRun.objects.get()
    assert run.attempts == 2 and run.orders_settled == 1


def test_a_missed_night_is_caught_up(merchant, creator):
    ingest_objects(
        [
            paid("A", merchant, creator, "100.00", "0.20", "2026-10-01T10:00:00+08:00"),
            confirmed("A", "2026-10-29T10:00:00+08:00"),
            paid("B", merchant, creator, "100.00", "0.20", "2026-10-01T10:00:00+08:00"),
            confirmed("B", "2026-10-30T10:00:00+08:00"),
        ]
    )
    # Nobody ran the 29th or 30th: the run for the 31st settles both.
    summary = settle_through(business_date=OCT31)
    assert summary.orders_settled == 2
    assert Payout.objects.get().amount == D("24.00")


def test_a_run_killed_in_the_middle_resumes(merchant, creator, monkeypatch):
    ingest_objects(
        [
            e
            for i in range(5)
            for e in (
                paid(f"K{i}", merchant, creator, "100.00", "0.20", "2026-10-01T10:00:00+08:00"),
                confirmed(f"K{i}", "2026-10-02T10:00:00+08:00"),
            )
        ]
    )
    real = settle_run.settle_chunk
    calls = {"n": 0}

    def dying(**kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("killed")
        return real(**kwargs)

    monkeypatch.setattr(settle_run, "settle_chunk", dying)
    with pytest.raises(RuntimeError):
        settle_through(business_date=OCT31, chunk_size=2)
    assert SettlementRun.objects.get().status == RunStatus.FAILED
    assert Order.objects.filter(status=OrderStatus.SETTLED).count() == 4
    assert not Payout.objects.exists()
    monkeypatch.setattr(settle_run, "settle_chunk", real)
    summary = settle_through(business_date=OCT31, chunk_size=2)
    assert summary.orders_settled == 1
    assert Journal.objects.filter(kind=JournalKind.SETTLEMENT).count() == 5
    assert Payout.objects.get().amount == D("60.00")
    assert SettlementRun.objects.get().status == RunStatus.DONE
    assert reconcile() == []


def test_chunked_run_equals_one_chunk(merchant, creator, agency, other_creator):
    events = [started(other_creator, agency, "0.25", "2026-09-01T00:00:00+08:00")]
    for i in range(23):
        who = creator if i % 2 else other_creator
        events += [
            paid(
                f"C{i}", merchant, who, f"{10 + i}.{i:02d}", "0.1337", "2026-10-01T10:00:00+08:00"
            ),
            confirmed(f"C{i}", "2026-10-02T10:00:00+08:00"),
        ]
    ingest_objects(events)
    settle_through(business_date=OCT31, chunk_size=4)
    r = report()
    assert len(r["orders"]) == 23 and r["total"] == "0.00"
    assert Journal.objects.filter(kind=JournalKind.SETTLEMENT).count() == 23
    assert reconcile() == []


def test_ledger_sum_is_zero_after_everything(spec_world, creator):
    merchant, bound, agency = spec_world
    from settlement.services.escrow import escrow_hold, escrow_release, escrow_return

    escrow_hold(key="task:1", merchant=merchant.merchant, creator=bound.creator, amount=D("500.00"))
    escrow_hold(key="task:2", merchant=merchant.merchant, creator=creator.creator, amount=D("9.99"))
    escrow_release(key="task:1")
    escrow_return(key="task:2")
    settle_through(business_date=OCT31)
    ingest_objects([refunded("SPEC-1", "0.01", "2026-11-01T10:00:00+08:00")])
    settle_through(business_date=date(2026, 11, 1))
    assert total() == 0
    for journal in Journal.objects.all():
        assert sum(p.amount for p in journal.postings.all()) == 0
    assert reconcile() == []


# --- The database guarantees ------------------------------------------------------


def test_postings_are_append_only_in_the_database(spec_world):
    settle_through(business_date=OCT31)
    posting = Posting.objects.first()
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017 - any DB error
        Posting.objects.filter(pk=posting.pk).update(amount=D("1.00"))
    with pytest.raises(Exception), transaction.atomic(), connection.cursor() as c:  # noqa: B017
        c.execute("DELETE FROM settlement_posting WHERE id = %s", [posting.pk])
    assert Posting.objects.get(pk=posting.pk).amount == posting.amount


def test_a_journal_key_posts_once(spec_world):
    settle_through(business_date=OCT31)
    j = Journal.objects.get(kind=JournalKind.SETTLEMENT)
    with pytest.raises(IntegrityError), transaction.atomic():
        Journal.objects.create(
            key=j.key, kind=j.kind, order=j.order, sequence=5, business_date=OCT31
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Journal.objects.create(
            key="other", kind=j.kind, order=j.order, sequence=0, business_date=OCT31
        )


def test_one_payout_per_account_per_day(spec_world):
    settle_through(business_date=OCT31)
    p = Payout.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Payout.objects.create(
            account=p.account,
            business_date=OCT31,
            amount=D("1.00"),
            journal=Journal.objects.create(key="x", kind=JournalKind.PAYOUT, business_date=OCT31),
        )


# --- reconcile and the task -------------------------------------------------------


def test_reconcile_command_detects_drift(spec_world, capsys):
    settle_through(business_date=OCT31)
    call_command("reconcile")
    assert "no drift" in capsys.readouterr().out
    # Someone writes around the services: an unbalanced journal.
    j = Journal.objects.create(key="rogue", kind=JournalKind.PAYOUT, business_date=OCT31)
    Posting.objects.create(journal=j, account=Account.objects.get(kind="platform"), amount=D("1"))
    with pytest.raises(SystemExit) as exit_:
        call_command("reconcile")
    assert exit_.value.code == 1
    out = capsys.readouterr().out
    assert "DRIFT: postings sum to 1.00" in out
    assert "does not balance" in out


def test_reconcile_detects_an_order_settled_without_postings(merchant, creator):
    from tests.settlement.factories import OrderFactory, at

    OrderFactory(
        merchant=merchant.merchant,
        creator=creator.creator,
        status=OrderStatus.SETTLED,
        confirmed_at=at("2026-10-06 10:00"),
        settled_at=at("2026-10-07 02:00"),
    )
    problems = reconcile()
    assert any("without a settlement journal" in p for p in problems)


def test_nightly_task_settles_yesterday(spec_world, settings):
    from settlement.tasks import settle_yesterday

    text = settle_yesterday.delay("2026-10-31").get()
    assert "1 orders settled" in text
    assert SettlementRun.objects.get().business_date == OCT31


def test_nightly_task_defaults_to_yesterday_in_shanghai(db, monkeypatch):
    from django.utils import timezone

    from settlement.tasks import settle_yesterday
    from tests.settlement.factories import at

    monkeypatch.setattr(timezone, "now", lambda: at("2026-11-02 02:00"))
    settle_yesterday()
    assert SettlementRun.objects.get().business_date == date(2026, 11, 1)


def test_settle_command(spec_world, capsys):
    call_command("settle", "--through", "2026-10-31")
    assert "1 orders settled" in capsys.readouterr().out
    with pytest.raises(Exception):  # noqa: B017
        call_command("settle", "--through", "31/10/2026")
