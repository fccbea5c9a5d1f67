"""The import's parallel path on Postgres decides exactly as the plain loop (issue 4, import speed).

``ingest_file`` outside a transaction on Postgres parses in a forked process and
applies each chunk's order events on ``IMPORT_WRITERS`` threads, split by order.
Here the same mixed stream (bad lines, duplicates, contradictions, refunds,
binding events between chunks) goes through the plain loop (rolled back) and
through the parallel path (committed: the writers have their own connections):
same rejections in the same order, same counts, same orders, events and
bindings stored. Plus the pieces: the pickled form of parsed events, the array
literals, id reservation, chunk sizes and line order, a parsing error raised
after the steps before it, and the command reading standard input in a real
process.
"""

from __future__ import annotations

import json
import multiprocessing
import pickle
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection

from settlement.models import Order
from settlement.services import bulk
from settlement.services import events as ev
from settlement.services.events import forked as ev_forked
from settlement.services.events import parse as ev_parse
from settlement.services.events import pipeline as ev_pipeline
from settlement.services.events.pg_text import int_array, text_array
from tests.settlement.factories import paid
from tests.settlement.test_import_fast import (
    Exploding,
    _run_and_undo,
    _state,
    _stream,
    mixed_lines,
    run_import_command,
)
from tests.workers import worker_env

pytestmark = [
    pytest.mark.postgres,
    # Under pytest-xdist the worker has threads of its own (execnet), so the import
    # would not fork by itself (``forked.forking_is_safe``); these tests let it, and the
    # child only parses.
    pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning"),
]


@pytest.fixture(autouse=True)
def _fork_allowed(monkeypatch):
    monkeypatch.setattr(ev_forked, "forking_is_safe", lambda: True)


T = "2026-10-05T20:15:00+08:00"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("chunk_size", "writers"), [(7, 2), (40, 3), (5000, 2)])
def test_parallel_path_equals_the_plain_loop(
    monkeypatch, merchant, creator, other_creator, agency_creator, agency, chunk_size, writers
):
    lines = _stream(merchant, creator, other_creator, agency_creator, agency)
    data = [(line + "\n").encode() for line in lines]
    monkeypatch.setattr(ev_pipeline, "CHUNK_SIZE", chunk_size)
    forked = []
    parsed_by_process = ev_forked.parsed_in_child_process

    def spy(lines, size):
        forked.append(size)
        return parsed_by_process(lines, size)

    monkeypatch.setattr(ev_forked, "parsed_in_child_process", spy)

    def plain():
        seen = []
        plain.tally = ev.ingest_file(list(data), on_rejected=seen.append, writers=1)
        return seen

    plain_rejections, plain_state = _run_and_undo(plain)  # in a transaction: the plain loop
    assert not forked and not Order.objects.exists()

    parallel_rejections = []
    tally = ev.ingest_file(list(data), on_rejected=parallel_rejections.append, writers=writers)
    assert forked == [chunk_size], "parsed in a child process"
    assert not multiprocessing.active_children(), "the child is gone"
    assert _other_sessions() == 0, "the writers closed their connections"
    assert _state() == plain_state
    assert [(o.line, o.status, o.type, o.reason, o.code) for o in parallel_rejections] == [
        tuple(o) for o in plain_rejections
    ]
    assert (tally.accepted, tally.duplicates, tally.rejected) == (
        plain.tally.accepted,
        plain.tally.duplicates,
        plain.tally.rejected,
    )
    assert tally.accepted > 100 and tally.duplicates >= 9 and tally.rejected > 10


@pytest.mark.django_db(transaction=True)
def test_parallel_path_reports_a_parse_error_after_the_steps_before_it(merchant, creator):
    lines = [
        json.dumps(paid(f"E{i}", merchant, creator, "10.00", "0.20", T)).encode() for i in range(5)
    ]
    lines.append(Exploding(b"[]"))
    with pytest.raises(RuntimeError, match="reader failed"):
        ev.ingest_file(lines, writers=2)
    assert not multiprocessing.active_children()


@pytest.mark.django_db(transaction=True)
def test_the_command_uses_the_parallel_path_and_prints_rejections_in_line_order(
    monkeypatch, tmp_path, capsys, merchant, creator
):
    monkeypatch.setattr(ev_pipeline, "CHUNK_SIZE", 4)
    lines, expected = mixed_lines(merchant, creator, 30)
    numbers, summary = run_import_command(tmp_path, capsys, lines)
    assert numbers == expected  # bad JSON inside chunks included
    assert summary == f"accepted 30, duplicates 0, rejected {len(expected)}"
    assert Order.objects.count() == 30


def test_forking_is_refused_while_another_thread_runs(monkeypatch):
    monkeypatch.undo()  # the real check
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert ev_forked.forking_is_safe() is False
    finally:
        stop.set()
        thread.join()


def _other_sessions() -> int:
    """Other sessions on the test database (a closed one can linger a moment)."""
    deadline = time.monotonic() + 5
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
            n = cursor.fetchone()[0]
        if n == 0 or time.monotonic() > deadline:
            return n
        time.sleep(0.05)


def test_parsed_events_survive_the_trip_from_the_child():
    at = datetime(2026, 10, 5, 12, 15, 7, 250, tzinfo=UTC)
    items = [
        ev.Parsed(1, "order.paid", "k1", at, None, '{"x": 1}', "O1", "m", "c", "", "p",
                  Decimal("10.50"), Decimal("0.2000"), None, at.isoformat()),
        ev.Parsed(2, "order.refunded", "k2", at, {"a": "b"}, None, "O1",
                  amount=Decimal("1.00"), iso=at.isoformat()),
        ev.Parsed(3, "order.confirmed", "k3", at, None, "{}", "O\\1\t\"x\"", iso=at.isoformat()),
    ]  # fmt: skip
    rejected = [ev.Outcome(4, ev.REJECTED, "", "不是合法的 JSON", "bad_json")]
    packed = ev_forked.pack_step(ev_parse.CHUNK, (items, rejected))
    assert b"decimal" not in pickle.dumps(packed)  # amounts travel as their text
    kind, (data, rejected_after) = ev_forked.unpack_step(*pickle.loads(pickle.dumps(packed)))  # noqa: S301 - our own bytes
    assert kind == ev_parse.CHUNK and rejected_after == rejected
    for before, after in zip(items, data, strict=True):
        for name in ev_forked.PARSED_FIELDS:
            if name == "payload" and before.raw is not None:
                assert after.payload is None  # the text travels, not the object
            else:
                assert getattr(after, name) == getattr(before, name), name
        assert after.at.utcoffset() == before.at.utcoffset()
        # Digits and exponent alike (Decimal("10.5") == Decimal("10.50") would pass above).
        assert str(after.amount) == str(before.amount) and str(after.rate) == str(before.rate)
    binding = ev.Parsed(4, "binding.started", "k4", at, {"creator": "c"}, None, creator="c",
                        agency="a", share=Decimal("0.3000"), iso=at.isoformat())  # fmt: skip
    assert ev_forked.unpack_step(*ev_forked.pack_step(ev_parse.BINDING, binding)) == (
        ev_parse.BINDING,
        binding,
    )
    outcome = ev.Outcome(5, ev.REJECTED, "x", "reason", "code")
    assert ev_forked.unpack_step(*ev_forked.pack_step(ev_parse.OUTCOME, outcome)) == (
        ev_parse.OUTCOME,
        outcome,
    )


@pytest.mark.django_db
def test_array_literals_round_trip_through_postgres():
    texts = [
        "plain",
        'with "quotes"',
        "back\\slash",
        "comma,brace{}",
        " space ",
        "",
        "漢字",
        "NULL",
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT array_agg(v) FROM unnest(%s::text[]) v", [text_array(texts)])
        assert cursor.fetchone()[0] == texts
        cursor.execute("SELECT array_agg(v) FROM unnest(%s::bigint[]) v", [int_array([3, 1, 2])])
        assert cursor.fetchone()[0] == [3, 1, 2]


@pytest.mark.django_db
def test_reserved_ids_are_fresh_and_distinct():
    ids = bulk.reserve_ids(Order, 2500)
    assert len(set(ids)) == 2500 and all(isinstance(i, int) for i in ids)
    again = bulk.reserve_ids(Order, 10, using=connection)
    assert not set(again) & set(ids) and min(again) > max(ids)


def test_chunks_start_small_and_double_up_to_the_chunk_size():
    items = [(n, paid(f"P{n}", "m", "c", "1.00", "0.20", T)) for n in range(1, 101)]
    sizes = [
        len(step[0])
        for kind, step in ev_parse.plan_steps(items, 30, first_size=4)
        if kind == ev_parse.CHUNK
    ]
    assert sizes == [4, 8, 16, 30, 30, 12]
    assert [len(step[0]) for _, step in ev_parse.plan_steps(items, 30)] == [30, 30, 30, 10]


def test_chunks_shrink_again_towards_the_end_of_a_file(tmp_path):
    items = [(n, paid(f"P{n}", "m", "c", "1.00", "0.20", T)) for n in range(1, 201)]
    sizes = [
        len(step[0])
        for kind, step in ev_parse.plan_steps(items, 40, first_size=4, lines_left=lambda n: 200 - n)
        if kind == ev_parse.CHUNK
    ]
    # Up to the chunk size, then half of what is left, never below the first size.
    assert sizes == [4, 8, 16, 32, 40, 40, 30, 15, 7, 4, 4]
    assert sum(sizes) == 200
    # The estimate from a file's bytes: lines of equal length, 10 of 40 read.
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"".join(b"%09d\n" % n for n in range(40)))
    with path.open("rb") as fh:
        left = ev_forked._lines_left(fh)
        for _ in range(10):
            fh.readline()
        assert left(10) == 30
    assert ev_forked._lines_left([b"{}\n"]) is None  # a list of lines: no estimate
    reader, writer = multiprocessing.Pipe(duplex=False)
    with open(reader.fileno(), "rb", closefd=False) as pipe:
        assert ev_forked._lines_left(pipe) is None  # a pipe: no size
    reader.close()
    writer.close()


def test_steps_report_every_line_in_line_order():
    """A line rejected while parsing comes between the chunk's events around it."""
    bad = ev.Reject("不是合法的 JSON", "bad_json")
    items = []
    for n in range(1, 41):
        items.append((n, bad if n % 3 == 0 else paid(f"P{n}", "m", "c", "1.00", "0.20", T)))
    lines = []
    for kind, step in ev_parse.plan_steps(items, 8, first_size=2):
        if kind == ev_parse.CHUNK:
            events, rejected = step
            accepted = [ev.Outcome(p.line, ev.ACCEPTED, p.type) for p in events]
            lines += [o.line for o in ev_pipeline.merge_by_line([accepted], rejected)]
        else:
            lines.append(step.line)
    assert lines == list(range(1, 41))
    # A run of bad lines longer than a chunk closes the chunk: memory stays bounded.
    items = [(1, paid("P1", "m", "c", "1.00", "0.20", T))] + [(n, bad) for n in range(2, 30)]
    steps = list(ev_parse.plan_steps(items, 5))
    assert steps[0][0] == ev_parse.CHUNK and len(steps[0][1][1]) == 5


@pytest.mark.django_db(transaction=True)
def test_the_command_reads_standard_input_through_the_parsing_process(merchant, creator):
    """``import_events -``: the forked parser reads standard input (multiprocessing closes
    ``sys.stdin`` in a child; it gets a descriptor of its own). A real process, so the
    command starts with one thread and forks by itself."""
    lines, expected = mixed_lines(merchant, creator, 12)
    done = subprocess.run(
        [sys.executable, "manage.py", "import_events", "-"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        env=worker_env(IMPORT_WRITERS="2"),
        cwd=settings.BASE_DIR,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    out = done.stdout.strip().splitlines()
    assert [int(x.split(":")[0].removeprefix("line ")) for x in out[:-1]] == expected
    assert out[-1] == f"accepted 12, duplicates 0, rejected {len(expected)}"
    assert Order.objects.count() == 12
