"""No token for an inactive account (design §8, issue 13): the database refuses an access token
whose App's owner is inactive, or whose user is.

The portal checks this where it reads (the token endpoint, /uapi/@me, introspection), and
deactivating through accounts.services revokes what the account holds; this guard closes the
race between the two: a token being minted while its account is deactivated. On PostgreSQL
the trigger takes a share lock on the account rows it reads, so a deactivation (which locks
the account's row FOR UPDATE) waits for token inserts in flight and then deletes them, and an
insert behind a deactivation waits and then sees the account inactive. SQLite runs one writer
at a time. Like migration 0004's trigger it runs inside the INSERT: no query of its own.

SQLite drops a table's triggers when a later migration rebuilds the table: re-create these
in any migration that alters apps_registry_accesstoken.
"""

from django.db import migrations

OWNER_MESSAGE = "app_owner_disabled: the account that owns the App is deactivated"
USER_MESSAGE = "account_disabled: the account the token would act for is deactivated"

POSTGRESQL = [
    f"""
    CREATE FUNCTION apps_registry_accesstoken_account_check() RETURNS trigger AS $$
    BEGIN
        PERFORM 1 FROM apps_registry_app app
          JOIN accounts_account owner ON owner.id = app.owner_id
         WHERE app.id = NEW.application_id AND owner.is_active
           FOR SHARE OF owner;
        IF NOT FOUND THEN
            RAISE EXCEPTION '{OWNER_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF NEW.user_id IS NOT NULL THEN
            PERFORM 1 FROM accounts_account WHERE id = NEW.user_id AND is_active FOR SHARE;
            IF NOT FOUND THEN
                RAISE EXCEPTION '{USER_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
            END IF;
        END IF;
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER apps_registry_accesstoken_account_check
    BEFORE INSERT ON apps_registry_accesstoken
    FOR EACH ROW EXECUTE FUNCTION apps_registry_accesstoken_account_check()
    """,
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS apps_registry_accesstoken_account_check ON apps_registry_accesstoken",
    "DROP FUNCTION IF EXISTS apps_registry_accesstoken_account_check()",
]
SQLITE = [
    f"""
    CREATE TRIGGER apps_registry_accesstoken_owner_check
    BEFORE INSERT ON apps_registry_accesstoken
    WHEN NOT EXISTS (
        SELECT 1 FROM apps_registry_app app JOIN accounts_account owner ON owner.id = app.owner_id
         WHERE app.id = NEW.application_id AND owner.is_active
    )
    BEGIN
        SELECT RAISE(ABORT, '{OWNER_MESSAGE}');
    END
    """,
    f"""
    CREATE TRIGGER apps_registry_accesstoken_user_check
    BEFORE INSERT ON apps_registry_accesstoken
    WHEN NEW.user_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM accounts_account WHERE id = NEW.user_id AND is_active
    )
    BEGIN
        SELECT RAISE(ABORT, '{USER_MESSAGE}');
    END
    """,
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS apps_registry_accesstoken_owner_check",
    "DROP TRIGGER IF EXISTS apps_registry_accesstoken_user_check",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_account_event"),
        ("apps_registry", "0004_secret_version"),
    ]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
