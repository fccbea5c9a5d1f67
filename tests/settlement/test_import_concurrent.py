"""The same feed imported twice at the same moment (issue 14, defect 1; PostgreSQL).

A retried feed must see duplicates, never false rejections: two imports of one
file of order and binding events, run at once, together accept every line once
and report every line once more as a duplicate; neither rejects anything. The
binding path used to look for the event's key before it took the creator's row
lock, so the import that waited for the lock then found the other's committed
binding and reported "该达人此时已绑定机构…须先解除" / "没有生效中的绑定".

Real concurrency each time: threads with their own connections (the service),
two ``manage.py import_events`` processes (the command) and two requests at
once to a live server (``POST /api/events/``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connections

from settlement.api import SIGNATURE_HEADER, sign
from settlement.models import Binding, Order, OrderEvent
from settlement.services import bindings as binding_services
from settlement.services.events import ingest_objects
from tests.admission.factories import AgencyFactory, CreatorFactory, MerchantFactory
from tests.settlement.factories import confirmed, ended, paid, started
from tests.workers import worker_env

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def _feed(creators: int = 10) -> list[dict]:
    """Per creator: bound, two orders (one bound, one after the end), ended; mixed in one file."""
    merchant = MerchantFactory().user
    agency = AgencyFactory().user
    lines: list[dict] = []
    for i in range(creators):
        c = CreatorFactory().user
        lines += [
            started(c, agency, "0.30", "2026-10-01T00:00:00+08:00"),
            paid(f"B{i}", merchant, c, "100.00", "0.20", "2026-10-03T10:00:00+08:00"),
            confirmed(f"B{i}", "2026-10-04T10:00:00+08:00"),
            ended(c, agency, "2026-10-10T00:00:00+08:00"),
            paid(f"I{i}", merchant, c, "50.00", "0.10", "2026-10-12T10:00:00+08:00"),
        ]
    return lines


def _in_threads(fns) -> list:
    barrier = threading.Barrier(len(fns))
    results: list = [None] * len(fns)
    errors: list = []

    def run(i, fn):
        try:
            barrier.wait()
            results[i] = fn()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    return results


def _slow_binding_changes(monkeypatch, seconds: float = 0.3):
    """Hold the creator's lock a while in every binding change, so the two imports
    meet on it: each has looked for the event before the other committed it."""
    start, end = binding_services._start, binding_services._end

    def slow_start(*args, **kwargs):
        time.sleep(seconds)
        return start(*args, **kwargs)

    def slow_end(*args, **kwargs):
        time.sleep(seconds)
        return end(*args, **kwargs)

    monkeypatch.setattr(binding_services, "_start", slow_start)
    monkeypatch.setattr(binding_services, "_end", slow_end)


def _assert_stored_once(feed: list[dict]) -> None:
    assert OrderEvent.objects.count() == len(feed)
    creators = sum(1 for e in feed if e["type"] == "binding.started")
    assert Binding.objects.filter(status="ended").count() == creators
    assert Order.objects.filter(rule="agency").count() == creators
    assert Order.objects.filter(rule="individual").count() == creators


def test_the_service_twice_at_once_sees_duplicates(monkeypatch):
    feed = _feed(creators=3)
    _slow_binding_changes(monkeypatch)
    tallies = _in_threads([lambda: ingest_objects(feed), lambda: ingest_objects(feed)])
    assert [t.rejected for t in tallies] == [0, 0], [
        o.reason for t in tallies for o in t.outcomes if o.status == "rejected"
    ]
    assert sum(t.accepted for t in tallies) == len(feed)
    assert sum(t.duplicates for t in tallies) == len(feed)
    _assert_stored_once(feed)


def test_the_command_twice_at_once_sees_duplicates(tmp_path):
    feed = _feed(creators=40)
    path = tmp_path / "feed.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in feed), encoding="utf-8")
    env = worker_env()
    command = [sys.executable, "manage.py", "import_events", str(path)]
    # Two processes, started together: each parses, then meets the other on every line.
    procs = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=180)[0] for p in procs]
    lasts = [out.strip().splitlines()[-1] for out in outputs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    counts = [[int(part.split()[1]) for part in last.split(", ")] for last in lasts]
    assert [c[2] for c in counts] == [0, 0], lasts  # nothing rejected
    assert sum(c[0] for c in counts) == len(feed), lasts
    assert sum(c[1] for c in counts) == len(feed), lasts
    _assert_stored_once(feed)


def _post(url: str, body: bytes) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=body,
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(body)},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.status, json.loads(response.read())


def test_the_endpoint_twice_at_once_sees_duplicates(live_server, settings, monkeypatch):
    settings.HOTWAVE_EVENTS_RATE = ""
    feed = _feed(creators=3)
    body = json.dumps(feed).encode()
    _slow_binding_changes(monkeypatch)  # the live server runs in this process
    url = f"{live_server.url}/api/events/"
    answers = _in_threads([lambda: _post(url, body), lambda: _post(url, body)])
    assert [status for status, _ in answers] == [200, 200]
    results = [a for _, a in answers]
    assert [r["rejected"] for r in results] == [0, 0], [
        x for r in results for x in r["results"] if x["status"] == "rejected"
    ]
    assert sum(r["accepted"] for r in results) == len(feed)
    assert sum(r["duplicates"] for r in results) == len(feed)
    _assert_stored_once(feed)
