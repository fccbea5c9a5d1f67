"""Fast bulk inserts for the hot paths (event import, nightly settlement).

On Postgres rows go in with ``COPY … FROM STDIN`` (ids reserved from the
table's sequence first, so callers can point other rows at them); elsewhere
with ``bulk_create``. Both run inside the caller's transaction, and the
table's constraints, indexes and triggers apply as for any INSERT.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.db import connection, models

from hotwave import pagecache

JSON_COLUMNS = frozenset({"payload"})  # JSONField columns we insert: dumped to text for COPY


def reserve_ids(model: type[models.Model], n: int, *, using=None) -> list[int]:
    """``n`` fresh primary keys from the model's id sequence (Postgres only).

    ``using``: the connection (default: the default connection).
    """
    if n == 0:
        return []
    conn = connection if using is None else using
    with conn.cursor() as cursor:
        # The sequence is looked up once (a MATERIALIZED CTE: inlined, the lookup would
        # run for every id, 5 µs each), and the ids come back as one text value
        # rather than n rows.
        cursor.execute(
            "WITH s AS MATERIALIZED "
            "(SELECT pg_get_serial_sequence(%s, %s)::regclass AS seq) "
            "SELECT string_agg(nextval(s.seq)::text, ',') FROM s CROSS JOIN generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, n],
        )
        return [int(v) for v in cursor.fetchone()[0].split(",")]


def insert_rows(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[tuple], *, with_ids: bool
) -> list[int]:
    """Insert ``rows`` (tuples of ``columns`` by attname); return their new ids if ``with_ids``.

    Every non-null column without a database default must be given.
    """
    if not rows:
        return []
    if connection.vendor == "postgresql":
        ids: list[int] = []
        if with_ids:
            ids = reserve_ids(model, len(rows))
            columns = ["id", *columns]
            rows = [(pk, *row) for pk, row in zip(ids, rows, strict=True)]
        table = connection.ops.quote_name(model._meta.db_table)
        cols = ", ".join(connection.ops.quote_name(c) for c in columns)
        json_cols = [i for i, c in enumerate(columns) if c in JSON_COLUMNS]
        with connection.cursor() as cursor, connection.wrap_database_errors:
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper (errors re-wrapped)
            with raw.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    if json_cols:
                        row = list(row)
                        for i in json_cols:
                            if not isinstance(row[i], str):  # already JSON text
                                row[i] = json.dumps(row[i], ensure_ascii=False)
                    copy.write_row(row)
        pagecache.wrote([model._meta.db_table])  # COPY goes around Django's observed cursor
        return ids
    objs = [model(**dict(zip(columns, row, strict=True))) for row in rows]
    model.objects.bulk_create(objs, batch_size=500)
    return [o.pk for o in objs] if with_ids else []
