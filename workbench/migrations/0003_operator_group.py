"""The operators' group (运营) with its per-model admin permissions.

What it grants, and why, is in ``workbench.operator_group`` (the demo seed uses
the same function).
"""

from django.db import migrations

from workbench.operator_group import PERMISSIONS_0003, ensure_operator_group, remove_operator_group


def apply_0003(apps, schema_editor):
    ensure_operator_group(apps, schema_editor, PERMISSIONS_0003)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("admission", "0004_agreement_v1"),
        ("settlement", "0004_product_index"),
        ("cooperation", "0003_task_one_open_invitation"),
        ("workbench", "0002_starter_help"),
    ]

    operations = [migrations.RunPython(apply_0003, remove_operator_group)]
