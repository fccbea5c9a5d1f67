"""Paired comparisons of server set-ups on a kept benchmark world (``python bench/ab.py``).

``make bench`` measures one set-up per run; on a shared machine two runs minutes
apart are not comparable. This starts each variant's gunicorn in turn, round after
round (A, B, A, B …), and measures the bare view and the chosen pages in each
start-up, so every page ratio has its baseline from the same processes and the
variants see the same machine load, interleaved.

    BENCH_DB_PREFIX=hw_bench DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        python bench/ab.py --compare workers --rounds 3 --pages "workbench,资金账户"

The world must exist: a ``make bench`` run with ``BENCH_KEEP_DB=1`` (same prefix).
``--compare jit``: PostgreSQL JIT on (``DATABASE_JIT=1``) vs off (the default).
``--compare workers``: sync 2 workers, sync 4, gthread 2 × 4 threads, gthread 1 × 8.
Figures go to ``var/bench/ab-<compare>.json`` and a table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402
from bench.run import Bench, log  # noqa: E402

# name → (extra environment, gunicorn arguments)
VARIANTS = {
    "jit": {
        "jit on": ({"DATABASE_JIT": "1"}, ["-w", "2", "-k", "sync"]),
        "jit off": ({"DATABASE_JIT": "0"}, ["-w", "2", "-k", "sync"]),
    },
    "workers": {
        "sync 2": ({}, ["-w", "2", "-k", "sync"]),
        "sync 4": ({}, ["-w", "4", "-k", "sync"]),
        "gthread 2×4": ({}, ["-w", "2", "-k", "gthread", "--threads", "4"]),
        "gthread 1×8": ({}, ["-w", "1", "-k", "gthread", "--threads", "8"]),
    },
}


def serve(bench: Bench, env: dict, args: list[str], log_path: Path):
    port = bench._free_port()
    out = log_path.open("w")
    proc = subprocess.Popen(
        [str(bench.bin / "gunicorn"), "hotwave.wsgi:application", *args,
         "-b", f"127.0.0.1:{port}", "--timeout", "60", "--error-logfile", "-",
         "--log-level", "warning"],
        env={**bench.env(), **env}, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
    )  # fmt: skip
    for _ in range(150):
        try:
            if bench._get(port, "/bench/bare/")[0] == 200:
                return proc, port, out
        except OSError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("gunicorn did not answer /bench/bare/ within 30 s")


def stop(proc, out) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    out.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python bench/ab.py")
    parser.add_argument("--compare", choices=sorted(VARIANTS), required=True)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--pages", default="", help="comma-separated starts of page names")
    opts = parser.parse_args()
    os.environ.setdefault("BENCH_NICE", "10")
    os.nice(int(os.environ["BENCH_NICE"]))
    bench = Bench(os.environ.get("BENCH_SCALE", "medium"), os.environ["DATABASE_URL"])
    data = bench.child("personas")
    personas = data["personas"]
    wanted = [w.strip() for w in opts.pages.split(",") if w.strip()]
    pages = [
        p
        for p in data["pages"]
        if "path" in p
        and p["role"] in personas
        and (not wanted or p["name"].startswith(tuple(wanted)))
    ]

    def wrk(port, path, cookie, seconds):
        cmd = ["wrk", "-t1", f"-c{opts.connections}", f"-d{seconds}s", "--timeout", "10s",
               "--latency", "-H", f"Cookie: {cookie}", f"http://127.0.0.1:{port}{path}"]  # fmt: skip
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=False)
        return harness.parse_wrk(run.stdout)

    rows: dict[str, dict[str, list]] = {}
    load = []
    for r in range(opts.rounds):
        for name, (env, args) in VARIANTS[opts.compare].items():
            load.append(os.getloadavg()[0])
            proc, port, out = serve(bench, env, args, bench.out / f"ab-{name}.log")
            try:
                any_cookie = f"sessionid={next(iter(personas.values()))['sessionid']}"
                wrk(port, "/bench/bare/", any_cookie, 1)
                bare = wrk(port, "/bench/bare/", any_cookie, opts.seconds)
                rows.setdefault(name, {}).setdefault("bare", []).append((bare.rps, bare.p99_ms))
                log(f"round {r + 1} {name}: bare {bare.rps:,.0f} req/s")
                for page in pages:
                    cookie = f"sessionid={personas[page['role']]['sessionid']}"
                    status, body = bench._get(port, page["path"], cookie)
                    if status != 200 or page["marker"] not in body:
                        raise RuntimeError(f"{page['name']}: HTTP {status} or no marker")
                    wrk(port, page["path"], cookie, 1)
                    w = wrk(port, page["path"], cookie, opts.seconds)
                    rows[name].setdefault(page["name"], []).append(
                        (w.rps / bare.rps, w.p99_ms, w.rps)
                    )
            finally:
                stop(proc, out)
    summary = {
        name: {
            page: {
                "ratio_median": statistics.median(x[0] for x in vals),
                "p99_median_ms": statistics.median(x[1] for x in vals),
                "rps_median": statistics.median(x[2] for x in vals),
                "runs": vals,
            }
            if page != "bare"
            else {
                "rps_median": statistics.median(x[0] for x in vals),
                "p99_median_ms": statistics.median(x[1] for x in vals),
            }
            for page, vals in by_page.items()
        }
        for name, by_page in rows.items()
    }
    result = {
        "compare": opts.compare,
        "rounds": opts.rounds,
        "wrk": f"wrk -t1 -c{opts.connections} -d{opts.seconds}s",
        "load_average_1min": load,
        "machine": harness.machine_info(),
        "variants": summary,
    }
    path = bench.out / f"ab-{opts.compare}.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    names = list(summary)
    print("| page | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    bare = [summary[n]["bare"] for n in names]
    print("| bare view | " + " | ".join(
        f"{b['rps_median']:,.0f} req/s, p99 {b['p99_median_ms']:.0f} ms" for b in bare) + " |")  # fmt: skip
    for page in pages:
        cells = [summary[n][page["name"]] for n in names]
        print(f"| {page['name']} | " + " | ".join(
            f"{c['ratio_median']:.3f} ({c['rps_median']:,.0f} req/s), p99 {c['p99_median_ms']:.0f} ms"
            for c in cells) + " |")  # fmt: skip
    print(f"load average (1 min) at each start: {[round(x, 1) for x in load]}; {path}")


if __name__ == "__main__":
    main()
