"""Orders are vacuumed after every 20,000 inserted rows, not after 20 % of the table.

资金账户's unsettled-estimate signature (settlement/selectors/funds.py) is an index-only
scan of ``order_*_status_idx`` (migration 0013) only for pages the visibility map marks
all-visible, and only VACUUM marks them. With PostgreSQL's default insert threshold
(20 % of the table: 200,000 orders at a million) the orders of the last days stayed
unmarked, and every one of them was a heap fetch: 4 → 27 ms for the signature of the
bench's busiest creator after importing 100,000 orders. PostgreSQL only; SQLite has
no such setting.
"""

from django.db import migrations

SET = (
    "ALTER TABLE settlement_order SET (autovacuum_vacuum_insert_scale_factor = 0,"
    " autovacuum_vacuum_insert_threshold = 20000)"
)
RESET = (
    "ALTER TABLE settlement_order RESET (autovacuum_vacuum_insert_scale_factor,"
    " autovacuum_vacuum_insert_threshold)"
)


def _run(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("settlement", "0013_funds_signature_index_only")]

    operations = [migrations.RunPython(_run(SET), _run(RESET), elidable=False)]
