"""The set-based settlement kernel (Postgres) against the Python reference.

* the SQL split (``settle._split_sql``: ``round(x, 2)`` on numeric) equals
  ``commission.split`` for random prices, rates and shares (Hypothesis) and at
  the edges (zero price, exact half fen, share 0 and 1, the individual rule);
* the SQL kernel and the Python kernel write identical ledgers — journals with
  their keys, kinds, sequences and postings, payouts and order states — on the
  same multi-day world with bindings, refunds before and after settlement, full
  refunds and a negative balance carried.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal as D

import pytest
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotwave.money import quantize
from settlement.commission import split
from settlement.models import Account, Journal, Order, OrderStatus, Payout, Posting
from settlement.services.events import ingest_objects
from settlement.services.ledger import day_end, system_account
from settlement.services.reconcile import reconcile
from settlement.services.settle import rule_sql, settle_through
from settlement.services.settle import run as settle_run
from tests.settlement.factories import confirmed, paid, payable, refunded, started

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _payable_parties(creator, other_creator, agency_creator, agency):
    """Paid parties are admitted with a verified 收款账户 (SPEC §7; held otherwise)."""
    payable(creator, other_creator, agency_creator, agency)


_SRC = (
    "SELECT %s::numeric(14, 2) AS price, %s::numeric(5, 4) AS rate, %s::text AS rule,"
    " %s::numeric(5, 4) AS agency_share"
)
_SPLIT_SQL = "".join(
    [
        "SELECT fee, platform, agency, creator FROM (",
        _SRC,
        ") src",
        rule_sql.split_sql("src.price", ""),
    ]
)


def sql_split(price: D, rate: D, share: D | None) -> tuple[D, D, D, D]:
    rule = "agency" if share is not None else "individual"
    with connection.cursor() as cursor:
        cursor.execute(_SPLIT_SQL, [price, rate, rule, share])
        return tuple(D(x) for x in cursor.fetchone())


def py_split(price: D, rate: D, share: D | None) -> tuple[D, D, D, D]:
    s = split(price, rate, agency_share=share)
    return s.fee, s.platform, s.agency, s.creator


prices = st.integers(min_value=0, max_value=99_999_999).map(lambda n: D(n) / 100)
rates = st.integers(min_value=100, max_value=8000).map(lambda n: D(n) / 10000)
shares = st.none() | st.integers(min_value=0, max_value=10000).map(lambda n: D(n) / 10000)


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(price=prices, rate=rates, share=shares)
def test_sql_split_equals_split(price, rate, share):
    assert sql_split(price, rate, share) == py_split(price, rate, share)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(price=prices, refund=prices, rate=rates, share=shares)
def test_sql_clawback_difference_equals_the_difference_of_splits(price, refund, rate, share):
    """A clawback posts split(new) − split(posted): the SQL parts subtract the same way."""
    price, before = min(price, refund), max(price, refund)
    got = [
        a - b
        for a, b in zip(sql_split(price, rate, share), sql_split(before, rate, share), strict=True)
    ]
    want = [
        a - b
        for a, b in zip(py_split(price, rate, share), py_split(before, rate, share), strict=True)
    ]
    assert got == want


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(n=st.integers(min_value=-(10**12), max_value=10**12), places=st.integers(3, 8))
def test_sql_round_equals_quantize_for_every_sign(n, places):
    """round(x, 2) on numeric is half away from zero: hotwave.money.quantize, also below 0."""
    x = D(n).scaleb(-places)
    with connection.cursor() as cursor:
        cursor.execute("SELECT round(%s::numeric, 2)", [x])
        assert cursor.fetchone()[0] == quantize(x)


@pytest.mark.parametrize(
    ("price", "rate", "share"),
    [
        ("0.00", "0.8000", "0.3300"),  # full refund: all zero
        ("0.00", "0.0100", None),
        ("0.05", "0.1000", None),  # 0.005 → 0.01 (half-up, never banker's)
        ("0.01", "0.0100", None),  # 0.0001 → 0.00
        ("1.50", "0.1000", "0.5000"),  # platform 0.045 → 0.05; agency 0.05
        ("10.00", "0.1000", "0.0714"),  # agency 0.04998 → 0.05
        ("100.00", "0.2000", "0"),  # share 0: nothing to the agency
        ("100.00", "0.2000", "1"),  # share 1: nothing to the creator
        ("99.99", "0.1500", "0.3300"),  # the SPEC example
        ("0.25", "0.2000", "0.5000"),  # fee 0.05, platform 0.015 → 0.02, rest 0.03 × .5 → 0.02
        ("999999999999.99", "0.8000", "0.9999"),  # the largest price the column holds
    ],
)
def test_sql_split_edges(price, rate, share):
    share = D(share) if share is not None else None
    assert sql_split(D(price), D(rate), share) == py_split(D(price), D(rate), share)


# --- The two kernels on one world -------------------------------------------------------


def canonical_ledger() -> dict:
    """Everything settlement wrote, by names and keys rather than ids (ids differ by run)."""
    names = {a.pk: a.name for a in Account.objects.select_related("user")}
    order_ids = dict(Order.objects.values_list("pk", "order_id"))

    def key(k: str) -> str:
        if k.startswith("payout:"):
            _, pk, day = k.split(":")
            return f"payout:{names[int(pk)]}:{day}"
        kind, pk, *rest = k.split(":")
        return ":".join([kind, order_ids[int(pk)], *rest])

    postings: dict[int, list] = {}
    for journal_id, account_id, amount in Posting.objects.values_list(
        "journal_id", "account_id", "amount"
    ):
        postings.setdefault(journal_id, []).append((names[account_id], amount))
    journals = {
        key(j.key): (
            j.kind,
            order_ids.get(j.order_id),
            j.sequence,
            j.business_date,
            j.basis_price,
            j.memo,
            sorted(postings.get(j.pk, [])),
        )
        for j in Journal.objects.all()
    }
    payouts = sorted(
        (names[a], d, amount)
        for a, d, amount in Payout.objects.values_list("account_id", "business_date", "amount")
    )
    orders = sorted(
        Order.objects.values_list("order_id", "status", "settled_on", "settled_refunded")
    )
    return {"journals": journals, "payouts": payouts, "orders": orders}


def _world(merchant, creator, agency_creator, agency, other_creator):
    events = [
        started(agency_creator, agency, "0.33", "2026-09-01T00:00:00+08:00"),
        started(other_creator, agency, "0.0714", "2026-09-01T00:00:00+08:00"),
    ]
    whos = [creator, agency_creator, other_creator]
    for i in range(45):
        who = whos[i % 3]
        day = 1 + i % 4
        events += [
            paid(
                f"E{i}",
                merchant,
                who,
                f"{i * 7 + 0.05:.2f}",
                f"0.{10 + i % 60:02d}",
                f"2026-10-0{day}T10:00:00+08:00",
            ),
            confirmed(f"E{i}", f"2026-10-0{day + 1}T10:00:00+08:00"),
        ]
        if i % 5 == 0:  # refunded before settlement
            events.append(refunded(f"E{i}", "0.05", f"2026-10-0{day}T12:00:00+08:00"))
    # One order confirmed after the cutoff of the first run, one never confirmed.
    events += [
        paid("LATE", merchant, creator, "88.88", "0.20", "2026-10-03T10:00:00+08:00"),
        confirmed("LATE", "2026-10-09T10:00:00+08:00"),
        paid("OPEN", merchant, agency_creator, "66.66", "0.20", "2026-10-03T10:00:00+08:00"),
    ]
    assert ingest_objects(events).rejected == 0


def _nights(kernel: str, now: datetime) -> None:
    settle_through(business_date=date(2026, 10, 5), chunk_size=7, now=now, kernel=kernel)
    refunds = [refunded(f"E{i}", "3.00", "2026-10-06T09:00:00+08:00") for i in range(1, 45, 4)]
    refunds += [refunded("E7", f"{7 * 7 + 0.05 - 3:.2f}", "2026-10-06T10:00:00+08:00")]  # full
    assert ingest_objects(refunds).rejected == 0
    settle_through(business_date=date(2026, 10, 6), chunk_size=5, now=now, kernel=kernel)
    more = [refunded(f"E{i}", "1.00", "2026-10-07T09:00:00+08:00") for i in range(1, 45, 8)]
    assert ingest_objects(more).rejected == 0
    settle_through(business_date=date(2026, 10, 10), chunk_size=1000, now=now, kernel=kernel)
    settle_through(business_date=date(2026, 10, 10), now=now, kernel=kernel)  # twice: nothing


def test_sql_and_python_kernels_write_identical_ledgers(
    merchant, creator, agency_creator, agency, other_creator
):
    _world(merchant, creator, agency_creator, agency, other_creator)
    now = timezone.now()
    with transaction.atomic():
        _nights("python", now)
        want = canonical_ledger()
        assert reconcile() == []
        transaction.set_rollback(True)
    assert not Journal.objects.exists()
    _nights("sql", now)
    got = canonical_ledger()
    assert reconcile() == []
    assert got == want
    # The world exercised every phase.
    kinds = {v[0] for v in got["journals"].values()}
    assert kinds == {"settlement", "clawback", "payout"}
    assert any(v[2] == 2 for v in got["journals"].values())  # a second clawback
    assert Order.objects.get(order_id="OPEN").status == OrderStatus.PAID


def test_a_party_without_an_account_is_created_and_the_chunk_retried(merchant, creator):
    """An order confirmed after the accounts were created: the chunk must not lose its lines."""
    ingest_objects(
        [
            paid("A1", merchant, creator, "10.00", "0.20", "2026-10-01T10:00:00+08:00"),
            confirmed("A1", "2026-10-02T10:00:00+08:00"),
        ]
    )
    assert not Account.objects.filter(user_id=creator.pk).exists()
    day = date(2026, 10, 31)
    n, _ = rule_sql.settle_chunk_sql(
        cutoff=day_end(day),
        business_date=day,
        after_id=0,
        chunk_size=10,
        now=timezone.now(),
        platform_id=system_account("platform").pk,
    )
    assert n == 1
    assert Posting.objects.count() == 3
    assert reconcile() == []


def test_kernel_choice(db):
    assert settle_run.use_sql_kernel("auto") is True
    assert settle_run.use_sql_kernel("python") is False
    with pytest.raises(ValueError, match="kernel"):
        settle_run.use_sql_kernel("fast")


def test_settle_command_runs_the_python_kernel_on_request(merchant, creator):
    from django.core.management import call_command

    ingest_objects(
        [
            paid("K1", merchant, creator, "10.00", "0.20", "2026-10-01T10:00:00+08:00"),
            confirmed("K1", "2026-10-02T10:00:00+08:00"),
        ]
    )
    out = io.StringIO()
    call_command("settle", "--through", "2026-10-31", "--kernel", "python", stdout=out)
    assert "1 orders settled" in out.getvalue()
    assert reconcile() == []
