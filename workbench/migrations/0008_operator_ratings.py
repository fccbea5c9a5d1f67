"""The 运营 group also reads ratings (评价) and may hide an abusive text; scorecards view only.

The map is frozen in ``workbench.operator_group`` (``PERMISSIONS_0008``).
"""

from django.db import migrations

from workbench.operator_group import PERMISSIONS_0005, PERMISSIONS_0008, ensure_operator_group


def apply_0008(apps, schema_editor):
    ensure_operator_group(apps, schema_editor, PERMISSIONS_0008)


def back_to_0005(apps, schema_editor):
    ensure_operator_group(apps, schema_editor, PERMISSIONS_0005)


class Migration(migrations.Migration):
    dependencies = [
        ("workbench", "0005_operator_disputes"),
        ("cooperation", "0008_ratings_scorecards"),
    ]

    operations = [migrations.RunPython(apply_0008, back_to_0005)]
