"""The 运营 group also sees promotion plans (推广计划), their rates and applications, sample
quotas and requests (申样), and
the rate reconciliation. The map is frozen in ``workbench.operator_group`` (``PERMISSIONS_0009``).
"""

from django.db import migrations

from workbench.operator_group import PERMISSIONS_0008, PERMISSIONS_0009, ensure_operator_group


def apply_0009(apps, schema_editor):
    ensure_operator_group(apps, schema_editor, PERMISSIONS_0009)


def back_to_0008(apps, schema_editor):
    ensure_operator_group(apps, schema_editor, PERMISSIONS_0008)


class Migration(migrations.Migration):
    dependencies = [
        ("workbench", "0008_operator_ratings"),
        ("cooperation", "0009_plans_samples"),
    ]

    operations = [migrations.RunPython(apply_0009, back_to_0008)]
