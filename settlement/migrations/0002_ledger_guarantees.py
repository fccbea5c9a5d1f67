"""Database-level guarantees the ORM cannot express portably.

* Postings are append-only: UPDATE and DELETE raise (Postgres: a trigger
  function; SQLite: RAISE(ABORT) triggers). On SQLite a posting may be deleted
  only once its journal is gone — which only a whole-database flush (tests)
  can do, since journals are PROTECTed by the postings' foreign keys.
* Bindings never overlap per creator: a Postgres exclusion constraint on
  (creator, tstzrange(valid_from, valid_to, '[)')) using btree_gist; on SQLite
  triggers refusing an overlapping interval on INSERT and UPDATE (the partial
  unique constraint "one open binding per creator" is in 0001).
"""

from django.db import migrations

PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    """
    CREATE OR REPLACE FUNCTION settlement_posting_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'settlement_posting is append-only (% refused)', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER settlement_posting_no_update_delete
    BEFORE UPDATE OR DELETE ON settlement_posting
    FOR EACH ROW EXECUTE FUNCTION settlement_posting_append_only()
    """,
    """
    ALTER TABLE settlement_binding ADD CONSTRAINT binding_no_overlap
    EXCLUDE USING gist (
        creator_id WITH =,
        tstzrange(valid_from, valid_to, '[)') WITH &&
    ) WHERE (valid_from IS NOT NULL)
    """,
]
PG_BACKWARD = [
    "ALTER TABLE settlement_binding DROP CONSTRAINT IF EXISTS binding_no_overlap",
    "DROP TRIGGER IF EXISTS settlement_posting_no_update_delete ON settlement_posting",
    "DROP FUNCTION IF EXISTS settlement_posting_append_only()",
]

_OVERLAP = """
    SELECT RAISE(ABORT, 'binding_no_overlap: agreements of a creator must not overlap')
    WHERE NEW.valid_from IS NOT NULL AND EXISTS (
        SELECT 1 FROM settlement_binding b
        WHERE b.creator_id = NEW.creator_id AND b.id != NEW.id
          AND b.valid_from IS NOT NULL
          AND b.valid_from < COALESCE(NEW.valid_to, '9999-12-31 23:59:59')
          AND NEW.valid_from < COALESCE(b.valid_to, '9999-12-31 23:59:59')
    );
"""
SQLITE_FORWARD = [
    """
    CREATE TRIGGER settlement_posting_no_update BEFORE UPDATE ON settlement_posting
    BEGIN SELECT RAISE(ABORT, 'settlement_posting is append-only (UPDATE refused)'); END
    """,
    """
    CREATE TRIGGER settlement_posting_no_delete BEFORE DELETE ON settlement_posting
    WHEN EXISTS (SELECT 1 FROM settlement_journal j WHERE j.id = OLD.journal_id)
    BEGIN SELECT RAISE(ABORT, 'settlement_posting is append-only (DELETE refused)'); END
    """,
    f"CREATE TRIGGER settlement_binding_no_overlap_ins BEFORE INSERT ON settlement_binding "
    f"BEGIN {_OVERLAP} END",
    f"CREATE TRIGGER settlement_binding_no_overlap_upd BEFORE UPDATE ON settlement_binding "
    f"BEGIN {_OVERLAP} END",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS settlement_posting_no_update",
    "DROP TRIGGER IF EXISTS settlement_posting_no_delete",
    "DROP TRIGGER IF EXISTS settlement_binding_no_overlap_ins",
    "DROP TRIGGER IF EXISTS settlement_binding_no_overlap_upd",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, None)

    return run


class Migration(migrations.Migration):
    dependencies = [("settlement", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
    ]
