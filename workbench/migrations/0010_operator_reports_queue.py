"""The 运营 group also works the report queue of 消息: reports (view, decide) and the
record of who opened which reported thread (view only). The map is frozen in
``workbench.operator_group`` (``PERMISSIONS_0010``).
"""

from django.db import migrations

from workbench.operator_group import PERMISSIONS_0009, PERMISSIONS_0010, ensure_operator_group


def apply_0010(apps, schema_editor):
    ensure_operator_group(apps, schema_editor, PERMISSIONS_0010)


def back_to_0009(apps, schema_editor):
    ensure_operator_group(apps, schema_editor, PERMISSIONS_0009)


class Migration(migrations.Migration):
    dependencies = [
        ("workbench", "0009_operator_plans"),
        ("conversations", "0002_quota_blocks_reports"),
    ]

    operations = [migrations.RunPython(apply_0010, back_to_0009)]
