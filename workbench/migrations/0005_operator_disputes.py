"""The 运营 group also sees and decides disputes (争议), and sees task timelines.

The map is frozen in ``workbench.operator_group`` (``PERMISSIONS_0005``).
"""

from django.db import migrations

from workbench.operator_group import PERMISSIONS_0004, PERMISSIONS_0005, ensure_operator_group


def apply_0005(apps, schema_editor):
    ensure_operator_group(apps, schema_editor, PERMISSIONS_0005)


def back_to_0004(apps, schema_editor):
    ensure_operator_group(apps, schema_editor, PERMISSIONS_0004)


class Migration(migrations.Migration):
    dependencies = [
        ("workbench", "0004_operator_payout_accounts"),
        ("cooperation", "0006_deadlines_disputes_modes"),
    ]

    operations = [migrations.RunPython(apply_0005, back_to_0004)]
