"""选品广场's search reads an index: a trigram GIN index on UPPER(title) (PostgreSQL).

Django's ``title__icontains`` is ``UPPER(title) LIKE UPPER('%…%')``; without an index
every search read all products (and ran the page's plan subqueries on each before the
title ruled it out). pg_trgm (a trusted extension since PostgreSQL 13: the database's
owner may create it) indexes each title's three-character pieces — Chinese characters
included — so a search of three or more characters reads only the products that can
match, in a bitmap OR with the shops' products (``cooperation.selectors.square``).
Shorter searches match no whole trigram and are planned as before.

SQLite (``make demo``) has no such index: its demo-sized table is scanned. Not in the
migration state (an expression index with an operator class the models need not name).
"""

from django.db import migrations

INDEX = "product_title_trgm_idx"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON "cooperation_product" '
        'USING gin ((UPPER("title"::text)) gin_trgm_ops)'
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX}"')


class Migration(migrations.Migration):
    dependencies = [("cooperation", "0016_product_sales")]

    operations = [migrations.RunPython(create, drop)]
