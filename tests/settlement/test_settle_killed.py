"""A settlement process killed (SIGKILL) in the middle, then rerun: exactly one set of postings."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from settlement.models import Journal, JournalKind, Order, OrderStatus, Payout
from settlement.services.events import ingest_objects
from settlement.services.reconcile import reconcile
from settlement.services.settle import settle_through
from tests.settlement.factories import confirmed, paid, payable

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _payable_parties(creator, other_creator):
    """Paid parties are admitted with a verified 收款账户 (SPEC §7; held otherwise)."""
    payable(creator, other_creator)


ROOT = Path(__file__).resolve().parents[2]


def _settle_process(through: str, chunk: int) -> subprocess.Popen:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hotwave.settings",
        "DATABASE_URL": url,
        "DEBUG": "1",
        "HOTWAVE_EVENTS_SECRET": settings.HOTWAVE_EVENTS_SECRET,
    }
    env.pop("REDIS_URL", None)
    return subprocess.Popen(
        [sys.executable, "manage.py", "settle", "--through", through, "--chunk-size", str(chunk)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_killed_run_is_finished_by_the_next(merchant, creator, other_creator):
    events = []
    for i in range(1500):
        who = creator if i % 2 else other_creator
        events += [
            paid(
                f"K{i}",
                merchant,
                who,
                f"{10 + i % 90}.{i % 100:02d}",
                "0.2",
                "2026-10-01T10:00:00+08:00",
            ),
            confirmed(f"K{i}", "2026-10-02T10:00:00+08:00"),
        ]
    assert ingest_objects(events).rejected == 0
    proc = _settle_process("2026-10-31", chunk=20)
    deadline = time.monotonic() + 60
    # Kill it as soon as some (not all) orders are settled.
    while time.monotonic() < deadline:
        n = Order.objects.filter(status=OrderStatus.SETTLED).count()
        if n >= 20 or proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    settled_at_kill = Order.objects.filter(status=OrderStatus.SETTLED).count()
    assert 0 < settled_at_kill < 1500  # killed mid-run
    assert settled_at_kill == Journal.objects.filter(kind=JournalKind.SETTLEMENT).count()
    # The next run (here, in process) finishes the job; nothing is posted twice.
    settle_through(business_date=date(2026, 10, 31))
    assert Order.objects.filter(status=OrderStatus.SETTLED).count() == 1500
    assert Journal.objects.filter(kind=JournalKind.SETTLEMENT).count() == 1500
    assert Payout.objects.count() == 2
    assert reconcile() == []
