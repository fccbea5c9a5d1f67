"""The 运营 group grants merchants credit (授信额度), sees top-ups (充值) and shortfalls,
exports payout batches (打款批次) and uploads their results.

The map is frozen in ``workbench.operator_group`` (``PERMISSIONS_0006``).
"""

from django.db import migrations

from workbench.operator_group import PERMISSIONS_0005, PERMISSIONS_0006, ensure_operator_group


def apply_0006(apps, schema_editor):
    ensure_operator_group(apps, schema_editor, PERMISSIONS_0006)


def back_to_0005(apps, schema_editor):
    ensure_operator_group(apps, schema_editor, PERMISSIONS_0005)


class Migration(migrations.Migration):
    dependencies = [
        ("workbench", "0005_operator_disputes"),
        ("settlement", "0011_money_in_and_out"),
    ]

    operations = [migrations.RunPython(apply_0006, back_to_0005)]
