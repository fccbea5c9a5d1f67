"""Pure helpers of the benchmark suite: ratios, goals, wrk output, the results table.

Nothing here touches a database or starts a process, so ``tests/bench`` can
check it in milliseconds.
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

TABLE_START = "<!-- bench:results:start -->"
TABLE_END = "<!-- bench:results:end -->"

# Sizes per scale. ``import_orders`` are imported through import_events (the
# slow path being measured); ``orders`` are generated with COPY and settled.
SCALES: dict[str, dict[str, int]] = {
    # The reference for query counts. Products enough that every filtered page of
    # the bench's list has rows (and the searched 选品广场 a page 2): with 40, the two
    # filtered 选品广场 pages matched nothing and their counts lacked the list's SELECT.
    "tiny": {"creators": 60, "merchants": 12, "products": 2000, "orders": 400, "import_orders": 0},
    "small": {
        "creators": 2_000,
        "merchants": 100,
        "products": 1_000,
        "orders": 20_000,
        "import_orders": 5_000,
    },
    # Issue #4's speed goals are stated at 200k orders.
    "medium": {
        "creators": 20_000,
        "merchants": 500,
        "products": 5_000,
        "orders": 200_000,
        "import_orders": 100_000,
    },
    "full": {
        "creators": 100_000,
        "merchants": 2_000,
        "products": 20_000,
        "orders": 1_000_000,
        "import_orders": 100_000,
    },
}
# Seconds of wrk per page, and of warm-up before it.
WRK_SECONDS = {"tiny": 2, "small": 5, "medium": 5, "full": 10}
WRK_WARMUP = {"tiny": 1, "small": 1, "medium": 1, "full": 2}
# How many users get a timed single-user to-do recount.
RECOUNT_SAMPLE = {"tiny": 20, "small": 100, "medium": 200, "full": 500}

GOALS = {
    "import_ratio": 3.0,  # import_events ≤ 3× COPY + SQL parse
    "settle_ratio": 3.0,  # settle ≤ 3× set-based INSERT … SELECT
    "settle_rss_mb": 500.0,  # peak memory of the settle run (at 1M orders)
    "page_ratio": 1 / 3,  # each page ≥ 1/3 of the bare view's requests/s
    "page_p99_ms": 100.0,
    "recount_all_s": 30.0,  # all users' to-dos (100k users)
    "recount_user_ms": 10.0,  # one user's to-dos after an event
}


def ratio(measured: float, baseline: float) -> float | None:
    """measured / baseline, or None when the baseline is zero or missing."""
    if not baseline or baseline <= 0 or measured is None:
        return None
    return measured / baseline


def goal_at_most(value: float | None, limit: float) -> dict:
    """A "lower is better" goal: met when value ≤ limit; ``by`` is value / limit when missed."""
    if value is None:
        return {"value": None, "goal": f"≤ {limit:g}", "met": None, "by": None}
    met = value <= limit
    return {
        "value": value,
        "goal": f"≤ {limit:g}",
        "met": met,
        "by": None if met else value / limit,
    }


def goal_at_least(value: float | None, limit: float) -> dict:
    """A "higher is better" goal: met when value ≥ limit; ``by`` is limit / value when missed."""
    if value is None:
        return {"value": None, "goal": f"≥ {limit:.3g}", "met": None, "by": None}
    met = value >= limit
    return {
        "value": value,
        "goal": f"≥ {limit:.3g}",
        "met": met,
        "by": None if met else (limit / value if value else float("inf")),
    }


def percentile(values: list[float], p: float) -> float | None:
    """The p-th percentile (0–100) by nearest rank; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[k]


# --- wrk -------------------------------------------------------------------------------

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _to_ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not m:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(m.group(1)) * _UNITS_MS[m.group(2)]


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float | None
    p99_ms: float | None
    non_2xx: int
    errors: int

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def parse_wrk(output: str) -> WrkResult:
    """Read requests/s, latency percentiles and errors from ``wrk --latency`` output."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if not rps:
        raise ValueError("no Requests/sec in wrk output")
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", output)
    pct = dict(re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+(?:us|ms|s|m))\s*$", output, re.M))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return WrkResult(
        requests=int(done.group(1)) if done else 0,
        seconds=_to_ms(done.group(2) + done.group(3)) / 1000 if done else 0.0,
        rps=float(rps.group(1)),
        p50_ms=_to_ms(pct["50"]) if "50" in pct else None,
        p99_ms=_to_ms(pct["99"]) if "99" in pct else None,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        errors=sum(int(x) for x in errors.groups()) if errors else 0,
    )


# --- processes --------------------------------------------------------------------------


@dataclass
class Measured:
    returncode: int
    seconds: float
    peak_rss_mb: float
    output: str


def run_measured(cmd: list[str], *, env: dict, cwd: Path, log: Path | None = None) -> Measured:
    """Run a child to completion: its wall time and its own peak RSS (``os.wait4`` rusage)."""
    log_fh = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    started = time.monotonic()
    try:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=log_fh, stderr=subprocess.STDOUT)
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if log:
            log_fh.close()
    seconds = time.monotonic() - started
    out = log.read_text() if log else ""
    return Measured(proc.returncode, seconds, usage.ru_maxrss / 1024, out)


# --- machine ---------------------------------------------------------------------------


# PostgreSQL settings recorded with each run: what the import and the settlement's
# writes depend on (docs/SCALING.md "PostgreSQL settings").
PG_SETTINGS = (
    "shared_buffers",
    "wal_buffers",
    "max_wal_size",
    "checkpoint_timeout",
    "wal_compression",
)


def _pg_settings(machine: dict) -> str:
    settings = machine.get("postgres_settings") or {}
    named = [f"{k} {settings[k]}" for k in PG_SETTINGS if k in settings]
    return f" ({', '.join(named)})" if named else ""


def machine_info(pg_version: str = "") -> dict:
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    try:
        load = os.getloadavg()
    except OSError:
        load = (0.0, 0.0, 0.0)
    return {
        "nproc": os.cpu_count(),
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "postgres": pg_version,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_at_start": [round(x, 2) for x in load],
    }


# --- results ---------------------------------------------------------------------------


def merge_results(path: Path, scale: str, result: dict) -> dict:
    """Store ``result`` under ``scale`` in the JSON file, keeping other scales' figures."""
    data = {}
    if path.exists():
        try:
            data = json.loads(path.read_text())
        except ValueError:
            data = {}
    data[scale] = result
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    return data


def _fmt(value, unit: str = "", places: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.{places}f}{unit}"
    return f"{value:,}{unit}"


def _verdict(goal: dict | None) -> str:
    if not goal or goal.get("met") is None:
        return "not measured"
    if goal["met"]:
        return "met"
    by = goal.get("by")
    return f"missed ({by:.1f}×)" if by is not None else "missed"


def result_rows(result: dict) -> list[tuple[str, str, str, str]]:
    """(figure, measured, goal, verdict) rows of one scale's result, for the table."""
    rows: list[tuple[str, str, str, str]] = []
    imp = result.get("import") or {}
    if imp.get("note"):
        rows.append(("import_events", imp["note"], "≤ 3×", "not measured"))
    elif imp:
        rows.append(
            (
                f"import_events of {imp.get('orders', 0):,} orders ({imp.get('lines', 0):,} lines) "
                f"vs COPY + SQL parse",
                f"{_fmt(imp.get('import_seconds'), ' s')} vs {_fmt(imp.get('baseline_seconds'), ' s')}"
                f" = {_fmt(imp.get('ratio'), '×', 1)}",
                imp.get("goal", {}).get("goal", "") + "×",
                _verdict(imp.get("goal")),
            )
        )
    st = result.get("settlement") or {}
    workers = f", {st['workers']} workers" if st.get("workers", 1) > 1 else ""
    if st.get("note"):
        rows.append(("settle", st["note"], "≤ 3×", "not measured"))
    elif st:
        rows.append(
            (
                f"settle of {st.get('orders', 0):,} orders ({st.get('postings', 0):,} postings"
                f"{workers}) "
                f"vs set-based INSERT … SELECT",
                f"{_fmt(st.get('settle_seconds'), ' s')} vs {_fmt(st.get('baseline_seconds'), ' s')}"
                f" = {_fmt(st.get('ratio'), '×', 1)}"
                + ("" if st.get("identical") else " (ledgers DIFFER)"),
                st.get("goal", {}).get("goal", "") + "×",
                _verdict(st.get("goal")),
            )
        )
        rows.append(
            (
                "settle peak RSS",
                _fmt(st.get("peak_rss_mb"), " MB", 0),
                "< 500 MB (at 1M orders)",
                _verdict(st.get("rss_goal")),
            )
        )
    pages = result.get("pages") or {}
    if pages.get("note"):
        rows.append(("pages", pages["note"], "≥ 1/3 of bare, p99 < 100 ms", "not measured"))
    elif pages:
        bare = pages.get("bare") or {}
        rows.append(
            (
                "bare template view (ceiling)",
                f"{_fmt(bare.get('rps'), ' req/s', 0)}, p99 {_fmt(bare.get('p99_ms'), ' ms', 1)}",
                "—",
                "baseline",
            )
        )
        for item in pages.get("items", []):
            if item.get("note"):
                rows.append((f"page {item['name']}", item["note"], "", "not measured"))
                continue
            goals = [item.get("goal"), item.get("p99_goal")]
            verdict = (
                "met"
                if all(g and g.get("met") for g in goals)
                else "; ".join(
                    f"{label} {_verdict(g)}"
                    for label, g in zip(("req/s", "p99"), goals, strict=True)
                    if g and not g.get("met")
                )
            )
            rows.append(
                (
                    f"page {item['name']}",
                    f"{_fmt(item.get('rps'), ' req/s', 0)} = {_fmt(item.get('ratio'), '', 2)} of bare, "
                    f"p99 {_fmt(item.get('p99_ms'), ' ms', 1)}"
                    + (
                        f", {item.get('errors', 0) + item.get('non_2xx', 0):,} errors"
                        if item.get("errors") or item.get("non_2xx")
                        else ""
                    ),
                    "≥ 0.33 of bare, p99 < 100 ms",
                    verdict,
                )
            )
    todos = result.get("todos") or {}
    if todos.get("note"):
        rows.append(("to-do recount", todos["note"], "< 30 s / < 10 ms", "not measured"))
    elif todos:
        rows.append(
            (
                f"to-do recount, all {todos.get('users', 0):,} users ({todos.get('sources', 0)} sources)",
                _fmt(todos.get("recount_all_seconds"), " s")
                + (
                    f" (≈ {todos['extrapolated_100k_seconds']:.1f} s at 100k users)"
                    if todos.get("extrapolated_100k_seconds") is not None
                    else ""
                ),
                "< 30 s at 100k users",
                _verdict(todos.get("goal")),
            )
        )
        rows.append(
            (
                f"to-do recount, one user (p99 of {todos.get('sample', 0)})",
                f"{_fmt(todos.get('per_user_p99_ms'), ' ms')} (median {_fmt(todos.get('per_user_median_ms'), ' ms')})",
                "< 10 ms",
                _verdict(todos.get("user_goal")),
            )
        )
    queries = result.get("queries") or {}
    if queries.get("note"):
        rows.append(("query counts", queries["note"], "equal", "not measured"))
    for item in queries.get("items", []):
        rows.append(
            (
                f"queries {item['name']}",
                f"{_fmt(item.get('reference'))} at tiny scale, {_fmt(item.get('measured'))} here"
                + (
                    f" ({item['unchanged']} unchanged)" if item.get("unchanged") is not None else ""
                ),
                "equal",
                "met" if item.get("equal") else ("not measured" if item.get("note") else "missed"),
            )
        )
    return rows


def plan_summary(plan: str) -> str:
    """An EXPLAIN ANALYZE plan in one line: its total time and its two costliest scans.

    A node's cost is its actual end time × loops (a scan repeated per outer row,
    as in a correlated subquery, shows up as many loops).
    """
    lines = [line.strip() for line in plan.splitlines() if line.strip()]
    if not lines:
        return ""
    timing = re.compile(r"actual time=[\d.]+\.\.([\d.]+) rows=\d+ loops=(\d+)")
    scans = []
    for line in lines:
        node = line.removeprefix("->").strip()
        m = timing.search(node)
        if m and "Scan" in node:
            name = re.sub(r"\s*\(cost=.*$", "", node)
            total = float(m.group(1)) * int(m.group(2))
            scans.append((total, f"{name} {total:,.0f} ms ({m.group(2)} loops)"))
    head = timing.search(lines[0])
    parts = [f"{float(head.group(1)):,.0f} ms" if head else lines[0][:60]]
    parts += [text for _, text in sorted(scans, reverse=True)[:2]]
    return "; ".join(parts)


def profile_rows(result: dict) -> list[str]:
    """Markdown lines: each page's request time, SQL time and slowest query."""
    prof = (result.get("profile") or {}).get("pages") or []
    if not prof:
        return []
    out = [
        "",
        "Where each page's time goes (one warm request through the test client; slowest query "
        "and its plan — full plans in the run's `explain.json`):",
        "",
        "| page | request | SQL (queries) | slowest query | plan |",
        "|---|---|---|---|---|",
    ]
    for page in prof:
        slow = (page.get("slowest") or [{}])[0]
        sql = (slow.get("sql") or "").replace("|", "\\|")[:90]
        plan = (slow.get("plan") or "").replace("|", "\\|")[:160]
        out.append(
            f"| {page['name']} | {_fmt(page.get('request_ms'), ' ms', 0)} | "
            f"{_fmt(page.get('sql_ms'), ' ms', 0)} ({page.get('queries')}) | "
            f"{_fmt(slow.get('ms'), ' ms', 0)}: `{sql}…` | {plan} |"
        )
    return out


def _world(gen: dict) -> str:
    """How the run got its world: generated (seconds), or cloned from the day's template."""
    generated = f"generated in {_fmt(gen.get('seconds'), ' s', 1)}"
    if gen.get("cloned_from"):
        when = f" ({generated} earlier)" if gen.get("seconds") else ""
        return (
            f"cloned in {_fmt(gen.get('clone_seconds'), ' s', 1)} from `{gen['cloned_from']}`{when}"
        )
    return generated


def render_table(results: dict) -> str:
    """The Markdown block that goes between the markers in docs/PERFORMANCE.md."""
    out = [TABLE_START, ""]
    for scale in ("small", "medium", "full"):
        result = results.get(scale)
        if not result:
            out += [f"### {scale} scale", "", "_Not run yet._", ""]
            continue
        m = result.get("machine", {})
        sizes = result.get("sizes", {})
        out += [
            f"### {scale} scale — {m.get('date', '?')}",
            "",
            f"Machine: {m.get('nproc')} cores, {m.get('ram_gb')} GB RAM, Python {m.get('python')}, "
            f"{m.get('postgres', 'PostgreSQL ?')}{_pg_settings(m)}; "
            f"load average at start {m.get('load_at_start')}. "
            f"World: {sizes.get('creators', 0):,} creators, {sizes.get('merchants', 0):,} merchants, "
            f"{sizes.get('products', 0):,} products, {sizes.get('orders', 0):,} generated orders "
            f"+ {sizes.get('import_orders', 0):,} imported; {_world(result.get('generate') or {})}. "
            f"Command timings are wall times including Django start-up "
            f"({_fmt(result.get('startup_seconds'), ' s', 1)} for `manage.py check`). "
            f"Total run {_fmt(result.get('seconds'), ' s', 0)}.",
            "",
            "| figure | measured | goal | result |",
            "|---|---|---|---|",
        ]
        for figure, measured, goal, verdict in result_rows(result):
            out.append(f"| {figure} | {measured} | {goal} | {verdict} |")
        out += profile_rows(result)
        out.append("")
    out.append(TABLE_END)
    return "\n".join(out)


def replace_table(document: str, table: str) -> str:
    """Swap the marked block of ``document`` for ``table`` (appended if there is none)."""
    start, end = document.find(TABLE_START), document.find(TABLE_END)
    if start == -1 or end == -1 or end < start:
        return document.rstrip("\n") + "\n\n" + table + "\n"
    return document[:start] + table + document[end + len(TABLE_END) :]
