"""generate_load makes a consistent, reproducible world at tiny sizes (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from admission.models import Agency, AgreementSignature, Creator, Merchant, User
from admission.selectors import admitted_creators
from bench.loadgen.generate import (
    LoadGenerator,
    Sizes,
    split_by_weights,
    yuan,
    zipf_cum_weights,
)
from bench.loadgen.sink import Sink
from cooperation.models import Product
from settlement.commission import binding_in_force
from settlement.models import Binding, Order, OrderEvent

pytestmark = pytest.mark.django_db

UNTIL = date(2026, 11, 1)
SIZES = {"creators": 40, "merchants": 6, "products": 25}


def generate(orders: int, *args) -> str:
    out = io.StringIO()
    call_command(
        "generate_load",
        *[f"--{k}={v}" for k, v in SIZES.items()],
        f"--orders={orders}",
        f"--until={UNTIL.isoformat()}",
        "--days=30",
        "--batch-size=100",
        "--quiet",
        *args,
        stdout=out,
    )
    return out.getvalue()


def test_world_has_the_asked_sizes_and_mostly_admitted_parties():
    summary = generate(300)
    assert "300 orders" in summary
    assert Merchant.objects.filter(user__username__startswith="lg_m").count() == 6
    assert Creator.objects.count() == 40
    assert Agency.objects.count() == 1  # one per 40 creators
    assert Product.objects.count() == 25
    assert Order.objects.count() == 300
    assert AgreementSignature.objects.exists()
    assert admitted_creators().count() >= 30
    # Tmall shops point at an operating account of their own.
    for m in Merchant.objects.filter(seller_type="tmall"):
        assert m.operating_account is not None and m.operating_account.merchant


def test_orders_are_frozen_with_the_binding_in_force_at_payment():
    generate(200)
    assert Binding.objects.filter(valid_from__isnull=False).exists()
    agency_orders = 0
    for o in Order.objects.all():
        b = binding_in_force(o.creator_id, o.paid_at)
        assert o.binding_id == (b.pk if b else None)
        assert o.rule == ("agency" if b else "individual")
        if b:
            agency_orders += 1
            assert (o.agency_id, o.agency_share) == (b.agency_id, b.agency_share)
        assert 0 <= o.refunded <= o.amount
        assert o.paid_at.date() < UNTIL
        assert (o.status == "confirmed") == (o.confirmed_at is not None)
        assert o.product_sku.startswith("LG-")
    assert agency_orders > 0


def test_bindings_of_a_creator_never_overlap():
    generate(0)
    for creator_id in Binding.objects.values_list("creator_id", flat=True).distinct():
        spans = list(
            Binding.objects.filter(creator_id=creator_id, valid_from__isnull=False)
            .order_by("valid_from")
            .values_list("valid_from", "valid_to")
        )
        for (_a_from, a_to), (b_from, _b_to) in zip(spans, spans[1:], strict=False):
            assert a_to is not None and a_to <= b_from


def test_popularity_is_skewed():
    generate(400)
    top = Order.objects.filter(creator__user__username="lg_c0000000").count()
    tail = Order.objects.filter(creator__user__username="lg_c0000039").count()
    assert top > 5 * max(tail, 1)


def test_events_match_what_import_events_would_store(tmp_path):
    """The same orders as JSONL import as pure duplicates: same keys, no contradiction."""
    generate(200)
    assert OrderEvent.objects.filter(type="order.paid").count() == 200
    path = tmp_path / "same.jsonl"
    generate(200, f"--jsonl={path}")
    out = io.StringIO()
    call_command("import_events", str(path), stdout=out)
    lines = sum(1 for _ in path.open())
    assert out.getvalue().strip().splitlines()[-1] == f"accepted 0, duplicates {lines}, rejected 0"


def test_jsonl_is_reproducible_and_imports_cleanly(tmp_path):
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    generate(150, f"--jsonl={first}", "--order-prefix=LGI")
    generate(150, f"--jsonl={second}", "--order-prefix=LGI")  # parties reused
    assert first.read_text() == second.read_text()
    assert Order.objects.count() == 0  # JSONL instead of rows
    events = [json.loads(line) for line in first.read_text().splitlines()]
    assert events[0]["type"] == "order.paid" and events[0]["at"].endswith("+08:00")
    assert {e["type"] for e in events} >= {"order.paid", "order.confirmed"}
    out = io.StringIO()
    call_command("import_events", str(first), stdout=out)
    assert (
        out.getvalue().strip().splitlines()[-1]
        == f"accepted {len(events)}, duplicates 0, rejected 0"
    )
    assert Order.objects.count() == 150


def test_a_different_world_in_the_same_database_is_refused():
    generate(10)
    with pytest.raises(CommandError, match="different size"):
        call_command("generate_load", "--creators=41", "--merchants=6", "--products=25",
                     "--orders=0", "--quiet")  # fmt: skip


def test_orders_are_streamed_in_batches():
    calls = []
    gen = LoadGenerator(
        Sizes(orders=500, **SIZES), until=UNTIL, days=10, batch_size=100,
        progress=lambda stage, done, total: calls.append((stage, done)),
    )  # fmt: skip
    gen.run()
    order_calls = [done for stage, done in calls if stage == "orders"]
    assert order_calls[0] == 0 and order_calls[-1] == 500
    assert len(order_calls) >= 6  # one per batch of 100, never all at once
    assert gen.stats.orders == Order.objects.count() == 500


def test_sink_reserves_fresh_ids_beyond_existing_rows():
    generate(0)
    top = User.objects.order_by("-id").values_list("id", flat=True).first()
    ids = Sink().reserve_ids(User, 3)
    assert len(set(ids)) == 3 and min(ids) > top


def test_helpers():
    assert split_by_weights(10, [1, 1, 1]) == [4, 3, 3]
    assert sum(split_by_weights(1_000_003, [0.3, 2.5, 1.1, 7])) == 1_000_003
    cw = zipf_cum_weights(4, 1.0)
    assert cw[0] == 1.0 and cw[-1] == pytest.approx(1 + 1 / 2 + 1 / 3 + 1 / 4)
    assert str(yuan(12345)) == "123.45" and str(yuan(5)) == "0.05" and str(yuan(-101)) == "-1.01"


def test_tasks_move_no_money_and_have_their_history():
    from cooperation.models import Task, TaskState

    generate(0)
    tasks = Task.objects.all()
    assert tasks.count() == 20  # one per two creators
    states = set(tasks.values_list("state", flat=True))
    assert states <= {TaskState.INVITED, TaskState.DECLINED, TaskState.CANCELLED, TaskState.EXPIRED}
    for task in tasks.prefetch_related("items", "transitions"):
        assert task.items.count() >= 1
        assert all(item.product.merchant_id == task.merchant_id for item in task.items.all())
        moves = [t.to_state for t in task.transitions.order_by("at", "pk")]
        assert moves[0] == TaskState.INVITED and moves[-1] == task.state
        assert task.slot_fee == task.creator.quote
