"""Drop ``order_product_paid_idx``: no reader left, and the import wrote it for every order.

It served 选品广场's 7-day-orders sort, one product's orders per probe; the square
now reads ``ProductSales``, counted every five minutes from ``order_paid_hot_idx``
(the paid-at range), as 热销商品's ranking is. The other readers by (merchant, SKU)
read other indexes (plans checked on the 1M-order world): the rate reconciliation
walks ``order_paid_hot_idx`` backwards, a task's attributed orders the creator's
``order_creator_paid_idx``, the scorecards' recompute hashes the tasks' SKUs.

Measured on that world: 100,000 orders inserted in one rolled-back statement,
2.14–2.28 s without this index against 2.48–2.71 s with all of them; the bench's
``import_events`` of 100,000 orders, alternating fresh copies: 5.35, 5.41, 5.57 s
with it, 5.04, 4.93, 5.07 s without (CPU of the machine 9.4–9.6 → 8.6–8.8 core-s).
The scorecards' recompute (0.21 s) and the square's sorted page (p99 50 ms) did not
move.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("settlement", "0016_event_key_unique_per_order"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="order",
            name="order_product_paid_idx",
        ),
    ]
