"""Scorecard tables rewritten nightly: pages half full on PostgreSQL, no redundant indexes.

``fillfactor`` 50 leaves room in each page for every row's next version, so the nightly
upsert updates a row in place (HOT, no index entries) when its indexed figures did not
change; pages already written get it as they are rewritten (or at once with VACUUM FULL).
The category rows' single-column foreign-key indexes (and the ``varchar_pattern_ops``
twin of the category's) are covered by the unique (creator, category) constraint and by
``category_card_gmv_idx`` (category first).
"""

import django.db.models.deletion
from django.db import migrations, models

TABLES = (
    "cooperation_creatorscorecard",
    "cooperation_creatorcategoryscorecard",
    "cooperation_merchantscorecard",
)


def _fillfactor(value):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {int(value)})")

    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("admission", "0010_real_name_record"),
        ("cooperation", "0013_plan_chosen_creators"),
    ]

    operations = [
        migrations.AlterField(
            model_name="creatorcategoryscorecard",
            name="category",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="creator_cards",
                to="admission.category",
                verbose_name="类目",
            ),
        ),
        migrations.AlterField(
            model_name="creatorcategoryscorecard",
            name="creator",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="category_cards",
                to="admission.creator",
                verbose_name="达人",
            ),
        ),
        migrations.RunPython(_fillfactor(50), _fillfactor(100)),
    ]
