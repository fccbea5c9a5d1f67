"""The order table is vacuumed after every 20,000 inserted rows (settlement migration 0014),
so 资金账户's signature stays an index-only scan over the orders of the last days."""

import pytest
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_orders_are_vacuumed_every_20000_inserts():
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'settlement_order'")
        options = set(cursor.fetchone()[0] or [])
    assert {
        "autovacuum_vacuum_insert_scale_factor=0",
        "autovacuum_vacuum_insert_threshold=20000",
    } <= options
