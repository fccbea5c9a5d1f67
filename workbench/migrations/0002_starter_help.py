"""Starter help-center content on a fresh install (Chinese and English).

Creates the categories and articles of ``workbench.starter_content`` that are
missing (by slug); never overwrites what operators have edited. Reversing
removes nothing: operators may have changed the articles since.
"""

from django.db import migrations


def create_starter_help(apps, schema_editor):
    from workbench.starter_content import HELP_ARTICLES, HELP_CATEGORIES

    HelpCategory = apps.get_model("workbench", "HelpCategory")
    HelpArticle = apps.get_model("workbench", "HelpArticle")
    categories = {}
    for data in HELP_CATEGORIES:
        categories[data["slug"]], _ = HelpCategory.objects.get_or_create(
            slug=data["slug"], defaults={k: v for k, v in data.items() if k != "slug"}
        )
    for data in HELP_ARTICLES:
        fields = {k: v for k, v in data.items() if k not in ("slug", "category")}
        HelpArticle.objects.get_or_create(
            slug=data["slug"],
            defaults={**fields, "category": categories[data["category"]], "published": True},
        )


class Migration(migrations.Migration):
    dependencies = [("workbench", "0001_initial")]

    operations = [migrations.RunPython(create_starter_help, migrations.RunPython.noop)]
