"""A real Celery worker SIGKILLed in the middle of settlement (issue #8, item 2).

``settlement.tasks.settle_yesterday`` runs ``settle_through`` in chunks of 5,000
orders, each committed with its journals; it is ``acks_late`` because the run is
idempotent. Two ways to lose a worker:

* the whole worker process (solo pool) is killed, then a new worker is started:
  the unacknowledged message is redelivered (after the broker's visibility
  timeout, shortened to 3 s in ``tests/reliability/celery_app.py``) and the run
  finishes;
* the pool child running the task is killed (prefork): the master sees the child
  lost; only ``reject_on_worker_lost=True`` puts the message back — without it
  the message is acknowledged and the night's run is lost until the next one.

Both must converge to the ledger of an uninterrupted run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from hotwave.celery import app
from settlement.models import Order, OrderStatus, Payout
from settlement.services.events import ingest_objects
from settlement.services.reconcile import reconcile
from settlement.tasks import settle_yesterday
from tests.reliability.test_money_model import split
from tests.settlement.factories import confirmed, paid, payable
from tests.workers import worker_command, worker_env

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def _payable_parties(creator):
    """Paid parties are admitted with a verified 收款账户 (SPEC §7; held otherwise)."""
    payable(creator)


ROOT = Path(__file__).resolve().parents[2]
ORDERS = 10_000  # two chunks of 5,000
D = date(2026, 10, 31)


def _start_worker(queue: str, pool: str) -> subprocess.Popen:
    return subprocess.Popen(
        worker_command(
            queue, f"{queue}-{uuid.uuid4().hex[:4]}", app="tests.reliability.celery_app", pool=pool
        ),
        cwd=ROOT,
        env=worker_env(LOG_LEVEL="WARNING"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        out += [int(x) for x in text]
    return out


def _settled() -> int:
    return Order.objects.filter(status=OrderStatus.SETTLED).count()


def _wait(pred, timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return False


@pytest.fixture
def world(merchant, creator):
    events = []
    for i in range(ORDERS):
        events += [
            paid(f"W{i}", merchant, creator, "10.00", "0.2", "2026-10-01T10:00:00+08:00"),
            confirmed(f"W{i}", "2026-10-02T10:00:00+08:00"),
        ]
    assert ingest_objects(events).rejected == 0
    was = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield creator
    app.conf.task_always_eager = was


def _assert_converged(creator):
    assert _settled() == ORDERS
    per = split(Decimal("10.00"), Decimal("0.2"), None)[3]
    payout = Payout.objects.get(account__user=creator)
    assert payout.amount == ORDERS * per
    assert reconcile() == []


def _kill_mid_run(target_pid: int) -> int:
    assert _wait(lambda: _settled() > 0, 60), "the run never started"
    os.kill(target_pid, signal.SIGKILL)
    at_kill = _settled()
    assert 0 < at_kill < ORDERS, at_kill  # really in the middle
    return at_kill


def test_whole_worker_killed_then_restarted_converges(world):
    queue = f"kill-{uuid.uuid4().hex[:8]}"
    worker = _start_worker(queue, "solo")
    replacement = None
    try:
        settle_yesterday.apply_async(args=[D.isoformat()], queue=queue)
        _kill_mid_run(worker.pid)
        worker.wait(10)
        # The unacknowledged message goes back to its queue once the visibility timeout
        # has passed. Kombu's periodic restore in a new worker can lag (its mutex, its
        # timer), so do the same restore now, as the broker client of a restarted worker.
        time.sleep(3.5)
        with app.connection_for_write(
            transport_options={"visibility_timeout": 3, "unacked_mutex_expire": 2}
        ) as conn:
            conn.default_channel.qos.restore_visible(num=100)
        replacement = _start_worker(queue, "solo")
        assert _wait(lambda: _settled() == ORDERS and Payout.objects.exists(), 90, 0.5)
        _assert_converged(world)
    finally:
        for p in (worker, replacement):
            if p is not None and p.poll() is None:
                p.terminate()
                p.wait(10)


def test_pool_child_killed_mid_run_is_redelivered(world):
    queue = f"kill-{uuid.uuid4().hex[:8]}"
    worker = _start_worker(queue, "prefork")
    try:
        assert _wait(lambda: bool(_children(worker.pid)), 30), "no pool child"
        settle_yesterday.apply_async(args=[D.isoformat()], queue=queue)
        assert _wait(lambda: _settled() > 0, 60)
        child = _children(worker.pid)[0]
        _kill_mid_run(child)
        converged = _wait(lambda: _settled() == ORDERS and Payout.objects.exists(), 20, 0.5)
        assert converged, f"stuck at {_settled()} of {ORDERS} orders"
        _assert_converged(world)
    finally:
        worker.terminate()
        worker.wait(10)
