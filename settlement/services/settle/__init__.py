"""Nightly settlement (SPEC §4): settle confirmed orders, claw back refunds, pay out balances.

``settle_through(business_date=D)`` is what ``manage.py settle --through D``
and the Celery beat task (for yesterday) both call. It:

1. settles every confirmed, unsettled order confirmed before the end of D
   (Asia/Shanghai): one ``settlement`` journal per order — the merchant pays
   the fee, the platform, agency and creator are credited under the rule
   frozen at payment, on the price as it stands (refunds so far included);
2. claws back refunds that arrived after an order was settled: the split is
   recomputed on the new price under the same frozen rule and share and the
   *difference* is posted as a ``clawback`` journal — nothing is edited;
3. pays out every creator's and agency's positive balance (one payout per
   account per business day) — unless a reason holds it (not admitted, no
   verified 收款账户: ``settlement.holds``), then it waits in the account for
   the first run after the reason is gone; a negative balance is carried.

Idempotency: journal keys (``settle:<order>``, ``clawback:<order>:<refunded
fen>``, ``payout:<account>:<day>``) and (order, kind, sequence) are unique,
and each order moves ``confirmed → settled`` in the same transaction as its
journal, so a second run — or a run resumed after a crash — finds nothing
left to do. On Postgres, runs are also serialised by an advisory lock
(``settlement.services.locking``) so two runs at the same moment don't
interleave their payouts; rows are locked ``FOR UPDATE`` per chunk so
concurrent refunds wait. Work is done in chunks of ``chunk_size`` orders,
each committed on its own, so memory stays flat and a missed night is simply
caught up by the next run.

The modules, by job:

* ``run``         — one run: the phases, chunk by chunk, the run record, the kernel choice;
* ``rule_sql``    — the set-based kernel (Postgres): one statement per chunk;
* ``rule_python`` — the Python kernel: the SQLite path and the reference;
* ``spread``      — one night shared by several workers (``plan_run``,
  ``work_ranges``, ``settle_spread``, ``settle_night``; docs/SCALING.md).
"""

from settlement.services.settle.run import (
    CHUNK_SIZE,
    KERNELS,
    RunSummary,
    settle_through,
)
from settlement.services.settle.spread import (
    begin_spread_run,
    plan_run,
    run_totals,
    settle_night,
    settle_spread,
    work_ranges,
)

__all__ = [
    "CHUNK_SIZE",
    "KERNELS",
    "RunSummary",
    "begin_spread_run",
    "plan_run",
    "run_totals",
    "settle_night",
    "settle_spread",
    "settle_through",
    "work_ranges",
]
