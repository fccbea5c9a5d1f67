"""The bench's page list: every page is the real page as its persona, with pinned query
counts that do not grow with the world (the bench compares tiny and big worlds too)."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench import child
from conversations.models import Message, Thread, ThreadRead
from cooperation.models import Task
from notifications.kinds import render
from notifications.models import Notification

pytestmark = pytest.mark.django_db

UNTIL = date(2026, 11, 1)
SIZES = {"creators": 40, "merchants": 6, "products": 25}

# Queries of each page of bench.child.PAGES on the second (warm) request. A change
# here is a change of the page's cost: say why in the commit.
PINNED = {
    "workbench (merchant)": 17,
    "workbench (creator)": 14,
    "workbench (agency)": 14,
    "主播广场 (default sort)": 7,
    "主播广场 (category, fans ≥ 1000, individual, by fans)": 8,
    "选品广场 (default: 7-day orders)": 11,
    "选品广场 (category, ¥100–300, with a plan, by my earnings)": 11,
    "选品广场 (search, rate 20%–30%, by rate, page 2)": 11,
    "task list (merchant)": 8,
    "task list (creator)": 8,
    "task page with its timeline (merchant)": 10,  # no order named, not live: no orders query
    "conversation thread (creator)": 10,
    "notification center (creator)": 6,
    "notification center (merchant)": 6,
    "资金账户 (creator)": 9,
    "资金账户 (agency)": 9,
    "资金账户 (merchant)": 7,
}


def generate(orders: int, prefix: str) -> None:
    call_command(
        "generate_load",
        *[f"--{k}={v}" for k, v in SIZES.items()],
        f"--orders={orders}",
        f"--order-prefix={prefix}",
        f"--until={UNTIL.isoformat()}",
        "--days=30",
        "--quiet",
        stdout=io.StringIO(),
    )
    call_command("settle", f"--through={UNTIL - timedelta(days=1)}", stdout=io.StringIO())


def measure() -> dict[str, tuple[int, int, bool]]:
    personas = child.pick_personas()
    out = {}
    for page in child.resolve_pages(personas):
        assert "path" in page, page
        client = Client()
        client.force_login(personas[page["role"]])
        client.get(page["path"])  # warm
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(page["path"])
        body = response.content.decode()
        out[page["name"]] = (
            response.status_code,
            len(ctx.captured_queries),
            page["marker"] in body,
        )
    return out


def test_every_bench_page_is_the_real_page_with_pinned_queries_at_two_scales(settings):
    settings.LANGUAGE_CODE = "zh-hans"
    assert {name for name, *_ in child.PAGES} == set(PINNED)
    generate(150, "LGA")
    small = measure()
    assert {n: s for n, (s, _q, _m) in small.items() if s != 200} == {}
    assert [n for n, (_s, _q, marker) in small.items() if not marker] == []
    assert {n: q for n, (_s, q, _m) in small.items()} == PINNED
    # Four times the orders (and their postings) in the same world: the same counts.
    generate(600, "LGB")
    assert measure() == small


def test_generated_world_has_threads_and_notifications_like_the_services_make():
    generate(0, "LGA")
    tasks = {t.pk: t for t in Task.objects.select_related("merchant", "creator")}
    threads = list(Thread.objects.all())
    assert threads and len(threads) < len(tasks)
    for thread in threads:
        task = tasks[thread.task_id]
        assert (thread.merchant_id, thread.creator_id) == (task.merchant_id, task.creator_id)
        msgs = list(Message.objects.filter(thread=thread).order_by("id"))
        assert 1 <= len(msgs) <= 12
        assert {m.sender_id for m in msgs} <= {thread.merchant_id, thread.creator_id}
        assert thread.last_message_at == msgs[-1].created_at
        for read in ThreadRead.objects.filter(thread=thread):
            assert read.last_read_id in {m.pk for m in msgs}
    notes = list(Notification.objects.all())
    assert len(notes) >= len(tasks)  # every invitation reached its creator
    for note in notes:
        task = tasks[int(note.key.split(":")[1])]
        assert note.recipient_id in (task.merchant_id, task.creator_id)
        assert note.url == f"/tasks/{task.pk}/"
        assert task.reference in render(note.kind, note.context)


def test_hotwave_connections_run_without_jit():
    """The pages' statements are estimated above jit_above_cost and would compile."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL setting")
    with connection.cursor() as cur:
        cur.execute("SHOW jit")
        assert cur.fetchone()[0] == "off"
