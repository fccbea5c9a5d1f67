"""Parsing an import file in a forked child process, while the parent's threads write.

Parsing is about half of the import's Python time; in a thread it holds the
GIL the writer threads need, so for files on Postgres it runs in a child
process on the other core (``pipeline.ingest_file``). The child only reads
the lines and parses (no database); each step comes back pickled as plain
tuples (``pack_step`` / ``unpack_step``).
"""

from __future__ import annotations

import multiprocessing
import operator
import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import fields
from datetime import datetime
from decimal import Decimal

from settlement.services.events.parse import (
    BINDING,
    CHUNK,
    END,
    ERROR,
    Outcome,
    Parsed,
    decode_lines,
    plan_steps,
)


def parsed_in_child_process(lines: Iterable[str | bytes], chunk_size: int) -> Iterator[tuple]:
    """``plan_steps(decode_lines(lines))`` computed in a forked child process.

    Parsing is about half of the import's Python time; in a thread it holds the
    GIL the writer threads need, so here it runs on the other core. The child
    only reads ``lines`` and parses (no database: it never touches the
    connections it inherits, and leaves without running their finalisers); each
    step comes back pickled as plain tuples, which the parent unpickles and
    rebuilds in ≈3 µs an event instead of ≈20 µs to parse.
    The pipe holds the child about one step ahead. Steps, their order and an
    exception raised while parsing (after the steps before it) are exactly
    ``pipeline.parsed_ahead``'s.
    """
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    source = _readable_by_child(lines)

    def produce() -> None:
        receiver.close()
        try:
            # The writers wait for the first chunk: it is small (then chunks double).
            first = max(1, chunk_size // 16)
            steps = plan_steps(
                decode_lines(source), chunk_size, first_size=first, lines_left=_lines_left(source)
            )
            for kind, step in steps:
                sender.send(pack_step(kind, step))
        except BaseException as exc:  # noqa: BLE001 - handed to the parent, raised there
            try:
                sender.send((ERROR, exc))
            except Exception:  # noqa: BLE001 - an exception that does not pickle
                sender.send((ERROR, RuntimeError(repr(exc))))
            return
        sender.send((END, None))

    child = context.Process(target=produce, name="import-events-parse", daemon=True)
    child.start()
    sender.close()  # only the child writes
    if source is not lines:
        source.close()  # the child's copy of standard input: only the child reads it
    try:
        while True:
            try:
                kind, data = receiver.recv()
            except EOFError:
                raise RuntimeError("the parsing process of import_events ended early") from None
            if kind == END:
                return
            if kind == ERROR:
                raise data
            yield unpack_step(kind, data)
    finally:
        receiver.close()
        if child.is_alive():
            child.terminate()
        child.join()


def _readable_by_child(lines: Iterable[str | bytes]) -> Iterable[str | bytes]:
    """``lines`` as the forked child can read them.

    multiprocessing closes ``sys.stdin`` in the child; standard input is handed
    over as a new descriptor of it (read as bytes, nothing read from it yet).
    """
    if lines is sys.stdin or lines is getattr(sys.stdin, "buffer", None):
        return os.fdopen(os.dup(lines.fileno()), "rb")
    return lines


def _lines_left(source) -> Callable[[int], int | None] | None:
    """For a regular file: the lines still to come after line ``n``, from the bytes left.

    The average length of the lines read so far, applied to the bytes not read yet
    (the file's size less the reading position). None for a pipe or a list of lines.
    """
    try:
        status, tell = os.fstat(source.fileno()), source.tell
    except (AttributeError, OSError, ValueError):
        return None
    if not stat.S_ISREG(status.st_mode):
        return None
    size = status.st_size

    def left(n: int) -> int | None:
        try:
            position = tell()
        except (OSError, ValueError):
            return None
        return (size - position) * n // position if position > 0 and n > 0 else None

    return left


PARSED_FIELDS = tuple(f.name for f in fields(Parsed))
_parsed_values = operator.attrgetter(*PARSED_FIELDS)
# An order event travels without ``at`` (rebuilt from ``iso``, its exact UTC text:
# pickling datetimes is a third of the cost), without ``payload`` when it has its
# JSON text ``raw`` (the only form of the object an order event's write uses), and
# with its amount and rate as their exact text (``Decimal(str(d)) == d``, digits and
# exponent alike): pickling and unpickling a Decimal costs ≈1.5 µs more than its
# text and a Decimal() of it. (``share`` is None for every order event.)
_SENT = ("line", "type", "key", *PARSED_FIELDS[PARSED_FIELDS.index("raw") :])
_sent_values = operator.attrgetter(*_SENT)
assert PARSED_FIELDS[3:5] == ("at", "payload") and _SENT[-1] == "iso"  # noqa: S101 - layout
assert _SENT[9:11] == ("amount", "rate")  # noqa: S101 - layout


def _sent(p: Parsed) -> tuple:
    v = _sent_values(p)
    amount, rate = v[9], v[10]
    return (
        *v[:9],
        None if amount is None else str(amount),
        None if rate is None else str(rate),
        *v[11:],
        None if p.raw is not None else p.payload,
    )


def pack_step(kind: int, step):
    if kind == CHUNK:
        events, rejected = step
        return kind, ([_sent(p) for p in events], [_outcome_values(o) for o in rejected])
    if kind == BINDING:
        return kind, _parsed_values(step)
    return kind, _outcome_values(step)  # OUTCOME


def _received(v: tuple, at=datetime.fromisoformat, D=Decimal) -> Parsed:  # noqa: N803
    """The Parsed event of ``_sent``'s tuple."""
    amount, rate = v[9], v[10]
    return Parsed(
        *v[:3],
        at(v[12]),
        v[13],
        *v[3:9],
        None if amount is None else D(amount),
        None if rate is None else D(rate),
        v[11],
        v[12],
    )


def unpack_step(kind: int, data):
    if kind == CHUNK:
        events, rejected = data
        return kind, ([_received(v) for v in events], [Outcome(*v) for v in rejected])
    if kind == BINDING:
        return kind, Parsed(*data)
    return kind, Outcome(*data)


def _outcome_values(o: Outcome) -> tuple:
    return (o.line, o.status, o.type, o.reason, o.code)


def forking_is_safe() -> bool:
    """Fork only on Linux and from a process with no other thread (no lock held elsewhere).

    Counted by the kernel, as Python's own fork warning does: threads started
    without ``threading`` (by a C library, or a test runner) count too.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False
