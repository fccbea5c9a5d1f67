"""运营 may view the audit of dispute thread readings (``PERMISSIONS_0011`` in
``workbench.operator_group``)."""

from django.db import migrations

from workbench.operator_group import PERMISSIONS_0010, PERMISSIONS_0011, ensure_operator_group


def apply_0011(apps, schema_editor):
    ensure_operator_group(apps, schema_editor, PERMISSIONS_0011)


def back_to_0010(apps, schema_editor):
    ensure_operator_group(apps, schema_editor, PERMISSIONS_0010)


class Migration(migrations.Migration):
    dependencies = [
        ("workbench", "0010_operator_reports_queue"),
        ("conversations", "0003_dispute_thread_cards_images"),
    ]

    operations = [migrations.RunPython(apply_0011, back_to_0010)]
