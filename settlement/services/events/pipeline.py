"""The order of work: parsed steps applied in line order, on one connection or several.

``ingest`` (the API, and the reference) applies each step in turn on the
caller's connection. ``ingest_file`` (``import_events``) keeps the database
busy: on Postgres, outside a transaction of the caller, ``IMPORT_WRITERS``
threads apply each chunk split by order, each on its own connection
(``apply_steps_in_threads``), while a forked process parses
(``forked.parsed_in_child_process``); elsewhere a background thread parses
ahead (``parsed_ahead``) while the main thread waits for the database. Every
way decides and reports exactly as the plain loop.
"""

from __future__ import annotations

import heapq
import queue
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connection
from django.utils import translation

from settlement.models import EventSource
from settlement.services.events import forked
from settlement.services.events.apply import apply_binding_event, apply_order_events
from settlement.services.events.decide import KnownParties
from settlement.services.events.parse import (
    CHUNK,
    END,
    ERROR,
    OUTCOME,
    REJECTED,
    Outcome,
    Parsed,
    Tally,
    decode_lines,
    plan_steps,
)

CHUNK_SIZE = 20000


def merge_by_line(outcomes: Iterable[Iterable[Outcome]], rejected: list[Outcome]):
    """The outcomes of a chunk's parts and its lines rejected while parsing, by line."""
    return heapq.merge(*outcomes, rejected, key=_line_of)


# A file's chunk naming this many parties not found yet loads them all (KnownParties).
FILE_WHOLE_TABLE_AT = 500


def apply_steps(
    steps: Iterable[tuple[int, object]], *, source: str, parties: KnownParties | None = None
) -> Iterator[Outcome]:
    parties = parties if parties is not None else KnownParties()
    for kind, step in steps:
        if kind == CHUNK:
            events, rejected = step
            outcomes = apply_order_events(events, source=source, parties=parties)
            yield from merge_by_line([outcomes], rejected) if rejected else outcomes
        elif kind == OUTCOME:
            yield step
        else:
            yield apply_binding_event(step, source=source)


def apply_steps_in_threads(
    steps: Iterable[tuple[int, object]],
    *,
    source: str,
    writers: int,
    parties: KnownParties | None = None,
) -> Iterator[Outcome]:
    """``apply_steps`` with each chunk's order events split over ``writers`` threads.

    Events are split by order: all events of one order go to the same writer, in
    the order they came, and each writer applies its parts of successive chunks
    in order, in its own transactions on its own connection. An event's decision
    depends only on its order's stored state and events, the parties and the
    bindings, so every decision is the plain loop's. Outcomes are yielded in
    the plain loop's order: line order (each chunk's merged back by line). Binding events
    wait until every order event before them is committed and run here, as in
    the plain loop, so the order events after them see them.

    The writers never wait on each other: they lock disjoint orders and only
    share-lock creators. The main thread splits the next chunk while the writers
    apply this one (one chunk ahead), so Postgres works on two connections at once.
    """
    language = translation.get_language()
    parties = parties if parties is not None else KnownParties()
    pools = [
        ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"import-events-writer-{i}")
        for i in range(writers)
    ]

    def apply(events: list[Parsed]) -> list[Outcome]:
        with translation.override(language):
            return apply_order_events(events, source=source, parties=parties)

    pending: deque = deque()  # outcomes of a line rejected by parsing, or a chunk's futures

    def drain(keep: int) -> Iterator[Outcome]:
        while len(pending) > keep or (pending and pending[0].__class__ is Outcome):
            head = pending.popleft()
            if head.__class__ is Outcome:
                yield head
            else:
                futures, rejected = head
                yield from merge_by_line([f.result() for f in futures], rejected)

    try:
        for kind, step in steps:
            if kind == CHUNK:
                events, rejected = step
                parts: list[list[Parsed]] = [[] for _ in range(writers)]
                for p in events:
                    parts[hash(p.order_id) % writers].append(p)
                futures = [
                    pool.submit(apply, part)
                    for pool, part in zip(pools, parts, strict=True)
                    if part
                ]
                pending.append((futures, rejected))
                yield from drain(keep=1)
            elif kind == OUTCOME:
                pending.append(step)
                yield from drain(keep=1)
            else:
                yield from drain(keep=0)
                yield apply_binding_event(step, source=source)
        yield from drain(keep=0)
    finally:
        for item in pending:  # after an error: the work not started is dropped
            if item.__class__ is not Outcome:
                for future in item[0]:
                    future.cancel()
        for pool in pools:
            # Each writer closes its own connection, in its own thread, after its work.
            pool.submit(_close_connection)
            pool.shutdown(wait=True)


def _close_connection() -> None:
    connection.close()  # the calling thread's connection (``connection`` is per thread)


def _line_of(outcome: Outcome) -> int:
    return outcome.line


def parsed_ahead(steps: Iterator[tuple[int, object]], *, depth: int = 1) -> Iterator[tuple]:
    """``steps``, produced by a background thread up to ``depth`` steps ahead.

    The thread only parses (no database); the caller applies each step in order, so
    outcomes, their order and every decision are those of the plain loop. While the
    caller waits for Postgres (COPY, commit), the next chunk is being parsed. An
    exception in parsing is raised here after the steps before it, as it would be
    without the thread.
    """
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    language = translation.get_language()  # reasons in the caller's language

    def put(item) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            with translation.override(language):
                for step in steps:
                    if not put(step):
                        return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            put((ERROR, exc))
            return
        put((END, None))

    worker = threading.Thread(target=produce, name="import-events-parse", daemon=True)
    worker.start()
    try:
        while True:
            kind, step = q.get()
            if kind == END:
                return
            if kind == ERROR:
                raise step
            yield kind, step
    finally:
        stop.set()
        worker.join(timeout=1)  # it stops at its next step (or is reading a slow stdin)


def ingest(
    items: Iterable[tuple[int, object]], *, source: str, chunk_size: int = CHUNK_SIZE
) -> Iterator[Outcome]:
    """Apply numbered events in order, yielding one Outcome per event.

    ``items`` yields (line number, decoded JSON object or a Reject for a line
    that did not parse[, the line's JSON text]). Memory stays bounded by ``chunk_size``.
    """
    return apply_steps(plan_steps(items, chunk_size), source=source)


def writer_threads_usable(writers: int) -> bool:
    """Whether order events may go through ``writers`` threads of their own connections.

    Postgres only, and not inside a transaction of the caller: the writers' own
    connections would not see what it has not committed (nor roll back with it).
    """
    return writers > 1 and connection.vendor == "postgresql" and not connection.in_atomic_block


def ingest_file(
    lines: Iterable[str | bytes], *, on_rejected=None, writers: int | None = None
) -> Tally:
    """``import_events``: apply a JSON Lines stream; ``on_rejected(outcome)`` sees each rejection.

    On Postgres, outside a transaction of the caller, ``writers`` (default
    ``settings.IMPORT_WRITERS``) threads apply the order events, each on its own
    connection (``apply_steps_in_threads``), while a forked process parses
    (``forked.parsed_in_child_process``). Otherwise one connection applies them while a
    thread parses (``parsed_ahead``). Both decide and report exactly as the
    plain loop (``ingest``).
    """
    if writers is None:
        writers = settings.IMPORT_WRITERS
    tally = Tally()
    parallel = writer_threads_usable(writers)
    if parallel and forked.forking_is_safe():
        steps = forked.parsed_in_child_process(lines, CHUNK_SIZE)
    else:
        steps = parsed_ahead(plan_steps(decode_lines(lines), CHUNK_SIZE))
    parties = KnownParties(whole_table_at=FILE_WHOLE_TABLE_AT)
    if parallel:
        outcomes = apply_steps_in_threads(
            steps, source=EventSource.FILE, writers=writers, parties=parties
        )
    else:
        outcomes = apply_steps(steps, source=EventSource.FILE, parties=parties)
    try:
        for outcome in outcomes:
            tally.add(outcome, keep=False)
            if outcome.status == REJECTED and on_rejected is not None:
                on_rejected(outcome)
    finally:  # at once, also after an error: the writers, then the parsing thread or process
        outcomes.close()
        steps.close()
    return tally


def ingest_objects(objects: list, *, source: str = EventSource.API) -> Tally:
    """``POST /api/events/``: apply a decoded JSON array; results numbered from 1."""
    tally = Tally()
    for outcome in ingest(enumerate(objects, start=1), source=source):
        tally.add(outcome, keep=True)
    return tally
