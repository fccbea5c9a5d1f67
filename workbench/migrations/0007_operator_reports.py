"""The 运营 group also sees the email outbox of 通知 (notifications).

The map is frozen in ``workbench.operator_group`` (``PERMISSIONS_0007``).
"""

from django.db import migrations

from workbench.operator_group import PERMISSIONS_0005, PERMISSIONS_0007, ensure_operator_group


def apply_0007(apps, schema_editor):
    ensure_operator_group(apps, schema_editor, PERMISSIONS_0007)


def back_to_0005(apps, schema_editor):
    ensure_operator_group(apps, schema_editor, PERMISSIONS_0005)


class Migration(migrations.Migration):
    dependencies = [
        ("workbench", "0005_operator_disputes"),
        ("notifications", "0001_initial"),
    ]

    operations = [migrations.RunPython(apply_0007, back_to_0005)]
