"""The demo world for browser tests: seeded once per test process, then copied back.

``seed_demo`` runs the whole product (admission, tasks, settlement, images): about
20 s of CPU, a minute or more on a busy machine. Browser journeys each need the same
world, and a transactional test's flush empties it after every test. On PostgreSQL
the first journey of a process seeds it and keeps a copy of every table (``COPY …
TO STDOUT`` in binary) and of the media files; the next ones truncate the tables and
``COPY`` the rows back (well under a second for the ~25,000 rows), which leaves the
database as the seed left it, row for row.

The world is made relative to the clock (deadlines in 72 h, orders of the last 30
days), so a copy is used only while it is young (``MAX_AGE_SECONDS``) and while it
is still the same day in Asia/Shanghai; otherwise the world is seeded again. On
SQLite every call seeds.

Sequences are never moved back: a copied row keeps its id and new rows get ids above
every id the process has handed out.

One copy per set of ``seed_demo`` arguments (the whole world, ``--users-only``): the
journeys of a process alternate between the two, and with a single copy each switch
seeded again (half a minute each, a dozen times a run).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

MAX_AGE_SECONDS = 600
SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class _Snapshot:
    args: tuple[str, ...]
    taken: float  # time.monotonic()
    day: date  # Asia/Shanghai
    tables: dict[str, bytes]
    sequences: dict[str, int]
    media: Path | None

    def usable_for(self, args: tuple[str, ...]) -> bool:
        return (
            self.args == args
            and time.monotonic() - self.taken < MAX_AGE_SECONDS
            and _today() == self.day
        )


_snapshots: dict[tuple[str, ...], _Snapshot] = {}


def _today() -> date:
    from django.utils import timezone

    return timezone.now().astimezone(SHANGHAI).date()


def seed_demo_world(*args: str) -> None:
    """``seed_demo --force *args``, or the copy this process kept of its last run."""
    from django.db import connection

    if connection.vendor != "postgresql":
        _seed(args)
        return
    snapshot = _snapshots.get(args)
    if snapshot is not None and snapshot.usable_for(args):
        _restore(snapshot)
        return
    _seed(args)
    _snapshots[args] = _take(args)


def _seed(args: tuple[str, ...]) -> None:
    from django.core.management import call_command

    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", "--force", *args, stdout=quiet)


def _tables(cursor) -> list[str]:
    cursor.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        " AND tablename <> 'django_migrations' ORDER BY tablename"
    )
    return [name for (name,) in cursor.fetchall()]


def _take(args: tuple[str, ...]) -> _Snapshot:
    from django.conf import settings
    from django.db import connection

    tables: dict[str, bytes] = {}
    with connection.cursor() as cursor:
        for name in _tables(cursor):
            with cursor.copy(f'COPY "{name}" TO STDOUT (FORMAT binary)') as copy:
                tables[name] = b"".join(bytes(chunk) for chunk in copy)
        cursor.execute(
            "SELECT sequencename, last_value FROM pg_sequences"
            " WHERE schemaname = current_schema() AND last_value IS NOT NULL"
        )
        sequences = dict(cursor.fetchall())
    media = None
    root = Path(settings.MEDIA_ROOT)
    if root.is_dir():
        media = Path(tempfile.mkdtemp(prefix="hotwave-demo-media-"))
        shutil.copytree(root, media, dirs_exist_ok=True)
    return _Snapshot(args, time.monotonic(), _today(), tables, sequences, media)


def _restore(snapshot: _Snapshot) -> None:
    from django.conf import settings
    from django.db import connection, transaction

    names = list(snapshot.tables)
    # Inside a test's transaction (pytest-django's ``db``), rows written before may have
    # foreign-key checks queued, and TRUNCATE refuses a table with pending trigger
    # events: run them now, and defer the deferrable constraints again afterwards
    # (every one of ours is INITIALLY DEFERRED).
    nested = connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if nested:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        # The copy is consistent as a whole: no triggers (append-only postings,
        # maintained counters) and no foreign-key checks while it goes back in — and
        # both on again for whatever the test does next in the same transaction.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("TRUNCATE " + ", ".join(f'"{n}"' for n in names))
        for name in names:
            data = snapshot.tables[name]
            if not data:
                continue
            with cursor.copy(f'COPY "{name}" FROM STDIN (FORMAT binary)') as copy:
                copy.write(data)
        cursor.execute("SET LOCAL session_replication_role = origin")
        if nested:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for sequence, last in snapshot.sequences.items():
            cursor.execute(
                "SELECT setval(%s::regclass, GREATEST(%s, (SELECT last_value FROM pg_sequences"
                " WHERE schemaname = current_schema() AND sequencename = %s)))",
                [sequence, last, sequence],
            )
    if snapshot.media is not None:
        shutil.copytree(snapshot.media, settings.MEDIA_ROOT, dirs_exist_ok=True)
