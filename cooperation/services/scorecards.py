"""The scorecard recompute (issue 17): every creator's and merchant's record, set-based.

``scorecards_recompute()`` writes all rows in three statements — one INSERT … SELECT
… ON CONFLICT DO UPDATE per side and one of the per-category rows — over
tasks, deadline events, disputes, ratings and the attributed orders (settlement's
``attributed_orders_sql``, computed once into a temporary table that the creator and
the per-category statements both read). No Python loop
over parties: at 100k creators it is one pass of the database over the same tables
a GROUP BY would read. Beat runs it nightly, the creators spread over
``SCORECARD_WORKERS`` connections (``workers=``: parts by creator id, each its own
transaction); after a task ends the two parties are recomputed on commit
(``scorecards_recompute(creator_ids=[…], merchant_ids=[…])``).

What each figure means (the help page ``/help/scorecards/`` says the same to users):

* 履约率 = fulfilled ÷ counted, over tasks accepted that ended in the period:
  counted = completed + decided disputes + cancellations after a breach by the
  creator; fulfilled = completed + disputes the creator won (released to it, or a
  split giving it at least half). A merchant's cancellation (before shipping, or
  after its own missed shipping deadline) does not count against the creator.
* 准时率 = live sessions reported by their deadline ÷ live deadlines due (met or
  breached) in the period; for merchants, on-time shipping the same over the
  shipping deadline.
* 场均成交 = attributed actual GMV (paid − refunded) of completed tasks with a
  live session ÷ their number.
* 商家 ROI 中位数 = the median, over those tasks, of GMV ÷ (released slot fee +
  service fees); tasks that cost nothing are left out.
* 评分 = average stars the other side gave, and how many, written in the period.
* 争议 = disputes opened against the party in the period: won, lost, still open.
* Rates are stored only from ``NEW_PARTY_BELOW`` completed tasks up (新达人 /
  新商家 below), never a misleading 100%.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone

from admission.models import Creator, Merchant
from cooperation.models import (
    NEW_PARTY_BELOW,
    REFERENCE_PREFIX,
    SCORECARD_PERIOD_DAYS,
    CreatorCategoryScorecard,
    CreatorScorecard,
    Dispute,
    MerchantScorecard,
    Product,
    Rating,
    Task,
    TaskEvent,
    TaskProduct,
)
from settlement.selectors import attributed_orders_sql


@dataclass(frozen=True)
class Recomputed:
    creators: int
    merchants: int
    period_start: datetime
    period_end: datetime


def _tables() -> dict[str, str]:
    return {
        "task": Task._meta.db_table,
        "event": TaskEvent._meta.db_table,
        "dispute": Dispute._meta.db_table,
        "rating": Rating._meta.db_table,
        "item": TaskProduct._meta.db_table,
        "creator": Creator._meta.db_table,
        "merchant": Merchant._meta.db_table,
        "creator_card": CreatorScorecard._meta.db_table,
        "category_card": CreatorCategoryScorecard._meta.db_table,
        "product": Product._meta.db_table,
        "merchant_card": MerchantScorecard._meta.db_table,
    }


# The creator side's attribution, computed once per recompute into two temporary tables
# (dropped at the end of it) and read by both the creator and the per-category statement.
SCORED = "hw_scorecard_scored"
ATTRIBUTED = "hw_scorecard_attributed_skus"


def _scored_sql(scope: str) -> str:
    """The creator statement's scored sessions: completed tasks with a live session that
    ended in the period (``completed_at`` kept for the per-category statement)."""
    t = _tables()
    return f"""
    CREATE TEMPORARY TABLE {SCORED} AS
    SELECT t.id AS task_id, t.merchant_id, t.creator_id, t.live_at, t.completed_at
    FROM {t["task"]} t
    WHERE t.accepted_at IS NOT NULL AND t.state = 'completed' AND t.live_at IS NOT NULL
      AND COALESCE(t.completed_at, t.resolved_at, t.cancelled_at) >= %s
      AND COALESCE(t.completed_at, t.resolved_at, t.cancelled_at) < %s
      {scope.replace("{col}", "t.creator_id")}
    """  # noqa: S608 - table names and constants only; values are parameters


def _attributed_sql() -> str:
    """The orders attributed to each scored session (settlement's rule), summed per product
    SKU: ``(task_id, merchant_id, product_sku, gmv, fees)``. Both readers only need sums per
    session (creator) or per session and category (a SKU's product), so one row per SKU
    rather than one per order (40,000 instead of 640,000 rows at full bench scale)."""
    t = _tables()
    rows = attributed_orders_sql(
        vendor=connection.vendor,
        window_hours=settings.COOPERATION_ATTRIBUTION_HOURS,
        reference_prefix=REFERENCE_PREFIX,
    )
    return f"""
    CREATE TEMPORARY TABLE {ATTRIBUTED} AS
    WITH scored_tasks AS (
        SELECT task_id, merchant_id, creator_id, live_at FROM {SCORED}
    ),
    scored_task_skus AS (
        SELECT i.task_id, i.sku FROM {t["item"]} i
        WHERE i.task_id IN (SELECT task_id FROM scored_tasks)
    )
    SELECT a.task_id, a.merchant_id, a.product_sku, SUM(a.gmv) AS gmv, SUM(a.fee) AS fees
    FROM ({rows}) a
    GROUP BY a.task_id, a.merchant_id, a.product_sku
    """  # noqa: S608 - table names and constants only


def _drop_temporary(cur) -> None:
    for table in (ATTRIBUTED, SCORED):
        cur.execute(f"DROP TABLE IF EXISTS {table}")


# A decided dispute the creator won: released to it, or a split giving it at least half.
_CREATOR_WON = "(d.outcome = 'release' OR (d.outcome = 'split' AND d.creator_percent >= 50))"


def _creator_sql(scope: str) -> str:
    t = _tables()
    return f"""
    WITH ended AS (
        SELECT t.id, t.creator_id, t.merchant_id, t.state, t.live_at, t.escrow_released
        FROM {t["task"]} t
        WHERE t.accepted_at IS NOT NULL
          AND t.state IN ('completed', 'resolved', 'cancelled')
          AND COALESCE(t.completed_at, t.resolved_at, t.cancelled_at) >= %s
          AND COALESCE(t.completed_at, t.resolved_at, t.cancelled_at) < %s
          {scope.replace("{col}", "t.creator_id")}
    ),
    won AS (
        SELECT DISTINCT d.task_id FROM {t["dispute"]} d
        WHERE d.status = 'decided' AND {_CREATOR_WON}
          AND d.task_id IN (SELECT id FROM ended WHERE state = 'resolved')
    ),
    breached AS (
        SELECT DISTINCT b.task_id FROM {t["event"]} b
        WHERE b.kind = 'deadline_breached' AND b.party = 'creator'
          AND b.task_id IN (SELECT id FROM ended)
    ),
    outcome AS (
        SELECT x.id, x.creator_id, x.state,
               CASE WHEN x.state = 'completed' THEN 1 ELSE 0 END AS completed,
               CASE WHEN x.state = 'completed' OR (x.state = 'resolved' AND w.task_id IS NOT NULL)
                    THEN 1 ELSE 0 END AS fulfilled,
               CASE WHEN x.state IN ('completed', 'resolved') OR b.task_id IS NOT NULL
                    THEN 1 ELSE 0 END AS counted
        FROM ended x
        LEFT JOIN won w ON w.task_id = x.id
        LEFT JOIN breached b ON b.task_id = x.id
    ),
    fulfil AS (
        SELECT creator_id, SUM(completed) AS completed, SUM(fulfilled) AS fulfilled,
               SUM(counted) AS counted
        FROM outcome GROUP BY creator_id
    ),
    scored_tasks AS (
        SELECT x.id AS task_id, x.merchant_id, x.creator_id, x.live_at
        FROM ended x WHERE x.state = 'completed' AND x.live_at IS NOT NULL
    ),
    sums AS (
        SELECT a.task_id, SUM(a.gmv) AS gmv, SUM(a.fees) AS fees
        FROM {ATTRIBUTED} a GROUP BY a.task_id
    ),
    session AS (
        SELECT st.task_id, st.creator_id,
               COALESCE(s.gmv, 0) AS gmv,
               x.escrow_released + COALESCE(s.fees, 0) AS cost
        FROM scored_tasks st
        JOIN ended x ON x.id = st.task_id
        LEFT JOIN sums s ON s.task_id = st.task_id
    ),
    sessions AS (
        SELECT creator_id, COUNT(*) AS n, SUM(gmv) AS gmv FROM session GROUP BY creator_id
    ),
    roi_ranked AS (
        SELECT creator_id, (gmv * 1.0) / cost AS roi,
               ROW_NUMBER() OVER (PARTITION BY creator_id ORDER BY (gmv * 1.0) / cost) AS rn,
               COUNT(*) OVER (PARTITION BY creator_id) AS n
        FROM session WHERE cost > 0
    ),
    roi AS (
        SELECT creator_id, MAX(n) AS n, AVG(roi) AS median
        FROM roi_ranked WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY creator_id
    ),
    punctual AS (
        SELECT t.creator_id,
               SUM(CASE WHEN e.kind = 'deadline_met' THEN 1 ELSE 0 END) AS met,
               COUNT(*) AS due
        FROM {t["event"]} e JOIN {t["task"]} t ON t.id = e.task_id
        WHERE e.kind IN ('deadline_met', 'deadline_breached') AND e.party = 'creator'
          AND e.stage = 'received' AND e.at >= %s AND e.at < %s
          {scope.replace("{col}", "t.creator_id")}
        GROUP BY t.creator_id
    ),
    stars AS (
        SELECT r.creator_id, COUNT(*) AS n, AVG(r.stars * 1.0) AS avg
        FROM {t["rating"]} r
        WHERE r.rater_party = 'merchant' AND r.created_at >= %s AND r.created_at < %s
          {scope.replace("{col}", "r.creator_id")}
        GROUP BY r.creator_id
    ),
    disputes AS (
        SELECT t.creator_id, COUNT(*) AS n,
               SUM(CASE WHEN d.status = 'decided' AND NOT {_CREATOR_WON} THEN 1 ELSE 0 END)
                   AS lost,
               SUM(CASE WHEN d.status = 'decided' AND {_CREATOR_WON} THEN 1 ELSE 0 END) AS won,
               SUM(CASE WHEN d.status <> 'decided' THEN 1 ELSE 0 END) AS open
        FROM {t["dispute"]} d JOIN {t["task"]} t ON t.id = d.task_id
        WHERE d.opened_by = 'merchant' AND d.opened_at >= %s AND d.opened_at < %s
          {scope.replace("{col}", "t.creator_id")}
        GROUP BY t.creator_id
    )
    INSERT INTO {t["creator_card"]} (
        creator_id, period_start, period_end, computed_at,
        tasks_counted, tasks_fulfilled, tasks_completed, fulfilment_rate,
        stages_due, stages_on_time, on_time_rate,
        live_sessions, gmv_total, gmv_per_session, roi_tasks, roi_median,
        rating_count, rating_avg,
        disputes_against, disputes_lost, disputes_won, disputes_open
    )
    SELECT c.user_id, %s, %s, %s,
           COALESCE(f.counted, 0), COALESCE(f.fulfilled, 0), COALESCE(f.completed, 0),
           CASE WHEN COALESCE(f.completed, 0) >= {NEW_PARTY_BELOW} AND f.counted > 0
                THEN ROUND((f.fulfilled * 1.0) / f.counted, 4) END,
           COALESCE(p.due, 0), COALESCE(p.met, 0),
           CASE WHEN COALESCE(f.completed, 0) >= {NEW_PARTY_BELOW} AND p.due > 0
                THEN ROUND((p.met * 1.0) / p.due, 4) END,
           COALESCE(s.n, 0), COALESCE(s.gmv, 0),
           CASE WHEN s.n > 0 THEN ROUND((s.gmv * 1.0) / s.n, 2) END,
           COALESCE(roi.n, 0), ROUND(roi.median, 2),
           COALESCE(st.n, 0), ROUND(st.avg, 2),
           COALESCE(dp.n, 0), COALESCE(dp.lost, 0), COALESCE(dp.won, 0), COALESCE(dp.open, 0)
    FROM {t["creator"]} c
    LEFT JOIN fulfil f ON f.creator_id = c.user_id
    LEFT JOIN punctual p ON p.creator_id = c.user_id
    LEFT JOIN sessions s ON s.creator_id = c.user_id
    LEFT JOIN roi ON roi.creator_id = c.user_id
    LEFT JOIN stars st ON st.creator_id = c.user_id
    LEFT JOIN disputes dp ON dp.creator_id = c.user_id
    WHERE 1 = 1 {scope.replace("{col}", "c.user_id")}
    ON CONFLICT (creator_id) DO UPDATE SET
        period_start = excluded.period_start, period_end = excluded.period_end,
        computed_at = excluded.computed_at,
        tasks_counted = excluded.tasks_counted, tasks_fulfilled = excluded.tasks_fulfilled,
        tasks_completed = excluded.tasks_completed, fulfilment_rate = excluded.fulfilment_rate,
        stages_due = excluded.stages_due, stages_on_time = excluded.stages_on_time,
        on_time_rate = excluded.on_time_rate,
        live_sessions = excluded.live_sessions, gmv_total = excluded.gmv_total,
        gmv_per_session = excluded.gmv_per_session, roi_tasks = excluded.roi_tasks,
        roi_median = excluded.roi_median,
        rating_count = excluded.rating_count, rating_avg = excluded.rating_avg,
        disputes_against = excluded.disputes_against, disputes_lost = excluded.disputes_lost,
        disputes_won = excluded.disputes_won, disputes_open = excluded.disputes_open
    """  # noqa: S608 - table names and constants only; values are parameters


def _category_sql() -> str:
    """场均成交 per creator per product category (``CreatorCategoryScorecard``).

    The sessions are the scorecard's: completed tasks with a live session that ended in
    the period. A session counts in each category of its products and of its attributed
    orders' products; each attributed order's GMV (paid − refunded) counts in its own
    product's category (an order of a product not listed with us has none). The
    attributed orders are the ones the creator statement summed (``ATTRIBUTED``), not a
    second attribution.
    """
    t = _tables()
    return f"""
    WITH scored_tasks AS (
        SELECT s.task_id, s.creator_id FROM {SCORED} s
        WHERE s.completed_at >= %s AND s.completed_at < %s
    ),
    order_cats AS (
        SELECT a.task_id, p.category_id, SUM(a.gmv) AS gmv
        FROM {ATTRIBUTED} a
        JOIN scored_tasks st ON st.task_id = a.task_id
        JOIN {t["product"]} p ON p.merchant_id = a.merchant_id AND p.sku = a.product_sku
        GROUP BY a.task_id, p.category_id
    ),
    session_cats AS (
        SELECT st.task_id, st.creator_id, p.category_id
        FROM scored_tasks st
        JOIN {t["item"]} i ON i.task_id = st.task_id
        JOIN {t["product"]} p ON p.id = i.product_id
        UNION
        SELECT oc.task_id, st.creator_id, oc.category_id
        FROM order_cats oc JOIN scored_tasks st ON st.task_id = oc.task_id
    )
    INSERT INTO {t["category_card"]} (
        creator_id, category_id, computed_at, live_sessions, gmv_total, gmv_per_session
    )
    SELECT sc.creator_id, sc.category_id, %s, COUNT(*), COALESCE(SUM(oc.gmv), 0),
           ROUND((COALESCE(SUM(oc.gmv), 0) * 1.0) / COUNT(*), 2)
    FROM session_cats sc
    LEFT JOIN order_cats oc ON oc.task_id = sc.task_id AND oc.category_id = sc.category_id
    WHERE 1 = 1
    GROUP BY sc.creator_id, sc.category_id
    ON CONFLICT (creator_id, category_id) DO UPDATE SET
        computed_at = excluded.computed_at, live_sessions = excluded.live_sessions,
        gmv_total = excluded.gmv_total, gmv_per_session = excluded.gmv_per_session
    """  # noqa: S608 - table names and constants only; values are parameters


def _merchant_sql(scope: str) -> str:
    t = _tables()
    return f"""
    WITH done AS (
        SELECT t.merchant_id, COUNT(*) AS n
        FROM {t["task"]} t
        WHERE t.state = 'completed' AND t.completed_at >= %s AND t.completed_at < %s
          {scope.replace("{col}", "t.merchant_id")}
        GROUP BY t.merchant_id
    ),
    shipping AS (
        SELECT t.merchant_id,
               SUM(CASE WHEN e.kind = 'deadline_met' THEN 1 ELSE 0 END) AS met,
               COUNT(*) AS due
        FROM {t["event"]} e JOIN {t["task"]} t ON t.id = e.task_id
        WHERE e.kind IN ('deadline_met', 'deadline_breached') AND e.party = 'merchant'
          AND e.stage = 'accepted' AND e.at >= %s AND e.at < %s
          {scope.replace("{col}", "t.merchant_id")}
        GROUP BY t.merchant_id
    ),
    fee_ranked AS (
        SELECT t.merchant_id, t.slot_fee,
               ROW_NUMBER() OVER (PARTITION BY t.merchant_id ORDER BY t.slot_fee) AS rn,
               COUNT(*) OVER (PARTITION BY t.merchant_id) AS n
        FROM {t["task"]} t
        WHERE t.accepted_at >= %s AND t.accepted_at < %s AND t.slot_fee > 0
          {scope.replace("{col}", "t.merchant_id")}
    ),
    fees AS (
        SELECT merchant_id, MAX(n) AS n, AVG(slot_fee) AS median
        FROM fee_ranked WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY merchant_id
    ),
    stars AS (
        SELECT r.merchant_id, COUNT(*) AS n, AVG(r.stars * 1.0) AS avg
        FROM {t["rating"]} r
        WHERE r.rater_party = 'creator' AND r.created_at >= %s AND r.created_at < %s
          {scope.replace("{col}", "r.merchant_id")}
        GROUP BY r.merchant_id
    ),
    disputes AS (
        SELECT t.merchant_id, COUNT(*) AS n,
               SUM(CASE WHEN d.status = 'decided' AND {_CREATOR_WON} THEN 1 ELSE 0 END) AS lost,
               SUM(CASE WHEN d.status = 'decided' AND NOT {_CREATOR_WON} THEN 1 ELSE 0 END)
                   AS won,
               SUM(CASE WHEN d.status <> 'decided' THEN 1 ELSE 0 END) AS open
        FROM {t["dispute"]} d JOIN {t["task"]} t ON t.id = d.task_id
        WHERE d.opened_by = 'creator' AND d.opened_at >= %s AND d.opened_at < %s
          {scope.replace("{col}", "t.merchant_id")}
        GROUP BY t.merchant_id
    )
    INSERT INTO {t["merchant_card"]} (
        merchant_id, period_start, period_end, computed_at,
        tasks_completed, ships_due, ships_on_time, on_time_shipping_rate,
        disputes_against, disputes_lost, disputes_won, disputes_open,
        rating_count, rating_avg, slot_fee_tasks, typical_slot_fee
    )
    SELECT m.user_id, %s, %s, %s,
           COALESCE(dn.n, 0), COALESCE(sh.due, 0), COALESCE(sh.met, 0),
           CASE WHEN COALESCE(dn.n, 0) >= {NEW_PARTY_BELOW} AND sh.due > 0
                THEN ROUND((sh.met * 1.0) / sh.due, 4) END,
           COALESCE(dp.n, 0), COALESCE(dp.lost, 0), COALESCE(dp.won, 0), COALESCE(dp.open, 0),
           COALESCE(st.n, 0), ROUND(st.avg, 2),
           COALESCE(fe.n, 0), ROUND(fe.median, 2)
    FROM {t["merchant"]} m
    LEFT JOIN done dn ON dn.merchant_id = m.user_id
    LEFT JOIN shipping sh ON sh.merchant_id = m.user_id
    LEFT JOIN fees fe ON fe.merchant_id = m.user_id
    LEFT JOIN stars st ON st.merchant_id = m.user_id
    LEFT JOIN disputes dp ON dp.merchant_id = m.user_id
    WHERE 1 = 1 {scope.replace("{col}", "m.user_id")}
    ON CONFLICT (merchant_id) DO UPDATE SET
        period_start = excluded.period_start, period_end = excluded.period_end,
        computed_at = excluded.computed_at,
        tasks_completed = excluded.tasks_completed, ships_due = excluded.ships_due,
        ships_on_time = excluded.ships_on_time,
        on_time_shipping_rate = excluded.on_time_shipping_rate,
        disputes_against = excluded.disputes_against, disputes_lost = excluded.disputes_lost,
        disputes_won = excluded.disputes_won, disputes_open = excluded.disputes_open,
        rating_count = excluded.rating_count, rating_avg = excluded.rating_avg,
        slot_fee_tasks = excluded.slot_fee_tasks, typical_slot_fee = excluded.typical_slot_fee
    """  # noqa: S608 - table names and constants only; values are parameters


def _scope(ids: Iterable[int] | None) -> tuple[str, list]:
    """The ``{col} IN (…)`` filter (with ``{col}`` placed per CTE) and its parameters."""
    if ids is None:
        return "", []
    ids = sorted({int(i) for i in ids})
    return " AND {col} IN (" + ", ".join(["%s"] * len(ids)) + ")", ids


def _part_scope(part: int, parts: int) -> tuple[str, list]:
    """The creators of one part of a spread recompute: ``{col} % parts = part``."""
    return " AND ({col} %% %s) = %s", [parts, part]


def _tune_whole_table(cur) -> None:
    """Settings for a recompute over whole tables, for its transaction only (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return
    # Hash joins, not nested loops: the planner estimates one row for each CTE and loops
    # over them (at 50k tasks, minutes); a scoped refresh of two parties keeps the probes.
    cur.execute("SET LOCAL enable_nestloop = off")


def _recompute_creators(cur, *, start, end, scope: str, ids: list) -> int:
    """The creator statements for the scope: scorecards, then per-category rows.

    Returns the number of scorecards written (-1 where the database does not say)."""
    _drop_temporary(cur)
    cur.execute(_scored_sql(scope), [start, end, *ids])
    cur.execute(_attributed_sql())
    if connection.vendor == "postgresql":
        # Real row counts for the planner (a temporary table has no statistics).
        cur.execute(f"ANALYZE {SCORED}")
        cur.execute(f"ANALYZE {ATTRIBUTED}")
    # ended, punctual, stars, disputes each take (start, end) and the scope ids.
    params = [start, end, *ids, start, end, *ids, start, end, *ids, start, end, *ids]
    params += [start, end, end, *ids]
    cur.execute(_creator_sql(scope), params)
    written = cur.rowcount
    # 场均成交 per category: the scope's rows upserted, then the scope's rows this
    # recompute did not write deleted (categories come and go). An upsert rather
    # than delete-and-insert: a row whose sort key is unchanged is updated in its
    # page (a HOT update, no index entries), most rows on most nights.
    cur.execute(_category_sql(), [start, end, end])
    table = CreatorCategoryScorecard._meta.db_table
    scope_sql = scope.replace("{col}", "creator_id")
    cur.execute(
        f"DELETE FROM {table} WHERE computed_at <> %s {scope_sql}",  # noqa: S608
        [end, *ids],
    )
    _drop_temporary(cur)
    return written


def _recompute_merchants(cur, *, start, end, scope: str, ids: list) -> int:
    """The merchant statement for the scope; the number of records written (or -1)."""
    params = []
    for _cte in range(5):  # done, shipping, fee_ranked, stars, disputes
        params += [start, end, *ids]
    params += [start, end, end, *ids]
    cur.execute(_merchant_sql(scope), params)
    return cur.rowcount


@transaction.atomic
def _recompute_part(*, start, end, part: int, parts: int, merchants: bool) -> tuple[int, int]:
    """One part of a spread recompute, in its own transaction: the creators with
    ``id % parts == part``, and every merchant when ``merchants``."""
    with connection.cursor() as cur:
        _tune_whole_table(cur)
        scope, ids = _part_scope(part, parts)
        creators = _recompute_creators(cur, start=start, end=end, scope=scope, ids=ids)
        done = _recompute_merchants(cur, start=start, end=end, scope="", ids=[]) if merchants else 0
    return creators, done


def _recompute_spread(*, start, end, workers: int) -> Recomputed:
    """Every scorecard, the creators split into ``workers`` parts by id, each on its own
    connection in a thread (as ``settle --workers``): the work is PostgreSQL's, so two
    parts use both cores. Each part commits on its own; the rows are the same as one
    connection's (a creator's figures read only its own tasks), and a failed part is
    redone by the next run (the upsert is idempotent)."""
    results: dict[int, tuple[int, int]] = {}
    errors: list[BaseException] = []

    def helper(part: int) -> None:
        try:
            results[part] = _recompute_part(
                start=start, end=end, part=part, parts=workers, merchants=False
            )
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)
        finally:
            connections.close_all()  # this thread's connection

    threads = [threading.Thread(target=helper, args=(p,)) for p in range(1, workers)]
    for t in threads:
        t.start()
    try:
        results[0] = _recompute_part(start=start, end=end, part=0, parts=workers, merchants=True)
    finally:
        for t in threads:
            t.join()
    if errors:
        raise errors[0]
    creators = sum(c for c, _m in results.values())
    return Recomputed(creators, results[0][1], start, end)


def scorecards_recompute(
    *,
    now: datetime | None = None,
    creator_ids: Iterable[int] | None = None,
    merchant_ids: Iterable[int] | None = None,
    workers: int = 1,
) -> Recomputed:
    """Recompute scorecards over the last 90 days up to ``now``: every party, or those named.

    Idempotent: the same moment gives the same rows (an upsert per party). ``workers``
    above 1 spreads a whole recompute over that many connections (PostgreSQL, and only
    outside a transaction: the parts must see committed data); otherwise one
    transaction on this connection.
    """
    end = now or timezone.now()
    start = end - timedelta(days=SCORECARD_PERIOD_DAYS)
    scoped = creator_ids is not None or merchant_ids is not None
    if (
        not scoped
        and workers > 1
        and connection.vendor == "postgresql"
        and not connection.in_atomic_block
    ):
        return _recompute_spread(start=start, end=end, workers=workers)
    return _recompute_here(
        start=start, end=end, scoped=scoped, creator_ids=creator_ids, merchant_ids=merchant_ids
    )


@transaction.atomic
def _recompute_here(*, start, end, scoped: bool, creator_ids, merchant_ids) -> Recomputed:
    """The recompute in one transaction on this connection."""
    creators = merchants = 0
    with connection.cursor() as cur:
        if not scoped:
            _tune_whole_table(cur)
        if not scoped or creator_ids:
            scope, ids = _scope(None if not scoped else creator_ids)
            creators = _recompute_creators(cur, start=start, end=end, scope=scope, ids=ids)
            if creators < 0:  # SQLite does not count an upsert with a CTE
                creators = len(creator_ids) if scoped else CreatorScorecard.objects.count()
        if not scoped or merchant_ids:
            scope, ids = _scope(None if not scoped else merchant_ids)
            merchants = _recompute_merchants(cur, start=start, end=end, scope=scope, ids=ids)
            if merchants < 0:
                merchants = len(merchant_ids) if scoped else MerchantScorecard.objects.count()
        if not scoped and connection.vendor == "postgresql":
            # SET LOCAL lasts to the end of the outermost transaction (a caller's).
            cur.execute("SET LOCAL enable_nestloop = on")
    return Recomputed(creators, merchants, start, end)


def scorecards_refresh_parties(*, creator_id: int, merchant_id: int) -> Recomputed:
    """After a task ends: recompute its two parties' scorecards."""
    return scorecards_recompute(creator_ids=[creator_id], merchant_ids=[merchant_id])
