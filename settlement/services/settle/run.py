"""One settlement run: settle, claw back and pay out, chunk by chunk, under the run lock.

``settle_through(business_date=D)`` is what ``manage.py settle --through D``
and the nightly task both end with. It walks each phase in chunks of
``chunk_size`` orders (or accounts), each chunk committed on its own, with the
SQL kernel (``rule_sql``) on Postgres and the Python kernel (``rule_python``)
elsewhere or when asked; the day's ``SettlementRun`` records its state and
totals. See the package docstring for what each phase posts and why a second
run changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import OperationalError, connection
from django.db.models import F
from django.utils import timezone

from hotwave.money import ZERO
from settlement import notices
from settlement.models import AccountKind, Order, OrderStatus, RunStatus, SettlementRun
from settlement.services.ledger import settle_cutoff, system_account
from settlement.services.locking import settlement_runs_exclusive
from settlement.services.settle.rule_python import (
    PartyAccounts,
    clawback_chunk_python,
    payout_chunk_python,
    settle_chunk_python,
)
from settlement.services.settle.rule_sql import (
    clawback_chunk_sql,
    ensure_accounts_sql,
    payout_chunk_sql,
    settle_chunk_sql,
)

logger = logging.getLogger(__name__)

CHUNK_SIZE = 5000
KERNELS = ("auto", "sql", "python")
# A phase stops after this many chunks in a row came back empty although orders
# seemed to remain (a concurrent run kept taking them): it cannot loop for ever.
MAX_EMPTY_CHUNKS = 50


@dataclass
class RunSummary:
    business_date: date
    orders_settled: int = 0
    clawbacks: int = 0
    payouts: int = 0
    payout_total: Decimal = ZERO

    def __str__(self) -> str:
        return (
            f"settled through {self.business_date}: {self.orders_settled} orders settled, "
            f"{self.clawbacks} clawbacks, {self.payouts} payouts totalling {self.payout_total:.2f}"
        )


def use_sql_kernel(kernel: str) -> bool:
    """Whether ``kernel`` (one of KERNELS) means the SQL kernel on this database."""
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {KERNELS}, got {kernel!r}")
    if kernel == "python":
        return False
    if connection.vendor != "postgresql":
        if kernel == "sql":
            raise ValueError("the SQL settlement kernel needs PostgreSQL")
        return False
    return True


# --- One chunk, either kernel ----------------------------------------------------------


def settle_chunk(*, cutoff, business_date, after_id, chunk_size, accounts, now) -> tuple[int, int]:
    """Settle one chunk of confirmed orders (set-based on Postgres); (count, last id)."""
    if accounts.sql:
        return settle_chunk_sql(
            cutoff=cutoff,
            business_date=business_date,
            after_id=after_id,
            chunk_size=chunk_size,
            now=now,
            platform_id=accounts.platform.pk,
        )
    return settle_chunk_python(
        cutoff=cutoff,
        business_date=business_date,
        after_id=after_id,
        chunk_size=chunk_size,
        accounts=accounts,
        now=now,
    )


def clawback_chunk(*, business_date, after_id, chunk_size, accounts, now) -> tuple[int, int]:
    """Claw back one chunk of settled orders refunded since; (count, last id)."""
    if accounts.sql:
        return clawback_chunk_sql(
            cutoff=accounts.cutoff,
            business_date=business_date,
            after_id=after_id,
            chunk_size=chunk_size,
            now=now,
            platform_id=accounts.platform.pk,
        )
    return clawback_chunk_python(
        business_date=business_date,
        after_id=after_id,
        chunk_size=chunk_size,
        accounts=accounts,
        now=now,
    )


def payout_chunk(*, business_date, after_id, chunk_size, clearing, now, sql=False):
    """Pay out one chunk of creator/agency accounts; (count, total, last account id)."""
    chunk = payout_chunk_sql if sql else payout_chunk_python
    return chunk(
        business_date=business_date,
        after_id=after_id,
        chunk_size=chunk_size,
        clearing=clearing,
        now=now,
    )


# --- Walking a phase -------------------------------------------------------------------


def orders_remain(phase: str, *, cutoff, after_id: int) -> bool:
    """Whether orders of ``phase`` remain after ``after_id`` (a chunk came back empty
    because a concurrent run took its rows: carry on after them)."""
    if phase == "settle":
        qs = Order.objects.filter(status=OrderStatus.CONFIRMED, confirmed_at__lt=cutoff)
    else:
        qs = Order.objects.filter(status=OrderStatus.SETTLED, refunded__gt=F("settled_refunded"))
    return qs.filter(id__gt=after_id).exists()


def run_phase(phase: str, chunk, *, cutoff, after_id: int = 0, **kwargs) -> int:
    """Call ``chunk`` until no order of ``phase`` is left; returns the number of orders done."""
    done, last, empty = 0, after_id, 0
    while True:
        n, last = chunk(after_id=last, **kwargs)
        if n:
            done += n
            empty = 0
            continue
        # Empty: finished, or every row of the chunk was taken by a concurrent run
        # while we waited for its locks (they are committed now: look again).
        empty += 1
        if empty > MAX_EMPTY_CHUNKS or not orders_remain(phase, cutoff=cutoff, after_id=last):
            return done


def pay_out_all(*, business_date, chunk_size, now, sql: bool) -> tuple[int, Decimal]:
    """Pay out every payable positive creator/agency balance, chunk by chunk; (count, total)."""
    clearing = system_account(AccountKind.PAYOUTS)
    count, total, last = 0, ZERO, 0
    while True:
        before = last
        n, paid, last = payout_chunk(
            business_date=business_date,
            after_id=last,
            chunk_size=chunk_size,
            clearing=clearing,
            now=now,
            sql=sql,
        )
        if last == before:
            return count, total
        count += n
        total += paid


# --- The run ---------------------------------------------------------------------------


def settle_through(
    *,
    business_date: date,
    chunk_size: int = CHUNK_SIZE,
    now: datetime | None = None,
    kernel: str = "auto",
) -> RunSummary:
    """Settle, claw back and pay out everything up to the end of ``business_date``. Idempotent.

    ``kernel``: ``"auto"`` (set-based SQL on Postgres, Python elsewhere), ``"sql"`` or
    ``"python"`` (the reference implementation, on any database).
    """
    sql = use_sql_kernel(kernel)
    with settlement_runs_exclusive():
        now = now or timezone.now()
        run, _ = SettlementRun.objects.get_or_create(business_date=business_date)
        SettlementRun.objects.filter(pk=run.pk).update(
            status=RunStatus.RUNNING, attempts=F("attempts") + 1, started_at=now, error=""
        )
        try:
            summary = _run_phases(
                business_date=business_date, chunk_size=chunk_size, now=now, sql=sql
            )
        except Exception as exc:
            _record_failure(run, business_date, exc)
            raise
        SettlementRun.objects.filter(pk=run.pk).update(
            status=RunStatus.DONE,
            orders_settled=F("orders_settled") + summary.orders_settled,
            clawbacks=F("clawbacks") + summary.clawbacks,
            payouts=F("payouts") + summary.payouts,
            payout_total=F("payout_total") + summary.payout_total,
            finished_at=timezone.now(),
        )
    logger.info("%s", summary)
    return summary


def _run_phases(*, business_date: date, chunk_size: int, now: datetime, sql: bool) -> RunSummary:
    """The three phases of a run, in order: settle, claw back, pay out."""
    summary = RunSummary(business_date=business_date)
    accounts = PartyAccounts()
    accounts.sql = sql
    cutoff = accounts.cutoff = settle_cutoff(business_date)
    if sql:
        ensure_accounts_sql(cutoff, now)
    common = {"business_date": business_date, "chunk_size": chunk_size, "now": now}
    summary.orders_settled += run_phase(
        "settle",
        lambda **kw: settle_chunk(cutoff=cutoff, accounts=accounts, **common, **kw),
        cutoff=cutoff,
    )
    summary.clawbacks += run_phase(
        "clawback",
        lambda **kw: clawback_chunk(accounts=accounts, **common, **kw),
        cutoff=cutoff,
    )
    summary.payouts, summary.payout_total = pay_out_all(sql=sql, **common)
    # 通知: the balances left held (not admitted, no verified 收款账户), once a day each.
    notices.payouts_held(business_date=business_date)
    return summary


def _record_failure(run: SettlementRun, business_date: date, exc: Exception) -> None:
    SettlementRun.objects.filter(pk=run.pk).update(
        status=RunStatus.FAILED, error=repr(exc)[:2000], finished_at=timezone.now()
    )
    if isinstance(exc, OperationalError) and "locked" in str(exc):
        # SQLite's busy timeout ran out: contention, not a bug (no traceback).
        logger.warning("settlement run for %s: %s", business_date, exc)
    else:
        logger.exception("settlement run for %s failed", business_date)
