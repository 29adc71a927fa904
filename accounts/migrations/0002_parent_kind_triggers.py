"""The database enforces the parent table of design §2, whatever path writes the row.

A CHECK constraint cannot look at another row, so a trigger compares each account's kind
with its parent's on insert and on update; an account's kind cannot change afterwards
(its children were placed under it for that kind). Both raise an integrity error.

SQLite drops a table's triggers when Django rebuilds the table in a later migration; the
test suite (tests/accounts/test_models.py) fails if that ever happens, so re-create them.
"""

from django.db import migrations

PAIRS = (
    ("service_provider", "administrator"),
    ("organization", "administrator"),
    ("organization", "service_provider"),
    ("user", "organization"),
)

_pairs_sql = " OR ".join(f"(NEW.kind = '{child}' AND p.kind = '{parent}')" for child, parent in PAIRS)

# The SQL below is built from the constants above only, never from input.
POSTGRESQL_FORWARD = f"""
CREATE FUNCTION accounts_account_check_parent() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.kind <> OLD.kind THEN
        RAISE EXCEPTION 'an account''s kind cannot change' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.parent_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM accounts_account p WHERE p.id = NEW.parent_id AND ({_pairs_sql})
    ) THEN
        RAISE EXCEPTION 'an account of kind % cannot be placed under account %', NEW.kind, NEW.parent_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER accounts_account_parent_kind
    BEFORE INSERT OR UPDATE OF kind, parent_id ON accounts_account
    FOR EACH ROW EXECUTE FUNCTION accounts_account_check_parent();
"""

POSTGRESQL_REVERSE = """
DROP TRIGGER IF EXISTS accounts_account_parent_kind ON accounts_account;
DROP FUNCTION IF EXISTS accounts_account_check_parent();
"""

_sqlite_parent_check = f"""
WHEN NEW.parent_id IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM accounts_account p WHERE p.id = NEW.parent_id AND ({_pairs_sql})
)
BEGIN SELECT RAISE(ABORT, 'an account cannot be placed under a parent of that kind'); END
"""

SQLITE_FORWARD = [
    f"CREATE TRIGGER accounts_account_parent_kind_insert BEFORE INSERT ON accounts_account {_sqlite_parent_check}",
    "CREATE TRIGGER accounts_account_parent_kind_update BEFORE UPDATE OF kind, parent_id ON accounts_account "
    + _sqlite_parent_check,
    """CREATE TRIGGER accounts_account_kind_immutable BEFORE UPDATE OF kind ON accounts_account
WHEN NEW.kind <> OLD.kind
BEGIN SELECT RAISE(ABORT, 'an account''s kind cannot change'); END""",
]

SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS accounts_account_parent_kind_insert",
    "DROP TRIGGER IF EXISTS accounts_account_parent_kind_update",
    "DROP TRIGGER IF EXISTS accounts_account_kind_immutable",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor)
        if statements is None:
            raise NotImplementedError(f"No parent-kind trigger for {schema_editor.connection.vendor}.")
        for statement in [statements] if isinstance(statements, str) else statements:
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
