"""Every PostgreSQL advisory lock of Hotwave, in one place.

Advisory locks never guard money on their own: the unique journal keys, the
``(order, kind, sequence)`` constraint and the row locks (``FOR UPDATE``) are
the guarantee. These locks only keep work from interleaving or being done
twice at once, so contention stays low. All of them are no-ops on other
databases (SQLite serialises writers by itself).

* ``settlement_runs_exclusive()`` — one settlement run at a time, single-process
  runs and the final step of a spread run (session lock: it spans the run's
  many chunk transactions, and the server releases it if the process dies);
* ``settlement_runs_shared()`` — a worker's chunk of a spread run, side by side
  with other workers' chunks but never during an exclusive run;
* ``try_claim_settlement_range(...)`` — one id range of a spread run, for one
  worker at a time.

The last two are transaction locks: they are released at commit or rollback,
and they refuse to be taken outside a transaction (``LockOutsideTransaction``),
where they would be released at once and guard nothing (as pretix's
``base/services/locking.py`` refuses).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from django.db import connection

# "HWSE": the one key of the settlement-run lock, taken exclusively by a run and
# shared by the chunks of a spread run.
SETTLEMENT_RUNS = 0x48575345


class LockOutsideTransaction(RuntimeError):
    """A transaction-scoped lock was asked for outside a transaction."""


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _require_transaction(what: str) -> None:
    if not connection.in_atomic_block:
        raise LockOutsideTransaction(f"{what} is a transaction lock: take it inside atomic()")


@contextmanager
def settlement_runs_exclusive() -> Iterator[None]:
    """Hold the settlement-run lock exclusively for the block (waits for other runs).

    A session lock, taken and released on the caller's connection, inside or
    outside a transaction: the run commits chunk by chunk while holding it.
    """
    if not _postgres():
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [SETTLEMENT_RUNS])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [SETTLEMENT_RUNS])


def settlement_runs_shared() -> None:
    """Share the settlement-run lock until the current transaction ends (waits for a run).

    Raises LockOutsideTransaction outside a transaction.
    """
    if not _postgres():
        return
    _require_transaction("settlement_runs_shared")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [SETTLEMENT_RUNS])


def settlement_range_key(business_date: date, phase: str, after: int) -> str:
    """The text whose hash is the advisory key of one range of a spread run."""
    return f"hotwave-settle:{business_date.isoformat()}:{phase}:{after}"


def try_claim_settlement_range(*, business_date: date, phase: str, after: int) -> bool:
    """Claim one ``(after, …]`` range of a spread run until the transaction ends.

    False when another worker holds it (never waits). Raises
    LockOutsideTransaction outside a transaction.
    """
    if not _postgres():
        return True
    _require_transaction("try_claim_settlement_range")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0))",
            [settlement_range_key(business_date, phase, after)],
        )
        return cursor.fetchone()[0]
