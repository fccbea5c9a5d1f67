"""The scorecard recompute at scale, on inputs built set-based in SQL (issue 17).

``python -m bench.scorecards_world [--scale full|medium|small]`` (``make bench-scorecards``)

Generating the full world through ``generate_load`` (every task and order through the
services) takes most of an hour on the 2-core machine; the recompute only reads tasks,
task products, deadline events, disputes, ratings, orders, products and parties. This
step builds exactly those tables with ``INSERT … SELECT … FROM generate_series`` in a
database of its own (created, migrated, dropped unless ``BENCH_KEEP_DB=1``), in minutes:

* creators, merchants (their users first), 5 products per merchant over 10 categories;
* tasks accepted over the last 85 days, by a tenth of the creators (about 5 each, so
  most of those have a measured record): 80% completed with a live session (ship and
  live deadlines met), 8% cancelled (half after the creator missed the live deadline),
  4% resolved after a dispute (won and lost), 8% still open;
* two ratings per completed task for 70% of them; orders: 80% inside a completed
  task's 48 h window of its product (so attributed), one in eight partly refunded, the
  rest outside any window.

Then, in the same process and the same run: a baseline of one ``GROUP BY`` over each
table the recompute reads (best of three, warm), and the full recompute (best of
three), with the Python process's peak RSS (``ru_maxrss``) and the PostgreSQL backend's
peak RSS (``VmHWM`` of ``pg_backend_pid()``) before and after. Results go to
``bench/results.json`` under ``scorecards_world`` → the scale, with the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results.json"
SCALES = {
    "small": {"creators": 2_000, "merchants": 100, "tasks": 1_000, "orders": 20_000},
    "medium": {"creators": 20_000, "merchants": 500, "tasks": 10_000, "orders": 200_000},
    "full": {"creators": 100_000, "merchants": 2_000, "tasks": 50_000, "orders": 1_000_000},
}
# Ids start far above anything the migrations create.
CREATOR_BASE, MERCHANT_BASE = 10_000_000, 20_000_000
PRODUCTS_PER_MERCHANT = 5


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _backend_hwm_kb(cur) -> int | None:
    cur.execute("SELECT pg_backend_pid()")
    pid = cur.fetchone()[0]
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def build_world(cur, sizes: dict) -> dict:
    """Fill the recompute's input tables set-based; returns the seconds per table."""
    c, m, t, o = sizes["creators"], sizes["merchants"], sizes["tasks"], sizes["orders"]
    p = m * PRODUCTS_PER_MERCHANT
    timings = {}

    def run(name, sql, params=()):
        t0 = time.perf_counter()
        cur.execute(sql, params)
        timings[name] = round(time.perf_counter() - t0, 2)

    run(
        "users",
        """
        INSERT INTO admission_user (id, password, is_superuser, username, first_name, last_name,
            email, is_staff, is_active, date_joined, role)
        SELECT %(cb)s + g, '!', false, 'sc_c' || g, '', '', '', false, true, now(), 'creator'
        FROM generate_series(1, %(c)s) g
        UNION ALL
        SELECT %(mb)s + g, '!', false, 'sc_m' || g, '', '', '', false, true, now(), 'merchant'
        FROM generate_series(1, %(m)s) g
        """,
        {"cb": CREATOR_BASE, "mb": MERCHANT_BASE, "c": c, "m": m},
    )
    run(
        "creators",
        """
        INSERT INTO admission_creator (user_id, nickname, bio, fans, avg_viewers, quote, level,
            alipay_verified, guangguang_eligible, completed_tasks, created_at, real_name)
        SELECT %(cb)s + g, '达人' || g, '', 1000 + g %% 90000, 100 + g %% 9000,
               500 + (g %% 20) * 100, g %% 7, true, true, 0, now(), ''
        FROM generate_series(1, %(c)s) g
        """,
        {"cb": CREATOR_BASE, "c": c},
    )
    run(
        "merchants",
        """
        INSERT INTO admission_merchant (user_id, shop_name, seller_type, shop_status,
            alipay_verified, created_at)
        SELECT %(mb)s + g, '店铺' || g, 'tmall', 'normal', true, now()
        FROM generate_series(1, %(m)s) g
        """,
        {"mb": MERCHANT_BASE, "m": m},
    )
    run(
        "products",
        """
        INSERT INTO cooperation_product (id, sku, title, price, service_fee_rate, status,
            created_at, updated_at, category_id, merchant_id)
        SELECT g, 'SC-' || g, '商品' || g, 50 + (g %% 30) * 10, 0.20, 'active', now(), now(),
               (SELECT code FROM admission_category ORDER BY position, code
                OFFSET (g %% 10) LIMIT 1),
               %(mb)s + 1 + (g - 1) / %(ppm)s
        FROM generate_series(1, %(p)s) g
        """,
        {"mb": MERCHANT_BASE, "p": p, "ppm": PRODUCTS_PER_MERCHANT},
    )
    # Task g: one of a tenth of the creators (by a hash of g: about 5 tasks each, so most
    # have the 3 completed tasks that give a measured 履约率, and their tasks' states
    # vary), merchant g mod m, its product (g mod 5); accepted
    # (g mod 85) days ago. State by g mod 100: < 80 completed, < 84 cancelled after the
    # creator's breach, < 88 cancelled by the merchant, < 92 resolved, else shipped (open).
    run(
        "tasks",
        """
        INSERT INTO cooperation_task (id, state, slot_fee, planned_live_date, note,
            sample_carrier, sample_tracking_no, replay_url, created_at, updated_at,
            creator_id, merchant_id, escrow_released, escrow_returned, live_grace_days,
            mode, receipt_days, ship_days, accepted_at, shipped_at, received_at,
            live_reported_at, live_at, completed_at, cancelled_at, resolved_at)
        SELECT g,
               CASE WHEN k < 80 THEN 'completed' WHEN k < 88 THEN 'cancelled'
                    WHEN k < 92 THEN 'resolved' ELSE 'shipped' END,
               1000, (acc + interval '4 days')::date, '', '中通快递', 'ZT' || g,
               CASE WHEN k < 80 THEN 'https://live.example.com/' || g ELSE '' END,
               acc - interval '1 day', now(),
               %(cb)s + 1 + (hashint4(g)::bigint & 2147483647) %% (%(c)s / 10),
               %(mb)s + 1 + g %% %(m)s,
               CASE WHEN k < 80 THEN 1000 ELSE 0 END, 0, 1, 'fixed', 7, 3,
               acc, acc + interval '1 day', acc + interval '2 days',
               CASE WHEN k < 80 THEN acc + interval '4 days' END,
               CASE WHEN k < 80 THEN acc + interval '4 days' END,
               CASE WHEN k < 80 THEN acc + interval '5 days' END,
               CASE WHEN k >= 80 AND k < 88 THEN acc + interval '8 days' END,
               CASE WHEN k >= 88 AND k < 92 THEN acc + interval '9 days' END
        FROM (SELECT g, g %% 100 AS k,
                     now() - interval '1 day' * (5 + g %% 85) AS acc
              FROM generate_series(1, %(t)s) g) s
        """,
        {"cb": CREATOR_BASE, "mb": MERCHANT_BASE, "c": c, "m": m, "t": t},
    )
    run(
        "task_products",
        """
        INSERT INTO cooperation_taskproduct (id, sku, title, price, service_fee_rate,
            product_id, task_id)
        SELECT t.id, p.sku, p.title, p.price, p.service_fee_rate, p.id, t.id
        FROM cooperation_task t
        JOIN cooperation_product p
          ON p.id = (t.merchant_id - %(mb)s - 1) * %(ppm)s + 1 + t.id %% %(ppm)s
        """,
        {"mb": MERCHANT_BASE, "ppm": PRODUCTS_PER_MERCHANT},
    )
    run(
        "task_events",
        """
        INSERT INTO cooperation_taskevent (kind, at, party, stage, deadline, note, task_id)
        SELECT 'deadline_met', shipped_at, 'merchant', 'accepted', 'ship', '', id
        FROM cooperation_task WHERE shipped_at IS NOT NULL AND id %% 13 <> 0
        UNION ALL
        SELECT 'deadline_breached', accepted_at + interval '3 days', 'merchant', 'accepted',
               'ship', '', id
        FROM cooperation_task WHERE id %% 13 = 0
        UNION ALL
        SELECT 'deadline_met', live_reported_at, 'creator', 'received', 'live', '', id
        FROM cooperation_task WHERE state = 'completed'
        UNION ALL
        SELECT 'deadline_breached', cancelled_at - interval '1 day', 'creator', 'received',
               'live', '', id
        FROM cooperation_task WHERE state = 'cancelled' AND id %% 100 < 84
        """,
    )
    run(
        "disputes",
        """
        INSERT INTO cooperation_dispute (opened_by, reason, statement, links, from_state,
            opened_at, answer_by, answer, answer_links, status, held, outcome, decision_note,
            opener_id, task_id, decided_at)
        SELECT CASE WHEN id %% 2 = 0 THEN 'merchant' ELSE 'creator' END, 'other', '争议',
               '[]', 'received', resolved_at - interval '3 days', resolved_at, '', '[]',
               'decided', 1000, CASE WHEN id %% 3 = 0 THEN 'release' ELSE 'return' END, '',
               CASE WHEN id %% 2 = 0 THEN merchant_id ELSE creator_id END, id, resolved_at
        FROM cooperation_task WHERE state = 'resolved'
        """,
    )
    run(
        "ratings",
        """
        INSERT INTO cooperation_rating (rater_party, stars, text, created_at, updated_at,
            text_hidden, hidden_reason, creator_id, merchant_id, rater_id, task_id)
        SELECT side, 1 + (id + length(side)) %% 5, '', completed_at + interval '1 day',
               completed_at + interval '1 day', false, '', creator_id, merchant_id,
               CASE WHEN side = 'merchant' THEN merchant_id ELSE creator_id END, id
        FROM cooperation_task, (VALUES ('merchant'), ('creator')) v(side)
        WHERE state = 'completed' AND id %% 10 < 7
        """,
    )
    # Order g: the first 80% fall in the window of completed task (g mod t), of its product;
    # the rest are the same parties' orders far before any window.
    run(
        "orders",
        """
        INSERT INTO settlement_order (order_id, product_sku, amount, refunded, service_fee_rate,
            paid_at, status, rule, settled_refunded, created_at, creator_id, merchant_id)
        SELECT 'SCO-' || g, tp.sku, 100, CASE WHEN g %% 8 = 0 THEN 40 ELSE 0 END, 0.20,
               CASE WHEN g <= %(attributed)s AND t.live_at IS NOT NULL
                    THEN t.live_at + interval '1 minute' * (g %% 2800)
                    ELSE now() - interval '200 days' END,
               'paid', 'individual', 0, now(), t.creator_id, t.merchant_id
        FROM generate_series(1, %(o)s) g
        JOIN cooperation_task t ON t.id = 1 + g %% %(t)s
        JOIN cooperation_taskproduct tp ON tp.task_id = t.id
        """,
        {"o": o, "t": t, "attributed": int(o * 0.8)},
    )
    for table in (
        "admission_user",
        "cooperation_product",
        "cooperation_task",
        "cooperation_taskproduct",
        "cooperation_taskevent",
        "cooperation_dispute",
        "cooperation_rating",
        "settlement_order",
    ):
        cur.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
            f"(SELECT MAX(id) FROM {table}))"
        )
    t0 = time.perf_counter()
    cur.execute("ANALYZE")
    timings["analyze"] = round(time.perf_counter() - t0, 2)
    return timings


BASELINE_SQL = [
    "SELECT creator_id, COUNT(*), MAX(completed_at) FROM cooperation_task GROUP BY creator_id",
    "SELECT task_id, kind, COUNT(*) FROM cooperation_taskevent GROUP BY task_id, kind",
    "SELECT task_id, COUNT(*) FROM cooperation_dispute GROUP BY task_id",
    "SELECT creator_id, AVG(stars) FROM cooperation_rating GROUP BY creator_id",
    "SELECT creator_id, merchant_id, SUM(amount - refunded) FROM settlement_order "
    "GROUP BY creator_id, merchant_id",
    "SELECT task_id, COUNT(*) FROM cooperation_taskproduct GROUP BY task_id",
    "SELECT user_id FROM admission_creator",
]


def measure(scale: str) -> dict:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from cooperation.models import CreatorCategoryScorecard, CreatorScorecard
    from cooperation.services.scorecards import scorecards_recompute

    sizes = SCALES[scale]
    out: dict = {"sizes": sizes, "load_before": _load()}
    with connection.cursor() as cur:
        t0 = time.perf_counter()
        out["build_seconds_per_table"] = build_world(cur, sizes)
        out["build_seconds"] = round(time.perf_counter() - t0, 2)
        cur.execute("SELECT COUNT(*) FROM settlement_order")
        out["orders"] = cur.fetchone()[0]
        cur.execute("SELECT COUNT(*) FROM cooperation_task")
        out["tasks"] = cur.fetchone()[0]

        def baseline():
            for stmt in BASELINE_SQL:
                cur.execute(stmt)
                cur.fetchall()

        def timed(fn) -> float:
            t = time.perf_counter()
            fn()
            return time.perf_counter() - t

        timed(baseline)  # warm the cache for both
        out["baseline_seconds"] = [round(timed(baseline), 3) for _ in range(3)]
        out["load_at_recompute"] = _load()
        out["rss_python_kb_before"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        out["rss_backend_hwm_kb_before"] = _backend_hwm_kb(cur)
        # As the nightly task runs it (SCORECARD_WORKERS connections), then on one.
        workers = getattr(settings, "SCORECARD_WORKERS", 1)
        out["recompute_workers"] = workers
        out["recompute_seconds"] = [
            round(timed(lambda: scorecards_recompute(workers=workers)), 3) for _ in range(3)
        ]
        out["recompute_one_connection_seconds"] = [
            round(timed(scorecards_recompute), 3) for _ in range(3)
        ]
        out["rss_python_kb_after"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        out["rss_backend_hwm_kb_after"] = _backend_hwm_kb(cur)
        cur.execute("SHOW work_mem")
        out["work_mem"] = cur.fetchone()[0]
    best, base = min(out["recompute_seconds"]), min(out["baseline_seconds"])
    out["ratio"] = round(best / base, 2) if base else None
    out["scorecards"] = CreatorScorecard.objects.count()
    out["scorecards_measured"] = CreatorScorecard.objects.filter(
        fulfilment_rate__isnull=False
    ).count()
    out["category_rows"] = CreatorCategoryScorecard.objects.count()
    out["goal"] = {
        "ratio_at_most": 3,
        "seconds_under": 60,
        "met": bool(out["ratio"] is not None and out["ratio"] <= 3 and best < 60),
    }
    out["load_after"] = _load()
    out["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scorecards_world")
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    base_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hotwave")
    if args.child:
        print(json.dumps(measure(args.scale), ensure_ascii=False))
        return
    head, _, _name = base_url.rpartition("/")
    db = f"bench_scorecards_{args.scale}_{os.getpid()}"
    url = f"{head}/{db}"
    admin = ["psql", head + "/postgres", "-qc"]
    subprocess.run([*admin, f"CREATE DATABASE {db}"], check=True)
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "hotwave.settings"}
    env.setdefault("DEBUG", "1")
    try:
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
        )
        migrate_s = round(time.perf_counter() - t0, 1)
        proc = subprocess.run(
            [
                "nice",
                sys.executable,
                "-m",
                "bench.scorecards_world",
                "--scale",
                args.scale,
                "--child",
            ],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        result["migrate_seconds"] = migrate_s
    finally:
        if os.environ.get("BENCH_KEEP_DB") != "1":
            subprocess.run([*admin, f"DROP DATABASE IF EXISTS {db}"], check=False)
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    data.setdefault("scorecards_world", {})[args.scale] = result
    RESULTS.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
