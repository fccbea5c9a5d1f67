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
left to do. On Postgres, runs are also serialised by an advisory lock so two
runs at the same moment don't interleave their payouts; rows are locked
``FOR UPDATE`` per chunk so concurrent refunds wait. Work is done in chunks
of ``chunk_size`` orders, each committed on its own, so memory stays flat and
a missed night is simply caught up by the next run.

On Postgres each chunk is set-based (SQL below, no row through Python); the
Python chunks are the SQLite path and the reference (``kernel="python"``).
``plan_run`` / ``work_ranges`` let several Celery workers share the settle and
clawback phases of one night before ``settle_through`` finishes it
(``settlement.tasks``; docs/SCALING.md).
"""

from __future__ import annotations

import logging
from collections import namedtuple
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Count, F
from django.utils import timezone

from hotwave.money import FEN, ZERO, fen
from settlement.commission import (
    AGENCY,
    BOUND_PLATFORM_RATE,
    INDIVIDUAL_PLATFORM_RATE,
    Split,
    split,
)
from settlement.holds import payable_account_ids
from settlement.models import (
    Account,
    AccountKind,
    Journal,
    JournalKind,
    Order,
    OrderStatus,
    Payout,
    Posting,
    RunStatus,
    SettlementRun,
)
from settlement.services.bulk import insert_rows
from settlement.services.ledger import (
    day_end,
    fen_sum,
    from_fen_sum,
    party_accounts,
    system_account,
)

logger = logging.getLogger(__name__)

CHUNK_SIZE = 5000
_LOCK_ID = 0x48575345  # "HWSE": one advisory lock for all settlement runs


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


@contextmanager
def _run_lock():
    """Serialise settlement runs (Postgres session advisory lock; released if the process dies)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [_LOCK_ID])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_LOCK_ID])


class _Accounts:
    """Per-run cache of ledger accounts, so a chunk costs one query for new parties."""

    def __init__(self):
        self.platform = system_account(AccountKind.PLATFORM)
        self.cache: dict[tuple[str, int], Account] = {}
        self.sql = False  # the set-based kernel: no per-party cache needed
        self.cutoff = None

    def load(self, pairs: set[tuple[str, int]]) -> None:
        missing = pairs - self.cache.keys()
        if missing:
            self.cache.update(party_accounts(missing))
        if len(self.cache) > 200_000:  # keep memory bounded on huge runs
            self.cache = {k: self.cache[k] for k in pairs}

    def __getitem__(self, pair: tuple[str, int]) -> Account:
        return self.cache[pair]


def _order_pairs(orders) -> set[tuple[str, int]]:
    pairs: set[tuple[str, int]] = set()
    for o in orders:
        pairs.add((AccountKind.MERCHANT, o.merchant_id))
        pairs.add((AccountKind.CREATOR, o.creator_id))
        if o.agency_id:
            pairs.add((AccountKind.AGENCY, o.agency_id))
    return pairs


def _lines(order, accounts: _Accounts, s: Split) -> list[tuple[int, Decimal]]:
    """(account id, amount) for an order's split (or a difference of splits)."""
    lines = [
        (accounts[(AccountKind.MERCHANT, order.merchant_id)].pk, -s.fee),
        (accounts.platform.pk, s.platform),
        (accounts[(AccountKind.CREATOR, order.creator_id)].pk, s.creator),
    ]
    if order.agency_id:
        lines.append((accounts[(AccountKind.AGENCY, order.agency_id)].pk, s.agency))
    elif s.agency:
        raise ValueError(f"order {order.order_id}: agency part without an agency")
    return lines


_JOURNAL_COLUMNS = (
    "key",
    "kind",
    "order_id",
    "sequence",
    "business_date",
    "basis_price",
    "memo",
    "created_at",
)


def _write(journals: list[tuple], lines_by_journal: list[list[tuple[int, Decimal]]]) -> list[int]:
    """Insert journals (rows of _JOURNAL_COLUMNS) and their non-zero postings; return journal ids."""
    ids = insert_rows(Journal, _JOURNAL_COLUMNS, journals, with_ids=True)
    insert_rows(
        Posting,
        ("journal_id", "account_id", "amount"),
        [
            (journal_id, account_id, amount)
            for journal_id, lines in zip(ids, lines_by_journal, strict=True)
            for account_id, amount in lines
            if amount != 0
        ],
        with_ids=False,
    )
    return ids


_ORDER_FIELDS = (
    "id",
    "order_id",
    "merchant_id",
    "creator_id",
    "agency_id",
    "agency_share",
    "rule",
    "amount",
    "refunded",
    "settled_refunded",
    "service_fee_rate",
)
_Row = namedtuple("_Row", _ORDER_FIELDS)


def _locked_orders(qs, *, after_id: int, chunk_size: int) -> list[_Row]:
    # FOR UPDATE: a concurrent refund of these orders waits until this chunk commits,
    # and a concurrent run re-checks the status after our commit and skips them.
    rows = (
        qs.select_for_update(of=("self",))
        .filter(id__gt=after_id)
        .order_by("id")
        .values_list(*_ORDER_FIELDS)[:chunk_size]
    )
    return [_Row(*r) for r in rows]


def _share(order) -> Decimal | None:
    return order.agency_share if order.rule == AGENCY else None


def _settle_chunk_py(
    *, cutoff, business_date, after_id, chunk_size, accounts, now
) -> tuple[int, int]:
    """Settle one chunk of confirmed orders in Python (SQLite; the reference); (count, last id)."""
    with transaction.atomic():
        orders = _locked_orders(
            Order.objects.filter(status=OrderStatus.CONFIRMED, confirmed_at__lt=cutoff),
            after_id=after_id,
            chunk_size=chunk_size,
        )
        if not orders:
            return 0, after_id
        accounts.load(_order_pairs(orders))
        journals, lines = [], []
        for o in orders:
            price = o.amount - o.refunded
            s = split(price, o.service_fee_rate, agency_share=_share(o))
            journals.append(
                (f"settle:{o.id}", JournalKind.SETTLEMENT, o.id, 0, business_date, price, "", now)
            )
            lines.append(_lines(o, accounts, s))
        _write(journals, lines)
        # The rows are locked: ``refunded`` is what we just posted on.
        Order.objects.filter(pk__in=[o.id for o in orders]).update(
            status=OrderStatus.SETTLED,
            settled_at=now,
            settled_on=business_date,
            settled_refunded=F("refunded"),
        )
        return len(orders), orders[-1].id


def _clawback_chunk_py(*, business_date, after_id, chunk_size, accounts, now) -> tuple[int, int]:
    """Post clawbacks for one chunk of settled orders refunded since, in Python; (count, last id)."""
    with transaction.atomic():
        orders = _locked_orders(
            Order.objects.filter(status=OrderStatus.SETTLED, refunded__gt=F("settled_refunded")),
            after_id=after_id,
            chunk_size=chunk_size,
        )
        if not orders:
            return 0, after_id
        accounts.load(_order_pairs(orders))
        done = dict(
            Journal.objects.filter(order_id__in=[o.id for o in orders], kind=JournalKind.CLAWBACK)
            .values("order_id")
            .annotate(n=Count("id"))
            .values_list("order_id", "n")
        )
        journals, lines = [], []
        for o in orders:
            share = _share(o)
            before = split(o.amount - o.settled_refunded, o.service_fee_rate, agency_share=share)
            price = o.amount - o.refunded
            diff = split(price, o.service_fee_rate, agency_share=share) - before
            journals.append(
                (
                    f"clawback:{o.id}:{fen(o.refunded)}",
                    JournalKind.CLAWBACK,
                    o.id,
                    done.get(o.id, 0) + 1,
                    business_date,
                    price,
                    "",
                    now,
                )
            )
            lines.append(_lines(o, accounts, diff))
        _write(journals, lines)
        Order.objects.filter(pk__in=[o.id for o in orders]).update(settled_refunded=F("refunded"))
        return len(orders), orders[-1].id


def _payout_chunk_py(
    *, business_date, after_id, chunk_size, clearing, now
) -> tuple[int, Decimal, int]:
    """Pay out one chunk of positive creator/agency balances in Python; (count, total, last id)."""
    with transaction.atomic():
        # Lock the accounts, then read balances: nothing can post to them meanwhile.
        candidates = list(
            Account.objects.select_for_update()
            .filter(kind__in=[AccountKind.CREATOR, AccountKind.AGENCY], id__gt=after_id)
            .order_by("id")
            .values_list("id", flat=True)[:chunk_size]
        )
        if not candidates:
            return 0, ZERO, after_id
        payable = set(payable_account_ids(candidates))  # the others are held (settlement.holds)
        paid = set(
            Payout.objects.filter(
                account_id__in=candidates, business_date=business_date
            ).values_list("account_id", flat=True)
        )
        sums = (
            Posting.objects.filter(account_id__in=candidates)
            .values("account_id")
            .annotate(s=fen_sum())
            .filter(s__gt=0)
            .values_list("account_id", "s")
        )
        due = [
            (account_id, from_fen_sum(s))
            for account_id, s in sorted(sums)
            if account_id in payable and account_id not in paid
        ]
        if due:
            day = business_date.isoformat()
            ids = _write(
                [
                    (
                        f"payout:{a}:{day}",
                        JournalKind.PAYOUT,
                        None,
                        0,
                        business_date,
                        None,
                        "打款",
                        now,
                    )
                    for a, _ in due
                ],
                [[(a, -amount), (clearing.pk, amount)] for a, amount in due],
            )
            insert_rows(
                Payout,
                ("account_id", "business_date", "amount", "journal_id", "created_at"),
                [
                    (a, business_date, amount, journal_id, now)
                    for (a, amount), journal_id in zip(due, ids, strict=True)
                ],
                with_ids=False,
            )
        return len(due), sum((amount for _, amount in due), ZERO), candidates[-1]


# --- The set-based kernel (Postgres) -------------------------------------------------
#
# Each chunk is one transaction of two statements: lock the chunk's orders FOR UPDATE
# (_LOCK_SQL), then ONE statement computes the split in SQL, inserts the journals
# (RETURNING their ids), inserts the postings and moves the orders on. ``round(x, 2)`` on numeric rounds half
# away from zero, which is ``hotwave.money.quantize`` (ROUND_HALF_UP) exactly; numeric
# products are exact, so the SQL split equals ``commission.split`` (checked by a
# Hypothesis test on Postgres, tests/settlement/test_settle_sql.py). The Python chunks
# above stay the reference and the SQLite path.

_NO_UPPER = 2**63 - 1  # "no upper id bound" for the sequential walk


def _split_sql(price: str, prefix: str) -> str:
    """LATERAL joins adding ``<prefix>fee, <prefix>platform, <prefix>agency, <prefix>creator``.

    ``price`` is an SQL expression over ``src``; the rule and share are the order's
    frozen ones (``src.rule``, ``src.agency_share``), as in ``commission.split``.
    """
    return f"""
    CROSS JOIN LATERAL (SELECT round(({price}) * src.rate, 2) AS {prefix}fee) {prefix}f
    CROSS JOIN LATERAL (
        SELECT round({prefix}f.{prefix}fee
                     * CASE WHEN src.rule = 'agency' THEN {BOUND_PLATFORM_RATE}
                            ELSE {INDIVIDUAL_PLATFORM_RATE} END, 2) AS {prefix}platform
    ) {prefix}p
    CROSS JOIN LATERAL (
        SELECT CASE WHEN src.rule = 'agency'
                    THEN round(({prefix}f.{prefix}fee - {prefix}p.{prefix}platform)
                               * src.agency_share, 2)
                    ELSE 0 END AS {prefix}agency
    ) {prefix}a
    CROSS JOIN LATERAL (
        SELECT {prefix}f.{prefix}fee - {prefix}p.{prefix}platform - {prefix}a.{prefix}agency
               AS {prefix}creator
    ) {prefix}c"""


# Lines of a journal from the split columns fee/platform/agency/creator of ``s``; a
# party line whose account is missing gets a NULL account and the INSERT fails (the
# chunk rolls back) rather than posting an unbalanced journal.
_POSTINGS_SQL = """
    p AS (
        INSERT INTO settlement_posting (journal_id, account_id, amount)
        SELECT j.id, CASE WHEN v.kind = 'platform' THEN %(platform)s ELSE a.id END, v.amount
        FROM j JOIN s ON s.id = j.order_id
        CROSS JOIN LATERAL (VALUES ('merchant', s.merchant_id, -s.fee),
                                   ('platform', NULL::bigint, s.platform),
                                   ('creator', s.creator_id, s.creator),
                                   ('agency', s.agency_id, s.agency)) v(kind, user_id, amount)
        LEFT JOIN settlement_account a ON a.kind = v.kind AND a.user_id = v.user_id
        WHERE v.amount <> 0
        RETURNING 1
    )"""

_SRC_COLUMNS = """o.id, o.merchant_id, o.creator_id, o.agency_id, o.rule, o.agency_share,
               o.service_fee_rate AS rate, o.refunded"""

# Each chunk is two statements in one transaction: lock the chunk's orders (in id
# order, as every writer of orders does), then post on them. The second statement
# takes its snapshot after the locks are granted, so it reads the rows as they are
# now — a refund that committed while we waited for a lock is seen. (One statement
# with the lock in a CTE would read the UPDATE's rows from the older snapshot.)
_LOCK_SQL = {
    "settle": """
        SELECT id FROM settlement_order
        WHERE status = 'confirmed' AND confirmed_at < %(cutoff)s
          AND id > %(after)s AND id <= %(upto)s
        ORDER BY id LIMIT %(limit)s
        FOR UPDATE
    """,
    "clawback": """
        SELECT id FROM settlement_order
        WHERE status = 'settled' AND refunded > settled_refunded
          AND id > %(after)s AND id <= %(upto)s
        ORDER BY id LIMIT %(limit)s
        FOR UPDATE
    """,
}

_SETTLE_SQL = f"""
WITH src AS (
    SELECT {_SRC_COLUMNS}, o.amount - o.refunded AS price
    FROM settlement_order o
    WHERE o.id = ANY(%(ids)s) AND o.status = 'confirmed'
), s AS (
    SELECT src.*, fee, platform, agency, creator
    FROM src {_split_sql("src.price", "")}
), j AS (
    INSERT INTO settlement_journal
        (key, kind, order_id, sequence, business_date, basis_price, memo, created_at)
    SELECT 'settle:' || s.id, 'settlement', s.id, 0, %(day)s, s.price, '', %(now)s
    FROM s ORDER BY s.id
    RETURNING id, order_id
), {_POSTINGS_SQL}, u AS (
    UPDATE settlement_order o
    SET status = 'settled', settled_at = %(now)s, settled_on = %(day)s,
        settled_refunded = s.refunded
    FROM s WHERE o.id = s.id
)
SELECT count(*), max(id) FROM s
"""  # noqa: S608 - built from constants only

_CLAWBACK_SQL = f"""
WITH src AS (
    SELECT {_SRC_COLUMNS}, o.amount - o.refunded AS price,
           o.amount - o.settled_refunded AS before_price
    FROM settlement_order o
    WHERE o.id = ANY(%(ids)s) AND o.status = 'settled' AND o.refunded > o.settled_refunded
), s AS (
    SELECT src.*,
           n_fee - b_fee AS fee, n_platform - b_platform AS platform,
           n_agency - b_agency AS agency, n_creator - b_creator AS creator
    FROM src {_split_sql("src.price", "n_")} {_split_sql("src.before_price", "b_")}
), j AS (
    INSERT INTO settlement_journal
        (key, kind, order_id, sequence, business_date, basis_price, memo, created_at)
    SELECT 'clawback:' || s.id || ':' || (s.refunded * 100)::bigint, 'clawback', s.id,
           1 + (SELECT count(*) FROM settlement_journal x
                WHERE x.order_id = s.id AND x.kind = 'clawback'),
           %(day)s, s.price, '', %(now)s
    FROM s ORDER BY s.id
    RETURNING id, order_id
), {_POSTINGS_SQL}, u AS (
    UPDATE settlement_order o SET settled_refunded = s.refunded
    FROM s WHERE o.id = s.id
)
SELECT count(*), max(id) FROM s
"""  # noqa: S608 - built from constants only

_ACCOUNTS_SQL = """
WITH o AS MATERIALIZED (
    SELECT merchant_id, creator_id, agency_id FROM settlement_order
    WHERE status = 'confirmed' AND confirmed_at < %(cutoff)s
), k AS (
    SELECT DISTINCT 'merchant' AS kind, merchant_id AS user_id FROM o
    UNION ALL SELECT DISTINCT 'creator', creator_id FROM o
    UNION ALL SELECT DISTINCT 'agency', agency_id FROM o WHERE agency_id IS NOT NULL
)
INSERT INTO settlement_account (kind, user_id, created_at)
SELECT k.kind, k.user_id, %(now)s FROM k
WHERE NOT EXISTS (SELECT 1 FROM settlement_account a
                  WHERE a.kind = k.kind AND a.user_id = k.user_id)
ON CONFLICT DO NOTHING
"""

_PAYOUT_LOCK_SQL = """
SELECT id FROM settlement_account
WHERE kind IN ('creator', 'agency') AND id > %s
ORDER BY id LIMIT %s
FOR UPDATE
"""

# Runs after the accounts are locked (a new statement, so a new snapshot: every
# posting committed to them before the lock is summed).
_PAYOUT_SQL = """
WITH due AS (
    SELECT p.account_id, sum(p.amount) AS amount
    FROM settlement_posting p
    WHERE p.account_id = ANY(%(ids)s)
      AND NOT EXISTS (SELECT 1 FROM settlement_payout y
                      WHERE y.account_id = p.account_id AND y.business_date = %(day)s)
    GROUP BY p.account_id
    HAVING sum(p.amount) > 0
), j AS (
    INSERT INTO settlement_journal
        (key, kind, order_id, sequence, business_date, basis_price, memo, created_at)
    SELECT 'payout:' || due.account_id || ':' || %(day_iso)s, 'payout', NULL, 0, %(day)s,
           NULL, %(memo)s, %(now)s
    FROM due ORDER BY due.account_id
    RETURNING id, key
), pj AS (
    SELECT j.id AS journal_id, due.account_id, due.amount
    FROM j JOIN due ON j.key = 'payout:' || due.account_id || ':' || %(day_iso)s
), pay AS (
    INSERT INTO settlement_payout (account_id, business_date, amount, journal_id, created_at)
    SELECT account_id, %(day)s, amount, journal_id, %(now)s FROM pj
), p AS (
    INSERT INTO settlement_posting (journal_id, account_id, amount)
    SELECT journal_id, account_id, -amount FROM pj
    UNION ALL
    SELECT journal_id, %(clearing)s, amount FROM pj
)
SELECT count(*), coalesce(sum(amount), 0) FROM pj
"""


def _ensure_accounts_sql(cutoff, now) -> None:
    """Create, set-based, the accounts of every party of the orders to settle."""
    with connection.cursor() as cursor:
        cursor.execute(_ACCOUNTS_SQL, {"cutoff": cutoff, "now": now})


def _run_chunk_sql(phase: str, sql: str, params: dict, *, cutoff) -> tuple[int, int | None]:
    """Lock a chunk of orders and post on them, in the caller's transaction.

    Returns (orders posted, last order id locked or None).
    """
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_SQL[phase], {"cutoff": cutoff, **params})
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return 0, None
    params = {**params, "ids": ids}
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
            n, _ = cursor.fetchone()
    except IntegrityError as exc:
        # A party without an account (an order confirmed after the accounts were
        # created): create them and try once more; anything else is a real error.
        if "account_id" not in str(exc):
            raise
        _ensure_accounts_sql(cutoff, params["now"])
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
            n, _ = cursor.fetchone()
    return n, ids[-1]


def _phase_chunk_sql(
    phase, sql, *, cutoff, business_date, after_id, chunk_size, now, upto, platform_id
) -> tuple[int, int]:
    """One chunk of the settle or clawback phase as one statement; (count, last id)."""
    params = {
        "cutoff": cutoff,  # the settle phase's; the clawback statement ignores it
        "after": after_id,
        "upto": upto,
        "limit": chunk_size,
        "day": business_date,
        "now": now,
        "platform": platform_id,
    }
    with transaction.atomic():
        n, last = _run_chunk_sql(phase, sql, params, cutoff=cutoff)
    return n, (last if last is not None else after_id)


def _settle_chunk_sql(*, upto=_NO_UPPER, **kw) -> tuple[int, int]:
    return _phase_chunk_sql("settle", _SETTLE_SQL, upto=upto, **kw)


def _clawback_chunk_sql(*, upto=_NO_UPPER, **kw) -> tuple[int, int]:
    return _phase_chunk_sql("clawback", _CLAWBACK_SQL, upto=upto, **kw)


def _payout_chunk_sql(
    *, business_date, after_id, chunk_size, clearing, now
) -> tuple[int, Decimal, int]:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_PAYOUT_LOCK_SQL, [after_id, chunk_size])
        ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return 0, ZERO, after_id
        payable = payable_account_ids(ids)  # the others are held (settlement.holds)
        if not payable:
            return 0, ZERO, ids[-1]
        cursor.execute(
            _PAYOUT_SQL,
            {
                "ids": payable,
                "day": business_date,
                "day_iso": business_date.isoformat(),
                "memo": "打款",
                "now": now,
                "clearing": clearing.pk,
            },
        )
        n, total = cursor.fetchone()
        return n, Decimal(total).quantize(FEN), ids[-1]


# --- One chunk, either kernel ----------------------------------------------------------

KERNELS = ("auto", "sql", "python")


def _sql_kernel(kernel: str) -> bool:
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {KERNELS}, got {kernel!r}")
    if kernel == "python":
        return False
    if connection.vendor != "postgresql":
        if kernel == "sql":
            raise ValueError("the SQL settlement kernel needs PostgreSQL")
        return False
    return True


def _settle_chunk(*, cutoff, business_date, after_id, chunk_size, accounts, now) -> tuple[int, int]:
    """Settle one chunk of confirmed orders (set-based on Postgres); (count, last id)."""
    if accounts.sql:
        return _settle_chunk_sql(
            cutoff=cutoff,
            business_date=business_date,
            after_id=after_id,
            chunk_size=chunk_size,
            now=now,
            platform_id=accounts.platform.pk,
        )
    return _settle_chunk_py(
        cutoff=cutoff,
        business_date=business_date,
        after_id=after_id,
        chunk_size=chunk_size,
        accounts=accounts,
        now=now,
    )


def _clawback_chunk(*, business_date, after_id, chunk_size, accounts, now) -> tuple[int, int]:
    """Claw back one chunk of settled orders refunded since; (count, last id)."""
    if accounts.sql:
        return _clawback_chunk_sql(
            cutoff=accounts.cutoff,
            business_date=business_date,
            after_id=after_id,
            chunk_size=chunk_size,
            now=now,
            platform_id=accounts.platform.pk,
        )
    return _clawback_chunk_py(
        business_date=business_date,
        after_id=after_id,
        chunk_size=chunk_size,
        accounts=accounts,
        now=now,
    )


def _payout_chunk(*, business_date, after_id, chunk_size, clearing, now, sql=False):
    """Pay out one chunk of creator/agency accounts; (count, total, last account id)."""
    chunk = _payout_chunk_sql if sql else _payout_chunk_py
    return chunk(
        business_date=business_date,
        after_id=after_id,
        chunk_size=chunk_size,
        clearing=clearing,
        now=now,
    )


def _left(phase: str, *, cutoff, after_id: int) -> bool:
    """Whether orders of ``phase`` remain after ``after_id`` (a chunk came back empty
    because a concurrent run took its rows: carry on after them)."""
    if phase == "settle":
        qs = Order.objects.filter(status=OrderStatus.CONFIRMED, confirmed_at__lt=cutoff)
    else:
        qs = Order.objects.filter(status=OrderStatus.SETTLED, refunded__gt=F("settled_refunded"))
    return qs.filter(id__gt=after_id).exists()


def _walk(phase: str, chunk, *, cutoff, after_id: int = 0, **kwargs) -> int:
    """Call ``chunk`` until nothing is left; returns the number of orders done."""
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
        if empty > 50 or not _left(phase, cutoff=cutoff, after_id=last):
            return done


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
    summary = RunSummary(business_date=business_date)
    sql = _sql_kernel(kernel)
    with _run_lock():
        now = now or timezone.now()
        run, _ = SettlementRun.objects.get_or_create(business_date=business_date)
        SettlementRun.objects.filter(pk=run.pk).update(
            status=RunStatus.RUNNING, attempts=F("attempts") + 1, started_at=now, error=""
        )
        try:
            accounts = _Accounts()
            accounts.sql = sql
            cutoff = accounts.cutoff = day_end(business_date)
            if sql:
                _ensure_accounts_sql(cutoff, now)
            common = {"business_date": business_date, "chunk_size": chunk_size, "now": now}
            summary.orders_settled += _walk(
                "settle",
                lambda **kw: _settle_chunk(cutoff=cutoff, accounts=accounts, **common, **kw),
                cutoff=cutoff,
            )
            summary.clawbacks += _walk(
                "clawback",
                lambda **kw: _clawback_chunk(accounts=accounts, **common, **kw),
                cutoff=cutoff,
            )
            clearing = system_account(AccountKind.PAYOUTS)
            last = 0
            while True:
                before = last
                n, total, last = _payout_chunk(after_id=last, clearing=clearing, sql=sql, **common)
                if last == before:
                    break
                summary.payouts += n
                summary.payout_total += total
        except Exception as exc:
            SettlementRun.objects.filter(pk=run.pk).update(
                status=RunStatus.FAILED, error=repr(exc)[:2000], finished_at=timezone.now()
            )
            if isinstance(exc, OperationalError) and "locked" in str(exc):
                # SQLite's busy timeout ran out: contention, not a bug (no traceback).
                logger.warning("settlement run for %s: %s", business_date, exc)
            else:
                logger.exception("settlement run for %s failed", business_date)
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


# --- Spreading a run over several workers (settlement.tasks) ---------------------------
#
# ``plan_run`` cuts the orders to settle and to claw back into contiguous id ranges of
# about ``chunk_size`` orders each. Any number of workers then call ``work_ranges``
# with the same plan (each starting at a different range): a range is claimed for
# the length of its transaction by ``pg_try_advisory_xact_lock(<day, phase, range>)``
# — a range someone else holds is skipped, and a range done already costs one index
# probe, since only ``confirmed`` (or refunded-since) orders are picked and the
# status moves in the same transaction as the journals. Each chunk also takes the
# run lock in SHARED mode, so workers run side by side but never during a
# single-process run or the final step, which take it EXCLUSIVELY. The final step is
# ``settle_through`` itself: it waits for the chunks in flight, settles whatever is
# left (a range of a dead or late worker), pays out and marks the run done — so the
# ledger is the one a single-process run writes.

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
    cutoff = day_end(business_date)
    plan: dict[str, list[list[int]]] = {}
    with connection.cursor() as cursor:
        for phase, sql in _PLAN_SQL.items():
            cursor.execute(sql, {"size": chunk_size, "cutoff": cutoff})
            bounds = [row[0] for row in cursor.fetchall()]
            after, ranges = 0, []
            for upto in bounds[:-1]:
                ranges.append([after, upto])
                after = upto
            ranges.append([after, _NO_UPPER])  # the last range is open: late arrivals too
            plan[phase] = ranges
    return plan


def _claim(cursor, business_date: date, phase: str, after: int, started: datetime) -> bool:
    """In the current transaction: share the run lock, stop if the run has been finished
    since ``started``, and claim the range (False: someone else holds it, or done)."""
    cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [_LOCK_ID])
    cursor.execute(
        "SELECT 1 FROM settlement_settlementrun "
        "WHERE business_date = %s AND status = %s AND finished_at >= %s",
        [business_date, RunStatus.DONE, started],
    )
    if cursor.fetchone():
        raise _RunFinished
    cursor.execute(
        "SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0))",
        [f"hotwave-settle:{business_date.isoformat()}:{phase}:{after}"],
    )
    return cursor.fetchone()[0]


class _RunFinished(Exception):
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
    cutoff = day_end(business_date)
    platform_id = system_account(AccountKind.PLATFORM).pk
    _ensure_accounts_sql(cutoff, now)
    chunks = {"settle": _settle_chunk_sql, "clawback": _clawback_chunk_sql}
    try:
        for phase in ("settle", "clawback"):
            ranges = plan.get(phase) or []
            first = (start * len(ranges)) // max(workers, 1)
            for k in range(len(ranges)):
                after, upto = ranges[(first + k) % len(ranges)]
                with transaction.atomic(), connection.cursor() as cursor:
                    if not _claim(cursor, business_date, phase, after, now):
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
    except _RunFinished:
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
    import threading

    from django.db import connections

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
