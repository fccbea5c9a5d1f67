"""A trigram index for 主播广场's nickname search (PostgreSQL only).

The plaza filters ``nickname__icontains``, which Django writes as
``UPPER(nickname::text) LIKE UPPER(%s)``: the GIN index is on that expression
so a rare term is a bitmap scan instead of a walk through 100k creators.
SQLite has no trigram indexes; there the migration does nothing.
``CREATE EXTENSION`` needs a superuser (or a trusted-extension grant) the first
time, as the database owner of a fresh PostgreSQL has.
"""

from django.db import migrations

INDEX = "creator_nickname_trgm_idx"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON admission_creator "
        "USING gin (UPPER(nickname::text) gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("admission", "0004_agreement_v1"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
