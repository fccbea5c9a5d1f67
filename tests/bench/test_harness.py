"""The benchmark harness computes ratios, goals and the results table right."""

from __future__ import annotations

import json

import pytest

from bench import harness

WRK_OUTPUT = """\
Running 5s test @ http://127.0.0.1:8123/
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.10ms    1.20ms  30.51ms   90.00%
    Req/Sec     0.98k    50.00     1.10k    70.00%
  Latency Distribution
     50%    3.90ms
     75%    4.50ms
     90%    5.20ms
     99%   12.34ms
  4890 requests in 5.01s, 20.00MB read
  Non-2xx or 3xx responses: 3
Requests/sec:    976.05
Transfer/sec:      3.99MB
"""


def test_ratio_is_measured_over_baseline():
    assert harness.ratio(6.0, 2.0) == 3.0
    assert harness.ratio(1.0, 0) is None
    assert harness.ratio(1.0, None) is None


def test_goal_at_most_met_and_missed_by_how_much():
    assert harness.goal_at_most(2.5, 3.0) == {"value": 2.5, "goal": "≤ 3", "met": True, "by": None}
    missed = harness.goal_at_most(7.5, 3.0)
    assert missed["met"] is False
    assert missed["by"] == pytest.approx(2.5)
    assert harness.goal_at_most(None, 3.0)["met"] is None


def test_goal_at_least_met_and_missed_by_how_much():
    assert harness.goal_at_least(0.5, 1 / 3)["met"] is True
    missed = harness.goal_at_least(0.1, 1 / 3)
    assert missed["met"] is False
    assert missed["by"] == pytest.approx(10 / 3)
    assert harness.goal_at_least(0.0, 1 / 3)["by"] == float("inf")


def test_percentile_by_nearest_rank():
    values = [float(i) for i in range(1, 101)]
    assert harness.percentile(values, 50) == 50.0
    assert harness.percentile(values, 99) == 99.0
    assert harness.percentile([7.0], 99) == 7.0
    assert harness.percentile([], 50) is None


def test_parse_wrk_reads_rps_latency_and_errors():
    w = harness.parse_wrk(WRK_OUTPUT)
    assert w.rps == 976.05
    assert w.requests == 4890
    assert w.seconds == pytest.approx(5.01)
    assert w.p50_ms == pytest.approx(3.9)
    assert w.p99_ms == pytest.approx(12.34)
    assert w.non_2xx == 3
    assert w.errors == 0


def test_parse_wrk_units_and_socket_errors():
    out = WRK_OUTPUT.replace("12.34ms", "1.50s").replace(
        "  Non-2xx or 3xx responses: 3\n",
        "  Socket errors: connect 0, read 2, write 0, timeout 5\n",
    )
    w = harness.parse_wrk(out)
    assert w.p99_ms == pytest.approx(1500.0)
    assert w.errors == 7
    assert w.non_2xx == 0
    with pytest.raises(ValueError):
        harness.parse_wrk("connection refused")


def _result():
    return {
        "machine": {"nproc": 2, "ram_gb": 23.4, "python": "3.13.0", "postgres": "PostgreSQL 15",
                    "date": "2026-11-27 08:00 UTC", "load_at_start": [1.0, 1.0, 1.0]},
        "sizes": harness.SCALES["small"],
        "import": {"orders": 5000, "lines": 9900, "import_seconds": 6.0, "baseline_seconds": 0.5,
                   "ratio": 12.0, "goal": harness.goal_at_most(12.0, 3.0)},
        "settlement": {"orders": 100, "postings": 390, "settle_seconds": 2.0,
                       "baseline_seconds": 1.0, "ratio": 2.0, "identical": True,
                       "goal": harness.goal_at_most(2.0, 3.0), "peak_rss_mb": 120.0,
                       "rss_goal": harness.goal_at_most(120.0, 500.0)},
        "pages": {"bare": {"rps": 3000.0, "p99_ms": 5.0}, "items": [
            {"name": "workbench (merchant)", "rps": 600.0, "ratio": 0.2, "p99_ms": 40.0,
             "goal": harness.goal_at_least(0.2, 1 / 3), "p99_goal": harness.goal_at_most(40.0, 100.0)},
            {"name": "资金账户 (creator)", "note": "no URL named settlement:fund_account yet"},
        ]},
        "todos": {"note": "workbench.services has no todos_recount_all yet"},
        "queries": {"items": [{"name": "workbench (merchant)", "reference": 9, "measured": 9,
                               "equal": True},
                              {"name": "task list", "reference": 5, "measured": 7, "equal": False}]},
    }  # fmt: skip


def test_result_rows_state_met_and_missed():
    rows = {r[0].split(" of ")[0].split(" (")[0]: r for r in harness.result_rows(_result())}
    assert rows["import_events"][3] == "missed (4.0×)"
    assert "12.0×" in rows["import_events"][1]
    assert rows["settle"][3] == "met"
    assert rows["settle peak RSS"][3] == "met"
    assert rows["page workbench"][3] == "req/s missed (1.7×)"
    assert rows["page 资金账户"][3] == "not measured"
    assert rows["to-do recount"][3] == "not measured"
    assert rows["queries workbench"][3] == "met"
    assert rows["queries task list"][3] == "missed"


def test_render_and_replace_table_keeps_the_prose():
    doc = (
        "# Performance\n\nintro\n\n"
        + harness.TABLE_START
        + "\nold\n"
        + harness.TABLE_END
        + "\n\n## Analysis\nkept\n"
    )
    table = harness.render_table({"small": _result()})
    new = harness.replace_table(doc, table)
    assert "old" not in new
    assert new.startswith("# Performance\n\nintro")
    assert new.rstrip().endswith("## Analysis\nkept")
    assert "| import_events of 5,000 orders" in new
    assert "### full scale" in new and "_Not run yet._" in new
    # Rendering again replaces, never duplicates.
    assert harness.replace_table(new, table).count(harness.TABLE_START) == 1


def test_replace_table_appends_when_markers_are_missing():
    out = harness.replace_table("# Perf\n", "T")
    assert out == "# Perf\n\nT\n"


def test_merge_results_keeps_other_scales(tmp_path):
    path = tmp_path / "results.json"
    harness.merge_results(path, "full", {"seconds": 1})
    harness.merge_results(path, "small", {"seconds": 2})
    data = json.loads(path.read_text())
    assert data == {"full": {"seconds": 1}, "small": {"seconds": 2}}


def test_run_measured_reports_wall_time_and_peak_rss_of_the_child(tmp_path):
    import sys

    code = "x = bytearray(60 * 1024 * 1024); print('ok')"
    m = harness.run_measured([sys.executable, "-c", code], env={}, cwd=tmp_path,
                             log=tmp_path / "out.log")  # fmt: skip
    assert m.returncode == 0
    assert m.output.strip() == "ok"
    assert m.peak_rss_mb >= 60
    assert m.seconds > 0


def test_page_errors_are_shown_next_to_the_rate():
    result = _result()
    result["pages"]["items"][0].update(errors=2, non_2xx=1)
    row = next(r for r in harness.result_rows(result) if r[0] == "page workbench (merchant)")
    assert row[1].endswith(", 3 errors")


PLAN = """\
Limit  (cost=1.00..2.00 rows=4 width=8) (actual time=3031.941..3031.949 rows=4 loops=1)
  ->  Sort  (cost=1.00..2.00 rows=487 width=8) (actual time=3031.920..3031.925 rows=4 loops=1)
        ->  Index Scan using product_merchant_list_idx on cooperation_product  (cost=0.28..6.80 rows=487 width=94) (actual time=1.065..1480.068 rows=1190 loops=1)
              SubPlan 8
                ->  Bitmap Heap Scan on settlement_order "U0_4"  (cost=14.90..18.92 rows=1 width=16) (actual time=0.705..0.730 rows=4 loops=1947)
"""


def test_plan_summary_names_the_costliest_scans_counting_loops():
    summary = harness.plan_summary(PLAN)
    assert summary.startswith("3,032 ms; ")
    first, second = summary.split("; ")[1:3]
    assert (
        first
        == "Index Scan using product_merchant_list_idx on cooperation_product 1,480 ms (1 loops)"
    )
    # A correlated subquery: 0.730 ms × 1947 loops.
    assert second == 'Bitmap Heap Scan on settlement_order "U0_4" 1,421 ms (1947 loops)'
    assert harness.plan_summary("") == ""


def test_profile_rows_render_one_line_per_page():
    result = {"profile": {"pages": [{"name": "p1", "request_ms": 12.0, "sql_ms": 5.0,
                                     "queries": 3, "slowest": [{"ms": 4.0, "sql": "SELECT 1",
                                                                "plan": "4 ms"}]}]}}  # fmt: skip
    rows = harness.profile_rows(result)
    assert rows[-1] == "| p1 | 12 ms | 5 ms (3) | 4 ms: `SELECT 1…` | 4 ms |"
    assert harness.profile_rows({}) == []


def test_the_table_says_how_the_world_was_made():
    from bench.harness import _world

    assert _world({"seconds": 12.34}) == "generated in 12.3 s"
    cloned = {"cloned_from": "hotwave_bench_world_full_20261127", "clone_seconds": 14.0}
    assert _world(cloned) == "cloned in 14.0 s from `hotwave_bench_world_full_20261127`"
    assert _world({**cloned, "seconds": 284.1}).endswith("(generated in 284.1 s earlier)")
