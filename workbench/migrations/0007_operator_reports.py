"""The 运营 group also sees the email outbox of 通知 (notifications).

The map is frozen in ``workbench.operator_group`` (``PERMISSIONS_0007``).
"""

from django.db import migrations

from workbench.operator_group import PERMISSIONS_0006, PERMISSIONS_0007, ensure_operator_group


def apply_0007(apps, schema_editor):
    ensure_operator_group(apps, schema_editor, PERMISSIONS_0007)


def back_to_0006(apps, schema_editor):
    ensure_operator_group(apps, schema_editor, PERMISSIONS_0006)


class Migration(migrations.Migration):
    dependencies = [
        ("workbench", "0006_operator_money"),
        ("notifications", "0001_initial"),
    ]

    operations = [migrations.RunPython(apply_0007, back_to_0006)]
