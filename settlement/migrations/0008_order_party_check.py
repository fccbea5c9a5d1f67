# ruff: noqa: S608 - SQL built only from the fixed table and column names in REFERENCES
"""An order's parties and binding checked per statement on Postgres, not per row.

The four foreign keys of ``settlement_order`` (merchant, creator, agency,
binding) each ran one query per inserted order (≈200 000 for an import of
100 000 orders, ≈1.9 s). On Postgres they are replaced by the same guarantee:

* after each INSERT of orders, one statement locks the parties and bindings the
  new rows name (``FOR KEY SHARE``, as the foreign keys' checks did, so a
  concurrent delete of one waits for this transaction) and one anti-join
  raises ``foreign_key_violation`` if any of them does not exist;
* an order's parties and binding never change once written (the rule is frozen
  at payment): a trigger refuses an UPDATE that changes one, so updates of
  orders (settlement, refunds) check nothing;
* a party or binding that orders name cannot be deleted or renumbered: a
  trigger on each referenced table refuses it (what the foreign keys' ON
  DELETE / ON UPDATE NO ACTION did). After waiting for a transaction that
  locked the row, the trigger's query sees that transaction's orders.

The Django fields keep ``db_constraint=True``: SQLite keeps the plain foreign
keys, and a later migration that re-creates one on Postgres only adds a second,
slower check of the same rule.
"""

from django.db import migrations

# (referenced table, its key, the order column naming it)
REFERENCES = [
    ("admission_merchant", "user_id", "merchant_id"),
    ("admission_creator", "user_id", "creator_id"),
    ("admission_agency", "user_id", "agency_id"),
    ("settlement_binding", "id", "binding_id"),
]


def _drop_foreign_key(column: str) -> str:
    # Django named each foreign key with a hash: find it by its column.
    return f"""
    DO $$
    DECLARE name text;
    BEGIN
        SELECT c.conname INTO name FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
        WHERE c.conrelid = 'settlement_order'::regclass AND c.contype = 'f'
          AND a.attname = '{column}';
        IF name IS NOT NULL THEN
            EXECUTE format('ALTER TABLE settlement_order DROP CONSTRAINT %I', name);
        END IF;
    END
    $$
    """


_LOCKS = "\n".join(
    f"        PERFORM 1 FROM {table} r WHERE r.{key} IN (SELECT {column} FROM new_orders) "
    "FOR KEY SHARE;"
    for table, key, column in REFERENCES
)
_MISSING = "\n              OR ".join(
    f"(o.{column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {table} r WHERE r.{key} = o.{column}))"
    for table, key, column in REFERENCES
)

PG_FORWARD = [
    *(_drop_foreign_key(column) for _table, _key, column in REFERENCES),
    f"""
    CREATE OR REPLACE FUNCTION settlement_order_parties_exist() RETURNS trigger AS $$
    BEGIN
{_LOCKS}
        IF EXISTS (
            SELECT 1 FROM new_orders o
            WHERE {_MISSING}
        ) THEN
            RAISE EXCEPTION 'settlement_order: every order''s parties and binding must exist'
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER settlement_order_parties_exist AFTER INSERT ON settlement_order
    REFERENCING NEW TABLE AS new_orders
    FOR EACH STATEMENT EXECUTE FUNCTION settlement_order_parties_exist()
    """,
    """
    CREATE OR REPLACE FUNCTION settlement_order_parties_frozen() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'settlement_order: an order''s parties and binding never change'
            USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER settlement_order_parties_frozen
    BEFORE UPDATE OF merchant_id, creator_id, agency_id, binding_id ON settlement_order
    FOR EACH ROW WHEN (
        OLD.merchant_id IS DISTINCT FROM NEW.merchant_id
        OR OLD.creator_id IS DISTINCT FROM NEW.creator_id
        OR OLD.agency_id IS DISTINCT FROM NEW.agency_id
        OR OLD.binding_id IS DISTINCT FROM NEW.binding_id
    ) EXECUTE FUNCTION settlement_order_parties_frozen()
    """,
    # TG_ARGV: the order column naming the row, the row's key column.
    """
    CREATE OR REPLACE FUNCTION settlement_order_reference_kept() RETURNS trigger AS $$
    DECLARE named boolean;
    BEGIN
        EXECUTE format(
            'SELECT EXISTS (SELECT 1 FROM settlement_order WHERE %I = ($1).%I)',
            TG_ARGV[0], TG_ARGV[1]
        ) INTO named USING OLD;
        IF named THEN
            RAISE EXCEPTION '%: a row that orders name is never deleted nor renumbered',
                TG_TABLE_NAME USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END;
    $$ LANGUAGE plpgsql
    """,
    *(
        f"""
        CREATE TRIGGER settlement_order_reference_kept_del BEFORE DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION settlement_order_reference_kept('{column}', '{key}')
        """
        for table, key, column in REFERENCES
    ),
    *(
        f"""
        CREATE TRIGGER settlement_order_reference_kept_upd BEFORE UPDATE OF {key} ON {table}
        FOR EACH ROW WHEN (OLD.{key} IS DISTINCT FROM NEW.{key})
        EXECUTE FUNCTION settlement_order_reference_kept('{column}', '{key}')
        """
        for table, key, column in REFERENCES
    ),
]

PG_BACKWARD = [
    *(
        f"DROP TRIGGER IF EXISTS settlement_order_reference_kept_{op} ON {table}"
        for table, _key, _column in REFERENCES
        for op in ("del", "upd")
    ),
    "DROP FUNCTION IF EXISTS settlement_order_reference_kept()",
    "DROP TRIGGER IF EXISTS settlement_order_parties_frozen ON settlement_order",
    "DROP FUNCTION IF EXISTS settlement_order_parties_frozen()",
    "DROP TRIGGER IF EXISTS settlement_order_parties_exist ON settlement_order",
    "DROP FUNCTION IF EXISTS settlement_order_parties_exist()",
    *(
        f"ALTER TABLE settlement_order ADD CONSTRAINT settlement_order_{column}_fk "
        f"FOREIGN KEY ({column}) REFERENCES {table} ({key}) DEFERRABLE INITIALLY DEFERRED"
        for table, key, column in REFERENCES
    ),
]


def _postgres(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql, None)

    return run


class Migration(migrations.Migration):
    dependencies = [("settlement", "0007_event_order_check")]

    operations = [migrations.RunPython(_postgres(PG_FORWARD), _postgres(PG_BACKWARD))]
