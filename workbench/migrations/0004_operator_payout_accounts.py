"""The 运营 group also verifies payout accounts (收款账户): view and change.

The map is frozen in ``workbench.operator_group`` (``PERMISSIONS_0004``), so 0003
still runs on a fresh database before the payout-account table exists. The demo
seed resets the group from the newest map (``workbench.demo.seed_operators``).
"""

from django.db import migrations

from workbench.operator_group import PERMISSIONS_0003, PERMISSIONS_0004, ensure_operator_group


def apply_0004(apps, schema_editor):
    ensure_operator_group(apps, schema_editor, PERMISSIONS_0004)


def back_to_0003(apps, schema_editor):
    ensure_operator_group(apps, schema_editor, PERMISSIONS_0003)


class Migration(migrations.Migration):
    dependencies = [
        ("workbench", "0003_operator_group"),
        ("settlement", "0009_payout_accounts"),
    ]

    operations = [migrations.RunPython(apply_0004, back_to_0003)]
