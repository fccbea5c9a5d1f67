"""The settlement kernel in SQL (PostgreSQL): one chunk, one set-based statement.

Each chunk is one transaction of two statements: lock the chunk's orders FOR
UPDATE (``LOCK_SQL``), then ONE statement computes the split in SQL, inserts
the journals (RETURNING their ids), inserts the postings and moves the orders
on. ``round(x, 2)`` on numeric rounds half away from zero, which is
``hotwave.money.quantize`` (ROUND_HALF_UP) exactly; numeric products are
exact, so the SQL split equals ``commission.split`` (checked by a Hypothesis
test on Postgres, tests/settlement/test_settle_sql.py). The Python chunks
(``rule_python``) stay the reference and the SQLite path.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, connection, transaction

from hotwave.money import FEN, ZERO
from settlement.commission import BOUND_PLATFORM_RATE, INDIVIDUAL_PLATFORM_RATE
from settlement.holds import payable_account_ids

NO_UPPER_ID = 2**63 - 1  # "no upper id bound": a sequential run's chunks, the last range of a plan


def split_sql(price: str, prefix: str) -> str:
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
_POSTINGS_CTE = """
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

_ORDER_COLUMNS = """o.id, o.merchant_id, o.creator_id, o.agency_id, o.rule, o.agency_share,
               o.service_fee_rate AS rate, o.refunded"""

# Each chunk is two statements in one transaction: lock the chunk's orders (in id
# order, as every writer of orders does), then post on them. The second statement
# takes its snapshot after the locks are granted, so it reads the rows as they are
# now — a refund that committed while we waited for a lock is seen. (One statement
# with the lock in a CTE would read the UPDATE's rows from the older snapshot.)
LOCK_SQL = {
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

SETTLE_SQL = f"""
WITH src AS (
    SELECT {_ORDER_COLUMNS}, o.amount - o.refunded AS price
    FROM settlement_order o
    WHERE o.id = ANY(%(ids)s) AND o.status = 'confirmed'
), s AS (
    SELECT src.*, fee, platform, agency, creator
    FROM src {split_sql("src.price", "")}
), j AS (
    INSERT INTO settlement_journal
        (key, kind, order_id, sequence, business_date, basis_price, memo, created_at)
    SELECT 'settle:' || s.id, 'settlement', s.id, 0, %(day)s, s.price, '', %(now)s
    FROM s ORDER BY s.id
    RETURNING id, order_id
), {_POSTINGS_CTE}, u AS (
    UPDATE settlement_order o
    SET status = 'settled', settled_at = %(now)s, settled_on = %(day)s,
        settled_refunded = s.refunded
    FROM s WHERE o.id = s.id
)
SELECT count(*), max(id) FROM s
"""  # noqa: S608 - built from constants only

CLAWBACK_SQL = f"""
WITH src AS (
    SELECT {_ORDER_COLUMNS}, o.amount - o.refunded AS price,
           o.amount - o.settled_refunded AS before_price
    FROM settlement_order o
    WHERE o.id = ANY(%(ids)s) AND o.status = 'settled' AND o.refunded > o.settled_refunded
), s AS (
    SELECT src.*,
           n_fee - b_fee AS fee, n_platform - b_platform AS platform,
           n_agency - b_agency AS agency, n_creator - b_creator AS creator
    FROM src {split_sql("src.price", "n_")} {split_sql("src.before_price", "b_")}
), j AS (
    INSERT INTO settlement_journal
        (key, kind, order_id, sequence, business_date, basis_price, memo, created_at)
    SELECT 'clawback:' || s.id || ':' || (s.refunded * 100)::bigint, 'clawback', s.id,
           1 + (SELECT count(*) FROM settlement_journal x
                WHERE x.order_id = s.id AND x.kind = 'clawback'),
           %(day)s, s.price, '', %(now)s
    FROM s ORDER BY s.id
    RETURNING id, order_id
), {_POSTINGS_CTE}, u AS (
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


def ensure_accounts_sql(cutoff, now) -> None:
    """Create, set-based, the accounts of every party of the orders to settle."""
    with connection.cursor() as cursor:
        cursor.execute(_ACCOUNTS_SQL, {"cutoff": cutoff, "now": now})


def _lock_and_post(phase: str, sql: str, params: dict, *, cutoff) -> tuple[int, int | None]:
    """Lock a chunk of orders and post on them, in the caller's transaction.

    Returns (orders posted, last order id locked or None).
    """
    with connection.cursor() as cursor:
        cursor.execute(LOCK_SQL[phase], {"cutoff": cutoff, **params})
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
        ensure_accounts_sql(cutoff, params["now"])
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
        n, last = _lock_and_post(phase, sql, params, cutoff=cutoff)
    return n, (last if last is not None else after_id)


def settle_chunk_sql(*, upto=NO_UPPER_ID, **kw) -> tuple[int, int]:
    """Settle one chunk of confirmed orders (ids in ``(after_id, upto]``); (count, last id)."""
    return _phase_chunk_sql("settle", SETTLE_SQL, upto=upto, **kw)


def clawback_chunk_sql(*, upto=NO_UPPER_ID, **kw) -> tuple[int, int]:
    """Claw back one chunk of settled orders refunded since; (count, last id)."""
    return _phase_chunk_sql("clawback", CLAWBACK_SQL, upto=upto, **kw)


def payout_chunk_sql(
    *, business_date, after_id, chunk_size, clearing, now
) -> tuple[int, Decimal, int]:
    """Pay out one chunk of positive creator/agency balances; (count, total, last id)."""
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
