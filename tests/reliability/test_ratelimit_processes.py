"""The events rate limit holds across processes on every configuration (issue 14, defect 6).

Without Redis the cache is each process's own memory, so the limit was
workers × ``HOTWAVE_EVENTS_RATE`` (1,500 requests in 2 s gave 300 × 429 with
2 workers). Now the counter lives in the database when the cache is not
shared (``hotwave.RateCounter``, one atomic upsert per request). Checked with
real processes: two processes hitting one key (PostgreSQL and SQLite), and
gunicorn with two workers taking a burst over HTTP.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.workers import worker_env

ROOT = Path(__file__).resolve().parents[2]
HITS = """
import django, sys, time
django.setup()
from hotwave.ratelimit import Rate, hit
while time.time() < float(sys.argv[1]):
    time.sleep(0.005)
allowed = sum(hit("events", "203.0.113.7", Rate(20, 60), now=1_800_000_010.0) is None
              for _ in range(30))
print(allowed)
"""


def _without_redis(env: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in env.items() if not k.startswith("REDIS_")}
    return {**env, "DJANGO_SETTINGS_MODULE": "hotwave.settings", "HOTWAVE_EVENTS_RATE": "20/m"}


def _two_processes_hitting_one_key(env: dict[str, str]) -> list[int]:
    start = str(time.time() + 3)  # both past django.setup() before the first hit
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", HITS, start],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=60)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    return [int(out.strip()) for out in outs]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_processes_share_one_budget_on_postgres():
    allowed = _two_processes_hitting_one_key(_without_redis(worker_env()))
    assert sum(allowed) == 20, allowed


@pytest.mark.slow
def test_two_processes_share_one_budget_on_sqlite(tmp_path):
    env = _without_redis(
        {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "DEBUG": "1",
            "SECRET_KEY": "ratelimit-test",
        }
    )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300
    )
    allowed = _two_processes_hitting_one_key(env)
    assert sum(allowed) == 20, allowed


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status(url: str) -> int:
    request = urllib.request.Request(url, data=b"[]", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_gunicorn_with_two_workers_keeps_one_limit():
    port = _free_port()
    env = _without_redis(worker_env())
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "hotwave.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/api/events/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10).close()
                break
            except OSError:  # refused, reset or timed out while the workers boot
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.3)
        answers: list[int] = []
        lock = threading.Lock()

        def burst():
            for _ in range(15):
                status = _status(url)
                with lock:
                    answers.append(status)

        # Unsigned requests count too (401 within the limit, 429 past it); four
        # clients' worth of connections at once reach both workers.
        threads = [threading.Thread(target=burst) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert len(answers) == 60
    assert answers.count(429) == 40, sorted(answers)
    assert answers.count(401) == 20
