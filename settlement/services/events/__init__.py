"""Ingestion of order and binding events (SPEC §6), shared by ``import_events`` and the API.

Each event is validated, then applied atomically or not at all:

* an event already applied (same normalised content → same ``key``) is a
  *duplicate* and skipped;
* one that contradicts what is stored, names an unknown party, has a bad
  amount or a rate outside 1%–80%, refunds more than remains, or confirms an
  unknown order is *rejected* with a reason and changes nothing.

The modules, by job:

* ``parse``    — one JSON object → a ``Parsed`` event or a ``Reject`` (fast paths
  over general helpers); lines into steps (chunks of order events, binding
  events between them). No database.
* ``decide``   — a chunk's stored orders, keys, parties and agreements loaded
  (and locked), then every event decided in order, in memory.
* ``write``    — what a chunk accepted, written with a few bulk statements (on
  Postgres, COPY text built with ``pg_text``).
* ``apply``    — a chunk in one transaction, replayed in ever smaller parts on
  a concurrent writer's collision or a refused line; binding events one at a
  time through the binding services.
* ``pipeline`` — the entry points (``ingest``, ``ingest_file``,
  ``ingest_objects``): steps applied in line order, on writer threads with a
  parse-ahead thread or process for files.
* ``forked``   — the forked parsing process of ``ingest_file`` on Postgres.
* ``pg_text``  — COPY text and array literals for Postgres.

Speed (``import_events`` of 200k lines, docs/PERFORMANCE.md): each line is
parsed by orjson and validated by fast paths that fall back to the general
helpers for anything unusual (so every result and reason is theirs);
merchants and creators found once are not looked up again. For files on
Postgres, a forked process parses while writer threads, each on its own
connection, apply each chunk split by order; elsewhere parsing runs in a
background thread while the main thread waits for the database.
"""

from settlement.services.events.parse import (
    ACCEPTED,
    BINDING_TYPES,
    DUPLICATE,
    ORDER_TYPES,
    REJECTED,
    Outcome,
    Parsed,
    Reject,
    Tally,
    decode_lines,
    parse_event,
)
from settlement.services.events.pipeline import CHUNK_SIZE, ingest, ingest_file, ingest_objects

__all__ = [
    "ACCEPTED",
    "BINDING_TYPES",
    "CHUNK_SIZE",
    "DUPLICATE",
    "ORDER_TYPES",
    "REJECTED",
    "Outcome",
    "Parsed",
    "Reject",
    "Tally",
    "decode_lines",
    "ingest",
    "ingest_file",
    "ingest_objects",
    "parse_event",
]
