# ruff: noqa: S608 - SQL built only from the fixed table and column names below
"""Orders' references proved by the rows their locks found, not looked up a second time.

Migration 0007's statement check (``settlement_order_parties_exist``) first locks,
for each reference (merchant, creator, agency, binding), the rows the statement's
new orders name (``FOR KEY SHARE``), then looks every new order's four references
up again in one ``NOT EXISTS`` per reference and row: four index probes an order,
≈0.4 s of an import of 100,000 orders (26 statements) on the 1M-order world.

The lock already finds each named row once: the number of rows it locked
(``GET DIAGNOSTICS … ROW_COUNT``) equals the number of distinct ids the new
orders name exactly when every one exists. So the check now compares the two
counts, from one pass over the statement's new rows. A row deleted by a
concurrent transaction while the lock waited is not locked, so not counted, and
the insert is refused as before. Same guarantees, same error code
(``foreign_key_violation``); Postgres only.
"""

from importlib import import_module

from django.db import migrations

_0007 = import_module("settlement.migrations.0007_references_per_statement")
ORDER_REFERENCES = _0007.ORDER_REFERENCES
# 0007's function, restored on the way back.
(LOOKED_UP,) = (
    sql for sql in _0007.PG_FORWARD if "OR REPLACE FUNCTION settlement_order_parties_exist" in sql
)

_DECLARE = "\n".join(
    f"    {column}_wanted bigint; {column}_locked bigint;" for _t, _k, column in ORDER_REFERENCES
)
_LOCKS = "\n".join(
    f"    PERFORM 1 FROM {table} r WHERE r.{key} IN (SELECT {column} FROM new_orders) FOR KEY SHARE;\n"
    f"    GET DIAGNOSTICS {column}_locked = ROW_COUNT;"
    for table, key, column in ORDER_REFERENCES
)
_WANTED = (
    "    SELECT "
    + ", ".join(f"count(DISTINCT {column})" for _t, _k, column in ORDER_REFERENCES)
    + " INTO "
    + ", ".join(f"{column}_wanted" for _t, _k, column in ORDER_REFERENCES)
    + " FROM new_orders;"
)
_MISMATCH = " OR ".join(
    f"{column}_locked <> {column}_wanted" for _t, _k, column in ORDER_REFERENCES
)

COUNTED = f"""
CREATE OR REPLACE FUNCTION settlement_order_parties_exist() RETURNS trigger AS $$
DECLARE
{_DECLARE}
BEGIN
{_LOCKS}
{_WANTED}
    IF {_MISMATCH} THEN
        RAISE EXCEPTION 'settlement_order: every order''s parties and binding must exist'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""


def _run(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, None)

    return run


class Migration(migrations.Migration):
    dependencies = [("settlement", "0014_order_autovacuum")]

    operations = [
        migrations.RunPython(_run(COUNTED), _run(LOOKED_UP)),
    ]
