"""Fast row writers for the load generator: PostgreSQL COPY, SQLite bulk_create.

Rows are plain tuples in the order of the ``fields`` (attnames) the caller
names; every other concrete column gets its model default (``auto_now`` /
``auto_now_add`` columns get "now"), so a field added later with a default
does not break the generator. Primary keys the caller needs (to point
foreign keys at) are reserved with :meth:`Sink.reserve_ids`: on PostgreSQL
from the table's own sequence (safe next to concurrent writers), on SQLite
from ``MAX(id)``.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence

from django.db import connection, models
from django.utils import timezone

from settlement.services.bulk import reserve_ids


class Sink:
    """Writes batches of rows of Django models; one instance per command run."""

    def __init__(self, conn=None):
        self.connection = conn or connection
        self.vendor = self.connection.vendor
        self._next_id: dict[type[models.Model], int] = {}
        self._plans: dict[tuple, tuple] = {}
        self.rows_written = 0
        # Seconds spent writing, per table: where a slow load spends its time.
        self.seconds: dict[str, float] = defaultdict(float)

    @property
    def is_postgres(self) -> bool:
        return self.vendor == "postgresql"

    # --- ids ------------------------------------------------------------------------

    def reserve_ids(self, model: type[models.Model], n: int) -> list[int]:
        """``n`` fresh primary keys for ``model`` (an auto-increment pk)."""
        if n <= 0:
            return []
        if self.is_postgres:
            return reserve_ids(model, n, using=self.connection)
        table = model._meta.db_table
        pk_col = model._meta.pk.column
        start = self._next_id.get(model)
        if start is None:
            qn = self.connection.ops.quote_name
            # Table and column come from model metadata, never from input.
            sql = f"SELECT COALESCE(MAX({qn(pk_col)}), 0) FROM {qn(table)}"  # noqa: S608
            with self.connection.cursor() as cur:
                cur.execute(sql)
                start = int(cur.fetchone()[0]) + 1
        self._next_id[model] = start + n
        return list(range(start, start + n))

    # --- rows -----------------------------------------------------------------------

    def _plan(self, model: type[models.Model], fields: Sequence[str]):
        key = (model, tuple(fields))
        plan = self._plans.get(key)
        if plan is not None:
            return plan
        given = set(fields)
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        unknown = given - by_attname.keys()
        if unknown:
            raise ValueError(f"{model.__name__} has no fields {sorted(unknown)}")
        extra_names, extra_values = [], []
        for f in model._meta.concrete_fields:
            if f.attname in given:
                continue
            if f.primary_key and isinstance(f, models.AutoField | models.BigAutoField):
                continue  # the database assigns it
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = timezone.now()
            else:
                value = f.get_default()
            extra_names.append(f.attname)
            extra_values.append(value)
        names = list(fields) + extra_names
        json_positions = [
            i for i, name in enumerate(names) if isinstance(by_attname[name], models.JSONField)
        ]
        columns = [by_attname[name].column for name in names]
        plan = (names, columns, tuple(extra_values), json_positions)
        self._plans[key] = plan
        return plan

    def write(self, model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple]) -> int:
        """Insert ``rows`` (tuples in ``fields`` order); returns the number written."""
        if not rows:
            return 0
        names, columns, extra, json_positions = self._plan(model, fields)
        started = time.monotonic()
        if self.is_postgres:
            self._copy(model, columns, extra, json_positions, rows)
        else:
            objs = [model(**dict(zip(names, row + extra, strict=True))) for row in rows]
            model.objects.bulk_create(objs, batch_size=500)
        self.seconds[model._meta.db_table] += time.monotonic() - started
        self.rows_written += len(rows)
        return len(rows)

    def _copy(self, model, columns, extra, json_positions, rows) -> None:
        from psycopg.types.json import Jsonb

        qn = self.connection.ops.quote_name
        sql = f"COPY {qn(model._meta.db_table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN"
        with self.connection.cursor() as cur, cur.copy(sql) as copy:
            if json_positions:
                for row in rows:
                    full = list(row + extra)
                    for i in json_positions:
                        if full[i] is not None:
                            full[i] = Jsonb(full[i])
                    copy.write_row(full)
            elif extra:
                for row in rows:
                    copy.write_row(row + extra)
            else:
                for row in rows:
                    copy.write_row(row)

    def analyze(self, *models_: type[models.Model]) -> None:
        """Refresh planner statistics after a bulk load (PostgreSQL only)."""
        if not self.is_postgres:
            return
        qn = self.connection.ops.quote_name
        with self.connection.cursor() as cur:
            for model in models_:
                cur.execute(f"ANALYZE {qn(model._meta.db_table)}")
