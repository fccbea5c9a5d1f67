"""The plaza's scorecard sorts read their index: … DESC NULLS LAST, creator.

The plaza orders by a figure highest first with new creators (no figure) last. A plain
DESC index keeps NULLs first, so PostgreSQL sorted every matching row instead of reading
the first page off the index; these indexes have the sort's exact order.

SQLite (``make demo``) cannot declare NULLS LAST in an index: there the database keeps
the plain DESC indexes (its demo-sized tables sort in memory), and only the migration
state changes.
"""

from django.db import migrations, models

TABLE = "cooperation_creatorscorecard"
INDEXES = {
    "scorecard_fulfil_idx": "fulfilment_rate",
    "scorecard_gmv_idx": "gmv_per_session",
    "scorecard_rating_idx": "rating_avg",
}


def _rebuild(nulls: str):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for name, column in INDEXES.items():
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')
            schema_editor.execute(
                f'CREATE INDEX "{name}" ON "{TABLE}" ("{column}" DESC{nulls}, "creator_id")'
            )

    return apply


def _index(name: str, column: str) -> models.Index:
    return models.Index(
        models.OrderBy(models.F(column), descending=True, nulls_last=True),
        models.F("creator"),
        name=name,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("admission", "0010_real_name_record"),
        ("cooperation", "0014_scorecard_pages_half_full"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(_rebuild(" NULLS LAST"), _rebuild(""))],
            state_operations=[
                *(
                    migrations.RemoveIndex(model_name="creatorscorecard", name=name)
                    for name in INDEXES
                ),
                *(
                    migrations.AddIndex(model_name="creatorscorecard", index=_index(name, column))
                    for name, column in INDEXES.items()
                ),
            ],
        ),
    ]
