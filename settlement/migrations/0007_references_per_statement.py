# ruff: noqa: S608 - SQL built only from the fixed table and column names below
"""Orders' and events' references checked per statement on Postgres; a partial index.

* ``order_agency_paid_idx`` only holds orders with an agency (78 % have none).
* On Postgres the per-row foreign keys of ``settlement_order`` (merchant,
  creator, agency, binding) and of ``settlement_orderevent.order`` are replaced
  by the same guarantees, checked per statement. A foreign key runs one query
  and takes one row lock per written row: ≈3 s of an import of 100 000 orders
  (≈200 000 events), measured in docs/PERFORMANCE.md.

  - After each INSERT of orders, one statement locks the parties and bindings
    the new rows name (``FOR KEY SHARE``, as the foreign keys' checks did, so a
    concurrent delete of one waits for this transaction) and one anti-join over
    the statement's new rows (a transition table) raises
    ``foreign_key_violation`` if any of them does not exist. After each INSERT
    or UPDATE of events, the same for the events' orders.
  - An order's parties and binding never change once written (the rule is
    frozen at payment): a trigger refuses an UPDATE that changes one, so the
    settlement's and refunds' updates of orders check nothing.
  - A party or binding that orders name is never deleted nor renumbered: a
    trigger on each referenced table refuses it (the foreign keys' ON DELETE /
    ON UPDATE NO ACTION). After waiting for a transaction that locked the row,
    the trigger's query sees that transaction's orders.
  - Orders are never deleted nor renumbered (a trigger refuses DELETE and any
    change of ``id``; TRUNCATE, which only the test suite's flush uses, is not a
    DELETE), so an event's order, once checked, always exists.

  The Django fields keep ``db_constraint=True``: SQLite keeps the plain foreign
  keys, and a later migration that re-creates one on Postgres only adds a
  second, slower check of the same rule.
"""

from django.db import migrations, models

# (referenced table, its key, the order column naming it)
ORDER_REFERENCES = [
    ("admission_merchant", "user_id", "merchant_id"),
    ("admission_creator", "user_id", "creator_id"),
    ("admission_agency", "user_id", "agency_id"),
    ("settlement_binding", "id", "binding_id"),
]


def _drop_foreign_key(table: str, column: str) -> str:
    # Django named each foreign key with a hash: find it by its column.
    return f"""
    DO $$
    DECLARE name text;
    BEGIN
        SELECT c.conname INTO name FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
        WHERE c.conrelid = '{table}'::regclass AND c.contype = 'f'
          AND a.attname = '{column}';
        IF name IS NOT NULL THEN
            EXECUTE format('ALTER TABLE {table} DROP CONSTRAINT %I', name);
        END IF;
    END
    $$
    """


_LOCKS = "\n".join(
    f"        PERFORM 1 FROM {table} r WHERE r.{key} IN (SELECT {column} FROM new_orders) "
    "FOR KEY SHARE;"
    for table, key, column in ORDER_REFERENCES
)
_MISSING = "\n              OR ".join(
    f"(o.{column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {table} r WHERE r.{key} = o.{column}))"
    for table, key, column in ORDER_REFERENCES
)

PG_FORWARD = [
    _drop_foreign_key("settlement_orderevent", "order_id"),
    *(_drop_foreign_key("settlement_order", column) for _t, _k, column in ORDER_REFERENCES),
    # Events name existing orders.
    """
    CREATE OR REPLACE FUNCTION settlement_orderevent_order_exists() RETURNS trigger AS $$
    BEGIN
        IF EXISTS (
            SELECT 1 FROM new_events e
            WHERE e.order_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM settlement_order o WHERE o.id = e.order_id)
        ) THEN
            RAISE EXCEPTION 'settlement_orderevent: every event''s order must exist'
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER settlement_orderevent_order_exists_ins AFTER INSERT ON settlement_orderevent
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION settlement_orderevent_order_exists()
    """,
    """
    CREATE TRIGGER settlement_orderevent_order_exists_upd AFTER UPDATE ON settlement_orderevent
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION settlement_orderevent_order_exists()
    """,
    # Orders are kept.
    """
    CREATE OR REPLACE FUNCTION settlement_order_kept() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'settlement_order: orders are never deleted nor renumbered (% refused)',
            TG_OP USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER settlement_order_no_delete BEFORE DELETE ON settlement_order
    FOR EACH ROW EXECUTE FUNCTION settlement_order_kept()
    """,
    """
    CREATE TRIGGER settlement_order_no_renumber BEFORE UPDATE OF id ON settlement_order
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION settlement_order_kept()
    """,
    # Orders name existing parties and bindings, which then stay.
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
        for table, key, column in ORDER_REFERENCES
    ),
    *(
        f"""
        CREATE TRIGGER settlement_order_reference_kept_upd BEFORE UPDATE OF {key} ON {table}
        FOR EACH ROW WHEN (OLD.{key} IS DISTINCT FROM NEW.{key})
        EXECUTE FUNCTION settlement_order_reference_kept('{column}', '{key}')
        """
        for table, key, column in ORDER_REFERENCES
    ),
]

PG_BACKWARD = [
    *(
        f"DROP TRIGGER IF EXISTS settlement_order_reference_kept_{op} ON {table}"
        for table, _key, _column in ORDER_REFERENCES
        for op in ("del", "upd")
    ),
    "DROP FUNCTION IF EXISTS settlement_order_reference_kept()",
    "DROP TRIGGER IF EXISTS settlement_order_parties_frozen ON settlement_order",
    "DROP FUNCTION IF EXISTS settlement_order_parties_frozen()",
    "DROP TRIGGER IF EXISTS settlement_order_parties_exist ON settlement_order",
    "DROP FUNCTION IF EXISTS settlement_order_parties_exist()",
    "DROP TRIGGER IF EXISTS settlement_order_no_renumber ON settlement_order",
    "DROP TRIGGER IF EXISTS settlement_order_no_delete ON settlement_order",
    "DROP FUNCTION IF EXISTS settlement_order_kept()",
    "DROP TRIGGER IF EXISTS settlement_orderevent_order_exists_upd ON settlement_orderevent",
    "DROP TRIGGER IF EXISTS settlement_orderevent_order_exists_ins ON settlement_orderevent",
    "DROP FUNCTION IF EXISTS settlement_orderevent_order_exists()",
    *(
        f"ALTER TABLE settlement_order ADD CONSTRAINT settlement_order_{column}_fk "
        f"FOREIGN KEY ({column}) REFERENCES {table} ({key}) DEFERRABLE INITIALLY DEFERRED"
        for table, key, column in ORDER_REFERENCES
    ),
    "ALTER TABLE settlement_orderevent ADD CONSTRAINT settlement_orderevent_order_id_fk "
    "FOREIGN KEY (order_id) REFERENCES settlement_order (id) DEFERRABLE INITIALLY DEFERRED",
]


def _postgres(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql, None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("admission", "0006_operating_request_history"),
        ("settlement", "0006_lean_indexes_for_writes"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="order", name="order_agency_paid_idx"),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                condition=models.Q(("agency__isnull", False)),
                fields=["agency", "-paid_at"],
                name="order_agency_paid_idx",
            ),
        ),
        migrations.RunPython(_postgres(PG_FORWARD), _postgres(PG_BACKWARD)),
    ]
