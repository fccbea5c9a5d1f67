"""The scorecard recompute before and after a change, on one kept bench world, same process.

``DATABASE_URL=<the database kept by BENCH_KEEP_DB=1 python -m bench.scorecards_world>
python -m bench.scorecards_compare --before <git ref> [--rounds 3]``

Loads ``cooperation/services/scorecards.py`` and the attribution SQL it reads
(``settlement/selectors/attribution.py``) as they were at ``--before`` next to the
current ones and runs, per round: the recompute before, the recompute after, the
``GROUP BY`` baseline of ``bench.scorecards_world``. After each round it compares every
row of the three scorecard tables (md5 over the rows, ``computed_at`` and the period
left out) written by the two versions at the same ``now``. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TABLES = {
    "cooperation_creatorscorecard": (
        "creator_id, tasks_counted, tasks_fulfilled, tasks_completed, fulfilment_rate, "
        "stages_due, stages_on_time, on_time_rate, live_sessions, gmv_total, gmv_per_session, "
        "roi_tasks, roi_median, rating_count, rating_avg, disputes_against, disputes_lost, "
        "disputes_won, disputes_open"
    ),
    "cooperation_creatorcategoryscorecard": (
        "creator_id, category_id, live_sessions, gmv_total, gmv_per_session"
    ),
    "cooperation_merchantscorecard": (
        "merchant_id, tasks_completed, ships_due, ships_on_time, on_time_shipping_rate, "
        "disputes_against, disputes_lost, disputes_won, disputes_open, rating_count, "
        "rating_avg, slot_fee_tasks, typical_slot_fee"
    ),
}


def _digest(cur) -> dict:
    out = {}
    for table, cols in TABLES.items():
        cur.execute(
            f"SELECT md5(string_agg(r::text, '|' ORDER BY r::text)), COUNT(*) "  # noqa: S608
            f"FROM (SELECT {cols} FROM {table}) r"
        )
        out[table] = list(cur.fetchone())
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scorecards_compare")
    parser.add_argument("--before", required=True, help="git ref of the code before")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    def source(path: str) -> str:
        return subprocess.run(
            ["git", "show", f"{args.before}:{path}"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotwave.settings")
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from bench.scorecards_world import BASELINE_SQL, _load
    from cooperation.services import scorecards as after

    def load(name: str, path: str):
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
            f.write(source(path))
        spec = importlib.util.spec_from_file_location(name, f.name)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        os.unlink(f.name)
        return module

    before = load("scorecards_before", "cooperation/services/scorecards.py")
    attribution_before = load("attribution_before", "settlement/selectors/attribution.py")
    before.attributed_orders_sql = attribution_before.attributed_orders_sql

    def timed(fn) -> float:
        t = time.perf_counter()
        fn()
        return round(time.perf_counter() - t, 3)

    now = timezone.now()
    res: dict = {"before_ref": args.before, "load_before": _load()}
    res.update(before_seconds=[], after_seconds=[], baseline_seconds=[], identical=[])
    with connection.cursor() as cur:

        def baseline():
            for stmt in BASELINE_SQL:
                cur.execute(stmt)
                cur.fetchall()

        timed(baseline)  # warm
        for _ in range(args.rounds):
            res["before_seconds"].append(timed(lambda: before.scorecards_recompute(now=now)))
            d_before = _digest(cur)
            res["after_seconds"].append(timed(lambda: after.scorecards_recompute(now=now)))
            d_after = _digest(cur)
            res["baseline_seconds"].append(timed(baseline))
            res["identical"].append(d_before == d_after)
        res["rows"] = {table: v[1] for table, v in d_after.items()}
    best = {k: min(res[f"{k}_seconds"]) for k in ("before", "after", "baseline")}
    res["best"] = best
    res["ratio_before"] = round(best["before"] / best["baseline"], 2)
    res["ratio_after"] = round(best["after"] / best["baseline"], 2)
    res["load_after"] = _load()
    print(json.dumps(res, ensure_ascii=False))


if __name__ == "__main__":
    main()
