"""Starter help-center content on a fresh install (Chinese and English).

Creates the categories and articles of ``workbench.starter_content`` that are
missing (by slug); never overwrites what operators have edited. Reversing
removes nothing: operators may have changed the articles since.
"""

from django.db import migrations

from workbench.starter_content import create_starter_help


class Migration(migrations.Migration):
    dependencies = [("workbench", "0001_initial")]

    operations = [migrations.RunPython(create_starter_help, migrations.RunPython.noop)]
