"""The benchmark suite (``make bench``; ``BENCH_SCALE=small|medium|full``, PostgreSQL required).

Every figure is a RATIO against a baseline measured in the same run on the
same machine (these machines are noisy; absolute times are not comparable):

* import — ``import_events`` of N orders vs PostgreSQL's own COPY of the same
  lines into a staging table plus one SQL statement parsing them into typed columns;
* settlement — ``settle`` over the confirmed orders vs set-based
  INSERT … SELECT writing the same journals, postings and payouts into scratch
  tables of the same shape (checked to give the same balances), and the
  settle process's peak RSS;
* pages — gunicorn (2 sync workers, DEBUG off, collectstatic done) serving each
  real page vs a bare template view served by the same processes, under wrk;
* to-dos — the all-users recount and single-user recounts (workbench.services);
* query counts — every page at a tiny scale and at this scale: must be equal.

It works in its own databases (``hotwave_bench`` and ``hotwave_bench_tiny``,
or ``$BENCH_DB_PREFIX`` and ``${BENCH_DB_PREFIX}_tiny``; created and dropped,
``BENCH_KEEP_DB=1`` keeps them), writes ``bench/results.json`` (per scale) and
the table in ``docs/PERFORMANCE.md``. ``BENCH_STEPS=generate,settlement`` runs
only some steps (``generate`` is implied by every step on the main world) and
writes ``var/bench/<scale>/results-partial.json`` instead.
``BENCH_WORLD_CACHE=1`` keeps the freshly generated world as a template
database (``<main>_world_<scale>_<date>``) and later runs of the same day
clone it (``CREATE DATABASE … TEMPLATE``, then ``migrate``) instead of
generating it again — the full world takes most of an hour to generate.
Logs of every step are in ``var/bench/<scale>/``. Children run at ``nice``
``BENCH_NICE`` (default 10) so a shared machine stays usable.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import traceback
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")
RESULTS = ROOT / "bench" / "results.json"
DOC = ROOT / "docs" / "PERFORMANCE.md"
# Issue 21: wrk with 8 connections on the 2 workers.
WRK_CONNECTIONS = int(os.environ.get("BENCH_WRK_CONNECTIONS", "8"))
# BENCH_DB_PREFIX lets several people bench on one server without clashing.
DB_MAIN = os.environ.get("BENCH_DB_PREFIX", "hotwave_bench")
DB_TINY = f"{DB_MAIN}_tiny"
STEPS = (
    "queries_tiny",
    "generate",
    "import",
    "settlement",
    "todos",
    "scorecards",
    "queries",
    "profile",
    "pages",
)


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def refuse(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr)
    sys.exit(2)


class Bench:
    def __init__(self, scale: str, database_url: str):
        import psycopg

        self.psycopg = psycopg
        self.scale = scale
        self.sizes = harness.SCALES[scale]
        self.admin_url = database_url
        self.main_url = with_db(database_url, DB_MAIN)
        self.tiny_url = with_db(database_url, DB_TINY)
        self.py = sys.executable
        self.bin = Path(sys.executable).parent
        self.out = (
            ROOT / "var" / "bench" / (scale if DB_MAIN == "hotwave_bench" else f"{DB_MAIN}-{scale}")
        )
        self.out.mkdir(parents=True, exist_ok=True)
        self.until = datetime.now(SHANGHAI).date()
        self.through = self.until - timedelta(days=1)
        self.result: dict = {"scale": scale, "sizes": self.sizes}
        self.redis_url = self._redis()
        self.startup_seconds = 0.0
        wanted = {s.strip() for s in os.environ.get("BENCH_STEPS", "").split(",") if s.strip()}
        unknown = wanted - set(STEPS)
        if unknown:
            refuse(f"BENCH_STEPS: unknown steps {sorted(unknown)}; choose from {', '.join(STEPS)}")
        self.steps = wanted or set(STEPS)

    # --- environment ------------------------------------------------------------------

    def _redis(self) -> str:
        url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
        try:
            import redis

            redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
            return url
        except Exception:  # noqa: BLE001 - no Redis: local-memory cache, eager Celery
            return ""

    def env(self, database_url: str | None = None) -> dict:
        env = {
            k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE")
        }
        env.update(
            DATABASE_URL=database_url or self.main_url,
            DJANGO_SETTINGS_MODULE="bench.settings",
            DEBUG="0",
            SECRET_KEY="bench-only-secret-key-not-for-production",
            HOTWAVE_EVENTS_SECRET="bench-events-secret",
            HTTPS="0",
            LOG_LEVEL="WARNING",
            PYTHONPATH=str(ROOT),
        )
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        return env

    def manage(self, *args, db: str | None = None, name: str, check: bool = True):
        m = harness.run_measured(
            [self.py, "manage.py", *args], env=self.env(db), cwd=ROOT, log=self.out / f"{name}.log"
        )
        if check and m.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed (see {self.out / name}.log):\n"
                               f"{m.output[-2000:]}")  # fmt: skip
        return m

    def child(self, what: str, *args, db: str | None = None) -> dict:
        m = harness.run_measured(
            [self.py, "-m", "bench.child", what, *args],
            env=self.env(db),
            cwd=ROOT,
            log=self.out / f"child-{what}-{'tiny' if db == self.tiny_url else 'main'}.log",
        )
        if m.returncode != 0:
            raise RuntimeError(f"bench.child {what} failed:\n{m.output[-2000:]}")
        return json.loads(m.output.strip().splitlines()[-1])

    def sql(self, url: str, statements, params=None, *, autocommit=False):
        with self.psycopg.connect(url, autocommit=autocommit) as conn:
            cur = conn.cursor()
            rows = None
            for stmt in [statements] if isinstance(statements, str) else statements:
                cur.execute(stmt, params)
                rows = cur.fetchall() if cur.description else rows
            return rows

    # --- steps ------------------------------------------------------------------------

    def preflight(self) -> None:
        try:
            version = self.sql(self.admin_url, "SHOW server_version")[0][0]
        except Exception as exc:  # noqa: BLE001
            refuse(f"cannot reach PostgreSQL at DATABASE_URL: {exc}")
        self.result["machine"] = harness.machine_info(f"PostgreSQL {version}")
        # The server settings the write-bound steps depend on (docs/SCALING.md), as measured.
        self.result["machine"]["postgres_settings"] = dict(
            self.sql(
                self.admin_url,
                "SELECT name, current_setting(name) FROM unnest(%s::text[]) AS name",
                [list(harness.PG_SETTINGS)],
            )
        )
        if not shutil.which("wrk"):
            log("installing wrk (apt-get install -y wrk)")
            subprocess.run(
                ["apt-get", "install", "-y", "-qq", "wrk"],
                check=False,
                stdout=subprocess.DEVNULL,
                env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            )
            if not shutil.which("wrk"):
                subprocess.run(["apt-get", "update", "-qq"], check=False)
                subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False)
        if "pages" in self.steps:
            log("collectstatic")
            self.manage("collectstatic", "--noinput", "-v0", name="collectstatic")
        # Python + Django start-up, subtracted from command timings (it is not the work).
        m = self.manage(
            "check", "--deploy", "--fail-level", "CRITICAL", name="startup", check=False
        )
        self.startup_seconds = m.seconds
        self.result["startup_seconds"] = m.seconds

    def create_db(self, name: str, url: str) -> None:
        self.sql(
            self.admin_url,
            [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'],
            autocommit=True,
        )
        self.manage("migrate", "--noinput", "-v0", db=url, name=f"migrate-{name}")

    def drop_dbs(self) -> None:
        if os.environ.get("BENCH_KEEP_DB") == "1":
            log(f"keeping databases {DB_MAIN}, {DB_TINY} (BENCH_KEEP_DB=1)")
            return
        self.sql(
            self.admin_url,
            [f'DROP DATABASE IF EXISTS "{DB_MAIN}" WITH (FORCE)',
             f'DROP DATABASE IF EXISTS "{DB_TINY}" WITH (FORCE)'],
            autocommit=True,
        )  # fmt: skip
        self.clear_cache()

    def clear_cache(self) -> None:
        """The bench's cache entries and the recount tasks it queued (no worker consumes
        them during a bench); never the whole Redis database.

        At the end of a run and at its start: a run kept with ``BENCH_KEEP_DB=1`` leaves
        them, and the next world (same database name, other rows) must not read them.
        """
        if not self.redis_url:
            return
        with contextlib.suppress(Exception):
            import redis

            r = redis.Redis.from_url(self.redis_url)
            for key in r.scan_iter("hotwave:*", count=1000):
                r.delete(key)
            r.delete("celery")

    def _gen_args(self, sizes: dict) -> list[str]:
        return [
            "generate_load",
            "--creators", str(sizes["creators"]),
            "--merchants", str(sizes["merchants"]),
            "--products", str(sizes["products"]),
            "--until", self.until.isoformat(),
            "--quiet",
        ]  # fmt: skip

    def tiny_world(self) -> None:
        log("tiny world (reference for query counts)")
        sizes = harness.SCALES["tiny"]
        self.create_db(DB_TINY, self.tiny_url)
        self.manage(*self._gen_args(sizes), "--orders", str(sizes["orders"]), db=self.tiny_url,
                    name="generate-tiny")  # fmt: skip
        self.manage("settle", "--through", self.through.isoformat(), db=self.tiny_url,
                    name="settle-tiny")  # fmt: skip
        self.sql(self.tiny_url, "VACUUM ANALYZE", autocommit=True)
        self.tiny_queries = self.child("queries", db=self.tiny_url)

    def _template(self) -> str:
        return f"{DB_MAIN}_world_{self.scale}_{self.until:%Y%m%d}"

    def generate(self) -> None:
        cache = os.environ.get("BENCH_WORLD_CACHE") == "1"
        template = self._template()
        if cache and self.sql(
            self.admin_url, "SELECT 1 FROM pg_database WHERE datname = %s", [template]
        ):
            log(f"cloning the {self.scale} world from {template}")
            started = time.monotonic()
            self.sql(
                self.admin_url,
                [f'DROP DATABASE IF EXISTS "{DB_MAIN}" WITH (FORCE)',
                 f'CREATE DATABASE "{DB_MAIN}" TEMPLATE "{template}"'],
                autocommit=True,
            )  # fmt: skip
            self.manage("migrate", "--noinput", "-v0", name="migrate-clone")
            self.sql(self.main_url, "VACUUM ANALYZE", autocommit=True)
            self.result["generate"] = {"cloned_from": template,
                                       "clone_seconds": time.monotonic() - started}  # fmt: skip
            previous = (
                json.loads(RESULTS.read_text()).get(self.scale, {}) if RESULTS.exists() else {}
            )
            if (previous.get("generate") or {}).get("seconds"):
                self.result["generate"]["seconds"] = previous["generate"]["seconds"]
            return
        log(f"generating the {self.scale} world ({self.sizes['orders']:,} orders)")
        self.create_db(DB_MAIN, self.main_url)
        m = self.manage(*self._gen_args(self.sizes), "--orders", str(self.sizes["orders"]),
                        name="generate")  # fmt: skip
        self.sql(self.main_url, "VACUUM ANALYZE", autocommit=True)
        if cache:
            log(f"keeping the world as template {template}")
            self.sql(
                self.admin_url,
                [f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)',
                 f'CREATE DATABASE "{template}" TEMPLATE "{DB_MAIN}"'],
                autocommit=True,
            )  # fmt: skip
        self.result["generate"] = {
            "seconds": m.seconds,
            "orders_per_second": self.sizes["orders"] / max(m.seconds, 1e-9),
            "peak_rss_mb": m.peak_rss_mb,
            "summary": m.output.strip().splitlines()[-1] if m.output.strip() else "",
        }

    def bench_import(self) -> None:
        n = self.sizes["import_orders"]
        log(f"import: {n:,} orders as JSONL")
        jsonl = self.out / "import.jsonl"
        self.manage(*self._gen_args(self.sizes), "--orders", str(n), "--order-prefix", "LGI",
                    "--jsonl", str(jsonl), name="generate-jsonl")  # fmt: skip
        lines = sum(1 for _ in jsonl.open(encoding="utf-8"))
        # Baseline: PostgreSQL's own COPY of the same lines + one statement parsing them.
        with self.psycopg.connect(self.main_url) as conn:
            cur = conn.cursor()
            cur.execute("DROP TABLE IF EXISTS bench_import_staging, bench_import_events")
            cur.execute("CREATE TABLE bench_import_staging (line text NOT NULL)")
            cur.execute(
                "CREATE TABLE bench_import_events (type text NOT NULL, order_id text NOT NULL, "
                "merchant text, creator text, product text, amount numeric(14,2), "
                "service_fee_rate numeric(5,4), at timestamptz NOT NULL)"
            )
            conn.commit()
            started = time.perf_counter()
            with (
                cur.copy("COPY bench_import_staging (line) FROM STDIN") as copy,
                jsonl.open(encoding="utf-8") as fh,
            ):
                for line in fh:
                    copy.write_row((line.rstrip("\n"),))
            cur.execute(
                "INSERT INTO bench_import_events SELECT j->>'type', j->>'order_id', "
                "j->>'merchant', j->>'creator', j->>'product', (j->>'amount')::numeric(14,2), "
                "(j->>'service_fee_rate')::numeric(5,4), (j->>'at')::timestamptz "
                "FROM (SELECT line::jsonb AS j FROM bench_import_staging) s"
            )
            conn.commit()
            baseline = time.perf_counter() - started
        log(f"import: baseline {baseline:.2f}s; running import_events")
        m = self.manage("import_events", str(jsonl), name="import_events", check=False)
        summary = m.output.strip().splitlines()[-1] if m.output.strip() else ""
        net = m.seconds
        r = harness.ratio(net, baseline)
        self.result["import"] = {
            "orders": n,
            "lines": lines,
            "import_seconds": net,
            "import_wall_seconds": m.seconds,
            "baseline_seconds": baseline,
            "ratio": r,
            "goal": harness.goal_at_most(r, harness.GOALS["import_ratio"]),
            "peak_rss_mb": m.peak_rss_mb,
            "returncode": m.returncode,
            "summary": summary,
            "events_per_second": lines / net,
        }
        log(f"import: {summary} in {m.seconds:.1f}s → ratio {r and round(r, 2)}")

    # The same journals and postings as settle, set-based, into scratch tables of the same shape.
    _SETTLE_SETUP = [
        "DROP TABLE IF EXISTS bench_account, bench_journal, bench_posting, bench_payout",
        "CREATE TABLE bench_account (LIKE settlement_account INCLUDING ALL)",
        "CREATE TABLE bench_journal (LIKE settlement_journal INCLUDING ALL)",
        "CREATE TABLE bench_posting (LIKE settlement_posting INCLUDING ALL)",
        "CREATE TABLE bench_payout (LIKE settlement_payout INCLUDING ALL)",
    ]
    _SETTLE_SQL = [
        """
        WITH o AS (
            SELECT merchant_id, creator_id, agency_id FROM settlement_order
            WHERE status = 'confirmed' AND confirmed_at < %(cutoff)s
        )
        INSERT INTO bench_account (kind, user_id, created_at)
        SELECT kind, user_id, now() FROM (
            SELECT 'merchant' AS kind, merchant_id AS user_id FROM o
            UNION SELECT 'creator', creator_id FROM o
            UNION SELECT 'agency', agency_id FROM o WHERE agency_id IS NOT NULL
            UNION SELECT 'platform', NULL
            UNION SELECT 'payouts', NULL
        ) k
        """,
        """
        WITH src AS (
            SELECT o.id, o.merchant_id, o.creator_id, o.agency_id,
                   o.amount - o.refunded AS price, f.fee, p.platform, a.agency
            FROM settlement_order o
            CROSS JOIN LATERAL (SELECT round((o.amount - o.refunded) * o.service_fee_rate, 2) AS fee) f
            CROSS JOIN LATERAL (SELECT round(f.fee * CASE WHEN o.rule = 'agency' THEN 0.30 ELSE 0.40 END, 2) AS platform) p
            CROSS JOIN LATERAL (SELECT CASE WHEN o.rule = 'agency'
                                       THEN round((f.fee - p.platform) * o.agency_share, 2) ELSE 0 END AS agency) a
            WHERE o.status = 'confirmed' AND o.confirmed_at < %(cutoff)s
        ), j AS (
            INSERT INTO bench_journal (key, kind, order_id, sequence, business_date, basis_price, memo, created_at)
            SELECT 'settle:' || id, 'settlement', id, 0, %(day)s, price, '', now() FROM src
            RETURNING id, order_id
        )
        INSERT INTO bench_posting (journal_id, account_id, amount)
        SELECT j.id, acc.id, v.amount
        FROM j JOIN src ON src.id = j.order_id
        CROSS JOIN LATERAL (VALUES
            ('merchant', src.merchant_id, -src.fee),
            ('platform', NULL::bigint, src.platform),
            ('creator', src.creator_id, src.fee - src.platform - src.agency),
            ('agency', src.agency_id, src.agency)) v(kind, user_id, amount)
        JOIN bench_account acc ON acc.kind = v.kind AND COALESCE(acc.user_id, 0) = COALESCE(v.user_id, 0)
        WHERE v.amount <> 0
        """,
        """
        WITH bal AS (
            SELECT p.account_id, sum(p.amount) AS s
            FROM bench_posting p JOIN bench_account a ON a.id = p.account_id
            WHERE a.kind IN ('creator', 'agency')
              -- Paid only to a verified 收款账户 (settlement/holds.py): the generated
              -- world has none, so neither ledger pays out there.
              AND EXISTS (SELECT 1 FROM settlement_payoutaccount pa
                          WHERE pa.user_id = a.user_id AND pa.status = 'verified')
            GROUP BY p.account_id HAVING sum(p.amount) > 0
        ), j AS (
            INSERT INTO bench_journal (key, kind, order_id, sequence, business_date, basis_price, memo, created_at)
            SELECT 'payout:' || account_id || ':' || %(day_iso)s, 'payout', NULL, 0, %(day)s, NULL, '打款', now()
            FROM bal RETURNING id, key
        ), pj AS (
            SELECT j.id AS journal_id, bal.account_id, bal.s
            FROM j JOIN bal ON j.key = 'payout:' || bal.account_id || ':' || %(day_iso)s
        ), pay AS (
            INSERT INTO bench_payout (account_id, business_date, amount, journal_id, created_at)
            SELECT account_id, %(day)s, s, journal_id, now() FROM pj
        )
        INSERT INTO bench_posting (journal_id, account_id, amount)
        SELECT journal_id, account_id, -s FROM pj
        UNION ALL
        SELECT journal_id, (SELECT id FROM bench_account WHERE kind = 'payouts'), s FROM pj
        """,
    ]
    _LEDGER_DIFF = """
        WITH real AS (
            SELECT j.kind AS jkind, a.kind, a.user_id, sum(p.amount) AS s, count(*) AS n
            FROM settlement_posting p JOIN settlement_account a ON a.id = p.account_id
            JOIN settlement_journal j ON j.id = p.journal_id
            WHERE j.kind IN ('settlement', 'payout') GROUP BY 1, 2, 3
        ), scratch AS (
            SELECT j.kind AS jkind, a.kind, a.user_id, sum(p.amount) AS s, count(*) AS n
            FROM bench_posting p JOIN bench_account a ON a.id = p.account_id
            JOIN bench_journal j ON j.id = p.journal_id GROUP BY 1, 2, 3
        )
        SELECT (SELECT count(*) FROM (SELECT * FROM real EXCEPT SELECT * FROM scratch) x)
             + (SELECT count(*) FROM (SELECT * FROM scratch EXCEPT SELECT * FROM real) y),
               (SELECT sum(n) FROM real), (SELECT sum(n) FROM scratch)
    """

    def bench_settlement(self) -> None:
        cutoff = datetime.combine(self.through + timedelta(days=1), datetime.min.time(),
                                  tzinfo=SHANGHAI)  # fmt: skip
        params = {"cutoff": cutoff, "day": self.through, "day_iso": self.through.isoformat()}
        orders = self.sql(
            self.main_url,
            "SELECT count(*) FROM settlement_order WHERE status = 'confirmed' AND confirmed_at < %(cutoff)s",
            params,
        )[0][0]
        log(f"settlement: {orders:,} confirmed orders; baseline INSERT … SELECT")
        self.sql(self.main_url, self._SETTLE_SETUP)
        # Fresh statistics for the scratch tables: without them the planner's
        # COALESCE join can run for minutes at 50k orders.
        self.sql(self.main_url, "ANALYZE")
        with self.psycopg.connect(self.main_url) as conn:
            cur = conn.cursor()
            started = time.perf_counter()
            for stmt in self._SETTLE_SQL:
                cur.execute(stmt, params)
            conn.commit()
            baseline = time.perf_counter() - started
        log(f"settlement: baseline {baseline:.2f}s; running settle --through {self.through}")
        # The nightly run's configuration: SETTLEMENT_WORKERS (2) sharing the id ranges.
        workers = int(os.environ.get("BENCH_SETTLE_WORKERS", "2"))
        m = self.manage("settle", "--through", self.through.isoformat(), "--workers", str(workers),
                        name="settle", check=False)  # fmt: skip
        net = m.seconds
        diff, real_n, scratch_n = self.sql(self.main_url, self._LEDGER_DIFF)[0]
        r = harness.ratio(net, baseline)
        self.result["settlement"] = {
            "workers": workers,
            "orders": orders,
            "postings": int(real_n or 0),
            "scratch_postings": int(scratch_n or 0),
            "identical": m.returncode == 0 and diff == 0,
            "settle_seconds": net,
            "settle_wall_seconds": m.seconds,
            "baseline_seconds": baseline,
            "ratio": r,
            "goal": harness.goal_at_most(r, harness.GOALS["settle_ratio"]),
            "peak_rss_mb": m.peak_rss_mb,
            # Memory must stay flat: the goal is for 1M orders, checked at every scale.
            "rss_goal": harness.goal_at_most(m.peak_rss_mb, harness.GOALS["settle_rss_mb"]),
            "returncode": m.returncode,
            "summary": (m.output.strip().splitlines() or [""])[-1],
            "orders_per_second": orders / net,
        }
        # Steady state for what follows (pages, to-dos): autovacuum would have analysed by now.
        self.sql(self.main_url, "VACUUM ANALYZE", autocommit=True)
        log(f"settlement: {m.seconds:.1f}s, ratio {r and round(r, 2)}, peak RSS "
            f"{m.peak_rss_mb:.0f} MB, ledgers identical: {diff == 0}")  # fmt: skip

    def bench_todos(self) -> None:
        log("to-dos: recount all users, then single users")
        data = self.child("todos", "--sample", str(harness.RECOUNT_SAMPLE[self.scale]))
        if data.get("note"):
            self.result["todos"] = {"note": data["note"]}
            return
        users = data["users"]
        per_user = data.pop("per_user_ms")
        extrapolated = data["recount_all_seconds"] * 100_000 / max(users, 1)
        judged = data["recount_all_seconds"] if users >= 100_000 else extrapolated
        data.update(
            per_user_median_ms=harness.percentile(per_user, 50),
            per_user_p99_ms=harness.percentile(per_user, 99),
            per_user_max_ms=max(per_user) if per_user else None,
            extrapolated_100k_seconds=None if users >= 100_000 else extrapolated,
            goal=harness.goal_at_most(judged, harness.GOALS["recount_all_s"]),
            user_goal=harness.goal_at_most(
                harness.percentile(per_user, 99), harness.GOALS["recount_user_ms"]
            ),
        )
        self.result["todos"] = data

    def bench_scorecards(self) -> None:
        log("scorecards: the nightly recompute vs one GROUP BY per table; plaza by 履约率")
        data = self.child("scorecards", "--requests", "200")
        best = min(data["recompute_seconds"])
        r = harness.ratio(best, data["baseline_seconds"])
        sorted_p99 = harness.percentile(data.pop("plaza_sorted_ms"), 99)
        plain_p99 = harness.percentile(data.pop("plaza_plain_ms"), 99)
        data.update(
            recompute_best_seconds=best,
            ratio=r,
            goal=harness.goal_at_most(r, 3.0),
            plaza_sorted_p99_ms=sorted_p99,
            plaza_plain_p99_ms=plain_p99,
            plaza_goal=harness.goal_at_most(sorted_p99, 100.0),
        )
        self.result["scorecards"] = data
        log(f"scorecards: recompute {best:.2f}s over {data['recompute_workers']} connections "
            f"(one: {min(data['recompute_one_connection_seconds']):.2f}s) vs baseline "
            f"{data['baseline_seconds']:.2f}s (ratio {r and round(r, 2)}); plaza sorted p99 {sorted_p99:.1f} ms, "
            f"{data['plaza_queries']} queries")  # fmt: skip

    def bench_queries(self) -> None:
        log("query counts per page")
        here = self.child("queries")
        ref = {p["name"]: p for p in self.tiny_queries["pages"]}
        items = []
        for page in here["pages"]:
            r = ref.get(page["name"], {})
            item = {
                "name": page["name"],
                "role": page["role"],
                "path": page.get("path"),
                "reference": r.get("queries"),
                "measured": page.get("queries"),
                # The same page answered again unchanged (hotwave.pagecache).
                "unchanged": page.get("queries_unchanged"),
                "status": page.get("status"),
                "reference_status": r.get("status"),
                "marker_found": page.get("marker_found"),
                "reference_marker_found": r.get("marker_found"),
            }
            if page.get("note") or r.get("note"):
                item["note"] = page.get("note") or r.get("note")
                item["equal"] = None
            else:
                # Equal counts of the real page at both scales (200 with its marker).
                item["equal"] = (
                    item["reference"] == item["measured"]
                    and item["status"] == item["reference_status"] == 200
                    and bool(item["marker_found"] and item["reference_marker_found"])
                )
            items.append(item)
        self.result["queries"] = {"items": items}

    def bench_explain(self) -> None:
        """Where each page's time goes: its slowest queries, with plans (in the log dir)."""
        log("profile: slowest queries per page (EXPLAIN ANALYZE)")
        data = self.child("explain", "--top", "3")
        (self.out / "explain.json").write_text(json.dumps(data, ensure_ascii=False, indent=1))
        pages = []
        for page in data["pages"]:
            pages.append(
                {
                    "name": page["name"],
                    "request_ms": page["request_ms"],
                    "sql_ms": page["sql_ms"],
                    "queries": page["queries"],
                    "slowest": [
                        {
                            "ms": q["ms"],
                            "sql": q["sql"][:160],
                            "plan": harness.plan_summary(q["plan"]),
                        }
                        for q in page["slowest"]
                    ],
                }
            )
        self.result["profile"] = {"pages": pages, "plans": str(self.out / "explain.json")}

    # --- pages --------------------------------------------------------------------------

    def _free_port(self) -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    def _get(self, port: int, path: str, cookie: str = "") -> tuple[int, str]:
        """(status, body) of one GET."""
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=90)
        try:
            conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
            resp = conn.getresponse()
            return resp.status, resp.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def _wrk(self, port: int, path: str, cookie: str, seconds: int) -> harness.WrkResult:
        cmd = [
            "wrk",
            "-t1",
            f"-c{WRK_CONNECTIONS}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "--latency",
        ]
        if cookie:
            cmd += ["-H", f"Cookie: {cookie}"]
        out = subprocess.run(
            [*cmd, f"http://127.0.0.1:{port}{path}"],
            capture_output=True, text=True, timeout=seconds + 60, check=False,
        ).stdout  # fmt: skip
        return harness.parse_wrk(out)

    def bench_pages(self) -> None:
        if not shutil.which("wrk"):
            self.result["pages"] = {"note": "wrk is not installed (apt-get install -y wrk)"}
            return
        # The steady state, whichever steps ran before: a full run vacuums after the
        # settlement, but a partial one (generate,import,pages) would read the orders just
        # imported with heap fetches in every index-only scan (资金账户's signature 4 →
        # 27 ms at medium scale), where in service autovacuum marks them after every
        # 20,000 new orders (settlement migration 0014).
        self.sql(self.main_url, "VACUUM ANALYZE", autocommit=True)
        data = self.child("personas")
        personas = data["personas"]
        port = self._free_port()
        gunicorn = self.bin / "gunicorn"
        # The server's shape (docs/SCALING.md): BENCH_GUNICORN_WORKERS (2),
        # BENCH_GUNICORN_CLASS (sync | gthread) and BENCH_GUNICORN_THREADS (gthread: 4).
        workers = os.environ.get("BENCH_GUNICORN_WORKERS", "2")
        klass = os.environ.get("BENCH_GUNICORN_CLASS", "sync")
        threads = os.environ.get("BENCH_GUNICORN_THREADS", "4") if klass == "gthread" else "1"
        server = f"{workers} {klass} workers" + (
            f" × {threads} threads" if klass == "gthread" else ""
        )
        log(f"pages: gunicorn ({server}) on 127.0.0.1:{port}")
        err = (self.out / "gunicorn.log").open("w")
        proc = subprocess.Popen(
            [str(gunicorn), "hotwave.wsgi:application", "-w", workers, "-k", klass,
             "--threads", threads, "-b", f"127.0.0.1:{port}", "--timeout", "60",
             "--error-logfile", "-", "--log-level", "warning"],
            env=self.env(), cwd=ROOT, stdout=err, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            for _ in range(100):
                try:
                    if self._get(port, "/bench/bare/")[0] == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.2)
            else:
                raise RuntimeError("gunicorn did not answer /bench/bare/ within 20 s")
            secs, warm = harness.WRK_SECONDS[self.scale], harness.WRK_WARMUP[self.scale]
            any_cookie = next(iter(personas.values()), {}).get("sessionid", "")
            bare_cookie = f"sessionid={any_cookie}" if any_cookie else ""
            self._wrk(port, "/bench/bare/", bare_cookie, warm)
            bare_before = self._wrk(port, "/bench/bare/", bare_cookie, secs)
            items = []
            for page in data["pages"]:
                item = {"name": page["name"], "role": page["role"], "path": page.get("path")}
                persona = personas.get(page["role"])
                if page.get("note") or persona is None:
                    item["note"] = page.get("note") or f"no {page['role']} persona"
                    items.append(item)
                    continue
                cookie = f"sessionid={persona['sessionid']}"
                try:
                    status, body = self._get(port, page["path"], cookie)
                except OSError as exc:  # e.g. slower than the 60 s worker timeout
                    item["note"] = f"no answer: {exc}"
                    items.append(item)
                    continue
                if status != 200:
                    item["note"] = f"answers HTTP {status}, not measured"
                    items.append(item)
                    continue
                # The real page, not an error or an empty shell that happens to be a 200.
                if page.get("marker") and page["marker"] not in body:
                    item["note"] = f"the page lacks its marker {page['marker']!r}, not measured"
                    items.append(item)
                    continue
                try:
                    self._wrk(port, page["path"], cookie, warm)
                    w = self._wrk(port, page["path"], cookie, secs)
                except (ValueError, subprocess.TimeoutExpired) as exc:
                    item["note"] = f"wrk gave no result: {exc}"
                    items.append(item)
                    continue
                item.update(w.as_dict())
                item["user"] = persona["username"]
                items.append(item)
                log(f"pages: {page['name']}: {w.rps:,.0f} req/s, p99 {w.p99_ms} ms")
            bare_after = self._wrk(port, "/bench/bare/", bare_cookie, secs)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
            err.close()
        bare_rps = (bare_before.rps + bare_after.rps) / 2
        for item in items:
            if "rps" in item:
                item["ratio"] = harness.ratio(item["rps"], bare_rps)
                item["goal"] = harness.goal_at_least(item["ratio"], harness.GOALS["page_ratio"])
                item["p99_goal"] = harness.goal_at_most(
                    item["p99_ms"], harness.GOALS["page_p99_ms"]
                )
        self.result["pages"] = {
            "bare": {
                "rps": bare_rps,
                "p99_ms": max(x for x in (bare_before.p99_ms, bare_after.p99_ms) if x is not None),
                "before": bare_before.as_dict(),
                "after": bare_after.as_dict(),
            },
            "items": items,
            "wrk": f"wrk -t1 -c{WRK_CONNECTIONS} -d{secs}s --latency (after {warm}s warm-up)",
            "server": f"gunicorn, {server}",
            # hotwave.pagecache: a page answered again while nothing it read changed.
            "page_cache": "off"
            if os.environ.get("PAGE_CACHE", "1").lower() in ("0", "false", "off", "no")
            else "on",
        }

    # --- run ----------------------------------------------------------------------------

    def step(self, name: str, fn) -> None:
        started = time.monotonic()
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - one failed step must not lose the others
            log(f"{name} FAILED: {exc}")
            (self.out / f"{name}-error.txt").write_text(traceback.format_exc())
            self.result.setdefault(name, {})["note"] = f"failed: {str(exc).splitlines()[0][:200]}"
        self.result.setdefault("step_seconds", {})[name] = round(time.monotonic() - started, 1)

    def run(self) -> dict:
        started = time.monotonic()
        self.preflight()
        self.clear_cache()
        chosen = self.steps
        if chosen & set(STEPS[2:]):
            chosen.add("generate")
        if "queries" in chosen:
            chosen.add("queries_tiny")
        steps = {
            "queries_tiny": self.tiny_world,
            "generate": self.generate,
            "import": self.bench_import,
            "settlement": self.bench_settlement,
            "todos": self.bench_todos,
            "scorecards": self.bench_scorecards,
            "queries": self.bench_queries,
            "profile": self.bench_explain,
            "pages": self.bench_pages,
        }
        try:
            for name in STEPS:
                if name not in chosen:
                    continue
                if name == "queries" and not hasattr(self, "tiny_queries"):
                    self.result["queries"] = {"note": "the tiny reference world failed"}
                    continue
                self.step(name, steps[name])
        finally:
            self.drop_dbs()
        self.result["seconds"] = time.monotonic() - started
        self.result["redis"] = bool(self.redis_url)
        self.result.pop("queries_tiny", None)
        if chosen != set(STEPS):
            partial = self.out / "results-partial.json"
            partial.write_text(json.dumps(self.result, indent=2, default=str))
            log(f"done in {self.result['seconds']:.0f}s (steps {sorted(chosen)}): {partial}")
            for row in harness.result_rows(self.result):
                print(" | ".join(row))
            return self.result
        data = harness.merge_results(RESULTS, self.scale, self.result)
        doc = DOC.read_text() if DOC.exists() else "# Performance\n"
        DOC.write_text(harness.replace_table(doc, harness.render_table(data)))
        log(f"done in {self.result['seconds']:.0f}s: {RESULTS.relative_to(ROOT)}, "
            f"{DOC.relative_to(ROOT)}")  # fmt: skip
        for row in harness.result_rows(self.result):
            print(" | ".join(row))
        return self.result


def render_only() -> None:
    """``bench/run.py --render``: rewrite the table in docs/PERFORMANCE.md from results.json."""
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    doc = DOC.read_text() if DOC.exists() else "# Performance\n"
    DOC.write_text(harness.replace_table(doc, harness.render_table(data)))


def main() -> None:
    if "--render" in sys.argv[1:]:
        render_only()
        return
    scale = os.environ.get("BENCH_SCALE", "small")
    if scale not in ("small", "medium", "full"):
        refuse(f"BENCH_SCALE must be small, medium or full, not {scale!r}")
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        refuse(
            "the benchmarks need PostgreSQL: set DATABASE_URL=postgres://user@host:5432/postgres "
            "(the suite creates and drops its own databases hotwave_bench and hotwave_bench_tiny)"
        )
    with contextlib.suppress(OSError, ValueError):
        os.nice(int(os.environ.get("BENCH_NICE", "10")))
    Bench(scale, url).run()


if __name__ == "__main__":
    main()
