"""近 7 天订单 of every product, counted in one statement every five minutes.

The product square (选品广场) sorts all promotable products by their orders of the
last 7 days. Counting them per request was the page's cost at a million orders
(a correlated count for each of 20,000 products, ~100 ms, before the page's 24
rows could be chosen); counted once into ``ProductSales`` the sort is a join.
The figures are as of ``SalesSnapshot.computed_at``, which the page shows
("统计于 …"): beat refreshes them every ``SALES_REFRESH_SECONDS``, and a page that
finds them older than ``SALES_STALE_AFTER`` (beat down, or ``make demo`` without
beat) refreshes them first, so they are never older than that.

The rule is settlement's (``figures.paid_orders_by_product``): orders paid at or
after ``computed_at`` − 7 days and not fully refunded, matched to products by
(merchant, SKU).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from cooperation.models import Product, ProductSales, SalesSnapshot
from cooperation.selectors.hot import HOT_WINDOW
from settlement.selectors import figures

SALES_REFRESH_SECONDS = 300  # beat's period (hotwave.settings CELERY_BEAT_SCHEDULE)
SALES_STALE_AFTER = timedelta(minutes=10)  # two periods: one missed beat is not noticed
SNAPSHOT_KEY = "7d"

# "WHERE 1 = 1": SQLite reads INSERT … SELECT … JOIN … ON CONFLICT only with a WHERE.
_UPSERT_SQL = """
INSERT INTO {sales} (product_id, paid_orders, computed_at)
SELECT p.id, r.paid_orders, %s
FROM ({counted}) r
JOIN {product} p ON p.merchant_id = r.merchant_id AND p.sku = r.product_sku
WHERE 1 = 1
ON CONFLICT (product_id) DO UPDATE
SET paid_orders = EXCLUDED.paid_orders, computed_at = EXCLUDED.computed_at
"""


def refresh_product_sales(*, now: datetime | None = None, older_than: timedelta | None = None):
    """Count every product's orders of the 7 days before ``now``; returns the snapshot.

    With ``older_than``, only when the current counts are older than that (checked under
    the lock: of several pages finding them stale at once, one counts, the others read).
    Three statements under the snapshot's row lock: the upsert of every product with
    orders, the delete of the rows it did not write (no order left in the window), the
    snapshot's moment.
    """
    now = now or timezone.now()
    since = now - HOT_WINDOW
    with transaction.atomic():
        SalesSnapshot.objects.get_or_create(
            key=SNAPSHOT_KEY, defaults={"computed_at": now - SALES_STALE_AFTER * 2, "since": since}
        )
        snapshot = SalesSnapshot.objects.select_for_update().get(key=SNAPSHOT_KEY)
        if older_than is not None and snapshot.computed_at >= timezone.now() - older_than:
            return snapshot
        counted, params = figures.paid_orders_by_product(since=since).query.sql_with_params()
        quote = connection.ops.quote_name
        sales_table = quote(ProductSales._meta.db_table)
        sql = _UPSERT_SQL.format(
            sales=sales_table, counted=counted, product=quote(Product._meta.db_table)
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [now, *params])
            cursor.execute(
                f"DELETE FROM {sales_table} WHERE computed_at <> %s",  # noqa: S608 - table name only
                [now],
            )
        snapshot.computed_at, snapshot.since = now, since
        snapshot.save(update_fields=["computed_at", "since"])
    return snapshot


def current_sales() -> SalesSnapshot:
    """The snapshot the square reads: refreshed first when older than SALES_STALE_AFTER
    (one query when fresh)."""
    snapshot = SalesSnapshot.objects.filter(key=SNAPSHOT_KEY).first()
    if snapshot is None or snapshot.computed_at < timezone.now() - SALES_STALE_AFTER:
        snapshot = refresh_product_sales(older_than=SALES_STALE_AFTER)
    return snapshot
