"""The 运营 group also verifies payout accounts (收款账户): view and change.

Extends 0003's map rather than editing it, so 0003 still runs on a fresh
database before the payout-account table exists. The demo seed resets the
group from the newest map (``workbench.demo.seed_operators``).
"""

from importlib import import_module

from django.db import migrations

base = import_module("workbench.migrations.0003_operator_group")
OPERATORS = base.OPERATORS
OPERATOR_PERMISSIONS = {app: dict(models) for app, models in base.OPERATOR_PERMISSIONS.items()}
OPERATOR_PERMISSIONS["settlement"]["payoutaccount"] = base.VIEW_CHANGE


def ensure_operator_group(apps, schema_editor):
    base.ensure_operator_group(apps, schema_editor, permissions=OPERATOR_PERMISSIONS)


def back_to_0003(apps, schema_editor):
    base.ensure_operator_group(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("workbench", "0003_operator_group"),
        ("settlement", "0008_payout_accounts"),
    ]

    operations = [migrations.RunPython(ensure_operator_group, back_to_0003)]
