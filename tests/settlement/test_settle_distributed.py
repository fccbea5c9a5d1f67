"""The nightly settlement spread over TWO real Celery worker processes (issue #7, item 4).

``settle_yesterday`` plans the night's id ranges, sends a helper task
(``settle_ranges``) to the other worker, claims ranges itself, then runs the
final step (pay out, mark the run done). The ledger must be exactly the one a
single-process ``settle_through`` writes on the same data — compared here with a
single-process run of the same world done first inside a transaction that is
rolled back.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

import pytest
from django.db import connection, transaction

from hotwave.celery import app
from settlement.models import Journal, Order, OrderStatus, Payout, RunStatus, SettlementRun
from settlement.services.events import ingest_objects
from settlement.services.reconcile import reconcile
from settlement.services.settle import plan_run, settle_through, work_ranges
from settlement.tasks import settle_yesterday
from tests.settlement.factories import confirmed, paid, refunded, started
from tests.settlement.test_settle_sql import canonical_ledger
from tests.workers import worker_command, worker_env

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
D1 = date(2026, 10, 10)
D2 = date(2026, 10, 31)
RECEIVED = re.compile(r"Task settlement\.tasks\.(\w+)\[[^\]]+\] received")


def _start_worker(queue: str, name: str, log: Path) -> subprocess.Popen:
    env = worker_env(PYTHONUNBUFFERED="1")  # the log is read by the test
    with log.open("wb") as out:
        return subprocess.Popen(
            worker_command(queue, name, loglevel="info"),
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


@pytest.fixture
def two_workers():
    """Two worker processes (solo pool each) consuming one private queue."""
    queue = f"settle-{uuid.uuid4().hex[:8]}"
    logs = Path(tempfile.mkdtemp(prefix="hw-settle-workers-"))
    names = [f"{queue}-{i}" for i in range(2)]
    procs = [_start_worker(queue, n, logs / f"{n}.log") for n in names]
    was_eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        host = os.uname().nodename
        for name, proc in zip(names, procs, strict=True):
            deadline = time.monotonic() + 40
            while not app.control.ping(destination=[f"{name}@{host}"], timeout=0.5):
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        f"worker {name} did not start: {(logs / f'{name}.log').read_text()}"
                    )
        yield queue, [logs / f"{n}.log" for n in names]
    finally:
        app.conf.task_always_eager = was_eager
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _single_process_ledger():
    """The ledger a single-process run writes for the second night, then undone."""
    with transaction.atomic():
        settle_through(business_date=D2, chunk_size=100)
        want = canonical_ledger()
        transaction.set_rollback(True)
    return want


def _world(merchant, creator, agency_creator, agency, other_creator):
    """1,200 orders over two nights; refunds between them (clawbacks on the second)."""
    events = [started(agency_creator, agency, "0.33", "2026-09-01T00:00:00+08:00")]
    whos = [creator, agency_creator, other_creator]
    for i in range(1200):
        day = 2 + i % 20  # confirmed 2026-10-03 … 2026-10-22
        events += [
            paid(
                f"P{i}",
                merchant,
                whos[i % 3],
                f"{10 + i % 97}.{i % 100:02d}",
                f"0.{10 + i % 50:02d}",
                f"2026-10-{day:02d}T10:00:00+08:00",
            ),  # fmt: skip
            confirmed(f"P{i}", f"2026-10-{day + 1:02d}T10:00:00+08:00"),
        ]
    assert ingest_objects(events).rejected == 0
    settle_through(business_date=D1)  # the first night, single process, committed
    refunds = [refunded(f"P{i}", "1.05", "2026-10-23T10:00:00+08:00") for i in range(0, 1200, 7)]
    assert ingest_objects(refunds).rejected == 0


@pytest.mark.celery_worker
@pytest.mark.redis
@pytest.mark.slow
def test_two_workers_write_the_ledger_of_a_single_process_run(
    two_workers, merchant, creator, agency_creator, agency, other_creator
):
    queue, logs = two_workers
    _world(merchant, creator, agency_creator, agency, other_creator)
    assert Order.objects.filter(status=OrderStatus.CONFIRMED).count() > 600
    want = _single_process_ledger()
    assert not Payout.objects.filter(business_date=D2).exists()

    result = settle_yesterday.apply_async(
        args=[D2.isoformat()], kwargs={"workers": 2, "chunk_size": 100}, queue=queue
    )
    text = result.get(timeout=180)
    assert "2 tasks" in text
    assert canonical_ledger() == want
    assert reconcile() == []
    run = SettlementRun.objects.get(business_date=D2)
    assert run.status == RunStatus.DONE
    assert run.orders_settled == Order.objects.filter(settled_on=D2).count()
    assert run.clawbacks == Journal.objects.filter(kind="clawback").count() > 0
    # The helper went to the other worker process (each logs the tasks it receives).
    deadline = time.monotonic() + 20
    while True:
        done = [set(RECEIVED.findall(log.read_text(errors="replace"))) for log in logs]
        if set().union(*done) >= {"settle_yesterday", "settle_ranges"}:
            break
        assert time.monotonic() < deadline, done
        time.sleep(0.2)
    assert sorted(done, key=sorted) == [{"settle_ranges"}, {"settle_yesterday"}], done

    # Beat firing again for the same night changes nothing.
    settle_yesterday.apply_async(
        args=[D2.isoformat()], kwargs={"workers": 2, "chunk_size": 100}, queue=queue
    ).get(timeout=120)
    assert canonical_ledger() == want
    assert Payout.objects.filter(business_date=D2).count() == len(
        [p for p in want["payouts"] if p[1] == D2]
    )


def test_ranges_cover_every_order_and_workers_share_them(
    merchant, creator, agency_creator, agency, other_creator
):
    """Without Celery: two claimers over the same plan, then the final step."""
    _world(merchant, creator, agency_creator, agency, other_creator)
    want = _single_process_ledger()
    plan = plan_run(business_date=D2, chunk_size=100)
    assert len(plan["settle"]) >= 6 and plan["settle"][0][0] == 0
    assert all(a[1] == b[0] for a, b in zip(plan["settle"], plan["settle"][1:], strict=False))
    SettlementRun.objects.get_or_create(business_date=D2)
    a = work_ranges(business_date=D2, plan=plan, start=0, workers=2)
    b = work_ranges(business_date=D2, plan=plan, start=1, workers=2)  # finds all done
    assert b.orders_settled == 0 and a.orders_settled > 600
    assert not Payout.objects.filter(business_date=D2).exists()  # the final step pays out
    settle_through(business_date=D2, chunk_size=100)
    assert canonical_ledger() == want
    assert reconcile() == []


def test_a_range_held_by_another_worker_is_skipped(
    merchant, creator, agency_creator, agency, other_creator
):
    """Claims are advisory locks: a second connection skips the range the first holds."""
    import threading

    _world(merchant, creator, agency_creator, agency, other_creator)
    plan = plan_run(business_date=D2, chunk_size=100)
    first = plan["settle"][0]
    key = f"hotwave-settle:{D2.isoformat()}:settle:{first[0]}"
    held, release = threading.Event(), threading.Event()

    def hold():
        with connection.cursor() as cursor, transaction.atomic():
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])
            held.set()
            release.wait(30)
        connection.close()

    t = threading.Thread(target=hold)
    t.start()
    try:
        assert held.wait(10)
        done = work_ranges(business_date=D2, plan={"settle": [first]}, start=0, workers=1)
        assert done.orders_settled == 0
    finally:
        release.set()
        t.join()
    done = work_ranges(business_date=D2, plan={"settle": [first]}, start=0, workers=1)
    assert done.orders_settled > 0


@pytest.mark.celery_worker
@pytest.mark.redis
@pytest.mark.slow
def test_beat_firing_twice_at_once_on_two_workers_posts_once(
    two_workers, merchant, creator, agency_creator, agency, other_creator
):
    queue, _ = two_workers
    _world(merchant, creator, agency_creator, agency, other_creator)
    want = _single_process_ledger()
    results = [
        settle_yesterday.apply_async(
            args=[D2.isoformat()], kwargs={"workers": 2, "chunk_size": 100}, queue=queue
        )
        for _ in range(2)
    ]
    for result in results:
        result.get(timeout=180)
    assert canonical_ledger() == want
    assert reconcile() == []
    assert SettlementRun.objects.get(business_date=D2).status == RunStatus.DONE


def test_settle_command_with_two_threads_writes_the_single_process_ledger(
    merchant, creator, agency_creator, agency, other_creator
):
    """``manage.py settle --workers 2``: the same ranges shared by two threads (each its
    own connection) — the ledger of a single-process run, and a rerun changes nothing."""
    from io import StringIO

    from django.core.management import call_command

    _world(merchant, creator, agency_creator, agency, other_creator)
    want = _single_process_ledger()

    out = StringIO()
    call_command("settle", "--through", D2.isoformat(), "--workers", "2", "--chunk-size", "100",
                 stdout=out)  # fmt: skip
    assert canonical_ledger() == want
    assert reconcile() == []
    run = SettlementRun.objects.get(business_date=D2)
    assert run.status == RunStatus.DONE
    assert f"{run.orders_settled} orders settled" in out.getvalue()
    assert run.orders_settled == Order.objects.filter(settled_on=D2).count() > 600

    call_command("settle", "--through", D2.isoformat(), "--workers", "2", stdout=StringIO())
    assert canonical_ledger() == want


def test_settle_command_refuses_bad_worker_counts():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="at least 1"):
        call_command("settle", "--through", D2.isoformat(), "--workers", "0")
    with pytest.raises(CommandError, match="SQL kernel"):
        call_command("settle", "--through", D2.isoformat(), "--workers", "2", "--kernel", "python")
