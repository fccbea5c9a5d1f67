"""The 运营 group also reads ratings (评价) and may hide an abusive text; scorecards view only.

The map is frozen in ``workbench.operator_group`` (``PERMISSIONS_0008``).
"""

from django.db import migrations

from workbench.operator_group import PERMISSIONS_0007, PERMISSIONS_0008, ensure_operator_group


def apply_0008(apps, schema_editor):
    ensure_operator_group(apps, schema_editor, PERMISSIONS_0008)


def back_to_0007(apps, schema_editor):
    ensure_operator_group(apps, schema_editor, PERMISSIONS_0007)


class Migration(migrations.Migration):
    dependencies = [
        ("workbench", "0007_operator_reports"),
        ("cooperation", "0008_ratings_scorecards"),
    ]

    operations = [migrations.RunPython(apply_0008, back_to_0007)]
