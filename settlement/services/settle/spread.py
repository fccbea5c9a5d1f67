"""Spreading one night's run over several workers (``settlement.tasks``, ``settle --workers``).

``plan_run`` cuts the orders to settle and to claw back into contiguous id
ranges of about ``chunk_size`` orders each. Any number of workers then call
``work_ranges`` with the same plan (each starting at a different range): a
range is claimed for the length of its transaction
(``locking.try_claim_settlement_range``) — a range someone else holds is
skipped, and a range done already costs one index probe, since only
``confirmed`` (or refunded-since) orders are picked and the status moves in
the same transaction as the journals. Each chunk also shares the run lock
(``locking.settlement_runs_shared``), so workers run side by side but never
during a single-process run or the final step, which hold it exclusively. The
final step is ``settle_through`` itself: it waits for the chunks in flight,
settles whatever is left (a range of a dead or late worker), pays out and
marks the run done — so the ledger is the one a single-process run writes.
``settle_night`` is the whole night as the beat task runs it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime

from django.db import connection, connections, transaction
from django.db.models import F
from django.utils import timezone

from settlement.models import AccountKind, RunStatus, SettlementRun
from settlement.services.ledger import settle_cutoff, system_account
from settlement.services.locking import settlement_runs_shared, try_claim_settlement_range
from settlement.services.settle.rule_sql import (
    NO_UPPER_ID,
    clawback_chunk_sql,
    ensure_accounts_sql,
    settle_chunk_sql,
)
from settlement.services.settle.run import CHUNK_SIZE, RunSummary, settle_through

_PLAN_SQL = {
    "settle": """
        SELECT max(id) FROM (
            SELECT id, (row_number() OVER (ORDER BY id) - 1) / %(size)s AS g
            FROM settlement_order
            WHERE status = 'confirmed' AND confirmed_at < %(cutoff)s
        ) t GROUP BY g ORDER BY g
    """,
    "clawback": """
        SELECT max(id) FROM (
            SELECT id, (row_number() OVER (ORDER BY id) - 1) / %(size)s AS g
            FROM settlement_order
            WHERE status = 'settled' AND refunded > settled_refunded
        ) t GROUP BY g ORDER BY g
    """,
}


def plan_run(*, business_date: date, chunk_size: int = CHUNK_SIZE) -> dict[str, list[list[int]]]:
    """Contiguous ``(after, upto]`` order-id ranges per phase covering every id (Postgres)."""
    cutoff = settle_cutoff(business_date)
    plan: dict[str, list[list[int]]] = {}
    with connection.cursor() as cursor:
        for phase, sql in _PLAN_SQL.items():
            cursor.execute(sql, {"size": chunk_size, "cutoff": cutoff})
            bounds = [row[0] for row in cursor.fetchall()]
            after, ranges = 0, []
            for upto in bounds[:-1]:
                ranges.append([after, upto])
                after = upto
            ranges.append([after, NO_UPPER_ID])  # the last range is open: late arrivals too
            plan[phase] = ranges
    return plan


def claim_range(business_date: date, phase: str, after: int, started: datetime) -> bool:
    """In the current transaction: share the run lock, stop if the run has been finished
    since ``started`` (raises RunFinished), and claim the range (False: someone else
    holds it)."""
    settlement_runs_shared()
    finished = SettlementRun.objects.filter(
        business_date=business_date, status=RunStatus.DONE, finished_at__gte=started
    ).exists()
    if finished:
        raise RunFinished
    return try_claim_settlement_range(business_date=business_date, phase=phase, after=after)


class RunFinished(Exception):
    """The final step of this run is done: a late worker has nothing more to do."""


def work_ranges(
    *,
    business_date: date,
    plan: dict[str, list[list[int]]],
    start: int = 0,
    workers: int = 1,
    now: datetime | None = None,
) -> RunSummary:
    """Settle and claw back the claimable ranges of ``plan`` (one worker's share; Postgres).

    Worker ``start`` of ``workers`` begins at its own offset and goes round every
    range once. Does not pay out: the final step (``settle_through``) does.
    """
    if connection.vendor != "postgresql":
        raise ValueError("spreading a run over workers needs PostgreSQL")
    now = now or timezone.now()
    summary = RunSummary(business_date=business_date)
    cutoff = settle_cutoff(business_date)
    platform_id = system_account(AccountKind.PLATFORM).pk
    ensure_accounts_sql(cutoff, now)
    chunks = {"settle": settle_chunk_sql, "clawback": clawback_chunk_sql}
    try:
        for phase in ("settle", "clawback"):
            ranges = plan.get(phase) or []
            first = (start * len(ranges)) // max(workers, 1)
            for k in range(len(ranges)):
                after, upto = ranges[(first + k) % len(ranges)]
                with transaction.atomic():
                    if not claim_range(business_date, phase, after, now):
                        continue
                    n, _ = chunks[phase](
                        cutoff=cutoff,
                        business_date=business_date,
                        after_id=after,
                        upto=upto,
                        chunk_size=None,  # LIMIT NULL: the whole range
                        now=now,
                        platform_id=platform_id,
                    )
                if phase == "settle":
                    summary.orders_settled += n
                else:
                    summary.clawbacks += n
    except RunFinished:
        pass
    if summary.orders_settled or summary.clawbacks:
        SettlementRun.objects.filter(business_date=business_date).update(
            orders_settled=F("orders_settled") + summary.orders_settled,
            clawbacks=F("clawbacks") + summary.clawbacks,
        )
    return summary


def begin_spread_run(
    *, business_date: date, chunk_size: int = CHUNK_SIZE
) -> tuple[datetime, dict[str, list[list[int]]]]:
    """Start a run shared by several workers: mark the day's run running, plan its ranges.

    Returns the run's ``now`` (every worker posts with it) and the plan.
    """
    now = timezone.now()
    run, _ = SettlementRun.objects.get_or_create(business_date=business_date)
    SettlementRun.objects.filter(pk=run.pk).exclude(status=RunStatus.RUNNING).update(
        status=RunStatus.RUNNING, started_at=now
    )
    return now, plan_run(business_date=business_date, chunk_size=chunk_size)


def run_totals(business_date: date) -> RunSummary:
    """The day's totals from its run record (every worker's chunks and the final step)."""
    run = SettlementRun.objects.get(business_date=business_date)
    return RunSummary(
        business_date=business_date,
        orders_settled=run.orders_settled,
        clawbacks=run.clawbacks,
        payouts=run.payouts,
        payout_total=run.payout_total,
    )


def settle_spread(*, business_date: date, workers: int, chunk_size: int = CHUNK_SIZE) -> RunSummary:
    """``settle --workers N``: the nightly run's ranges shared by N threads of this process.

    The same plan, claims and final step as the Celery helpers (``settlement.tasks``),
    with threads instead of worker processes: each thread has its own database
    connection, and the work is Postgres's (Python waits on it), so two threads use
    both cores. Returns the day's totals from the run record.
    """
    if workers <= 1 or connection.vendor != "postgresql":
        return settle_through(business_date=business_date, chunk_size=chunk_size)
    now, plan = begin_spread_run(business_date=business_date, chunk_size=chunk_size)
    errors: list[BaseException] = []

    def helper(start: int) -> None:
        try:
            work_ranges(business_date=business_date, plan=plan, start=start, workers=workers,
                        now=now)  # fmt: skip
        except BaseException as exc:  # noqa: BLE001 - re-raised below; the final step redoes it
            errors.append(exc)
        finally:
            connections.close_all()  # this thread's connection

    threads = [threading.Thread(target=helper, args=(i,)) for i in range(1, workers)]
    for t in threads:
        t.start()
    try:
        work_ranges(business_date=business_date, plan=plan, start=0, workers=workers, now=now)
    finally:
        for t in threads:
            t.join()
    # Whatever a failed helper left is settled here; its error is still reported.
    settle_through(business_date=business_date, chunk_size=chunk_size, now=now)
    if errors:
        raise errors[0]
    return run_totals(business_date)


def settle_night(
    *,
    business_date: date,
    workers: int,
    chunk_size: int = CHUNK_SIZE,
    send_helpers: Callable[[list[dict]], None] | None = None,
) -> str:
    """The nightly run for ``business_date`` over ``workers`` workers; its summary line.

    With one worker, or off Postgres, a plain ``settle_through``. Otherwise the
    run is planned, ``send_helpers`` gets the keyword arguments of the other
    workers' ``work_ranges`` calls (as JSON-ready values: the task queues them;
    None, as in eager mode, leaves their share to this worker), this worker goes
    through the ranges itself and then runs the final step.
    """
    if workers <= 1 or connection.vendor != "postgresql":
        return str(settle_through(business_date=business_date, chunk_size=chunk_size))
    now, plan = begin_spread_run(business_date=business_date, chunk_size=chunk_size)
    if send_helpers is not None:
        send_helpers(
            [
                {
                    "business_date": business_date.isoformat(),
                    "plan": plan,
                    "start": i,
                    "workers": workers,
                    "now": now.isoformat(),
                }
                for i in range(1, workers)
            ]
        )
    work_ranges(business_date=business_date, plan=plan, start=0, workers=workers, now=now)
    settle_through(business_date=business_date, chunk_size=chunk_size, now=now)
    # The helpers' chunks are counted on the run record, not in the final step's summary.
    return f"{run_totals(business_date)} ({workers} tasks; totals of the day's run record)"
