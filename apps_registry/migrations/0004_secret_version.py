"""A secret version on each App and on each token, and the trigger that holds them together.

A token request authenticates the client, then saves the token in a transaction of its own.
A regenerate (or a disable, or a remove) that commits in between has already run its bulk
DELETE of the App's tokens, and would miss this one. The trigger refuses an access token
saved with a secret version that is no longer the App's, or for an App disabled or removed
meanwhile. On PostgreSQL it takes a share lock on the App's row, so a regenerate waits for
token inserts in flight and then deletes them, and an insert behind a regenerate waits and
then sees the new version; SQLite runs one writer at a time. All of it happens inside the
INSERT: the token endpoint pays no query for it.

SQLite drops a table's triggers when a later migration rebuilds the table: re-create this
one in any migration that alters apps_registry_accesstoken (tests/security/test_races.py
fails without it).
"""

from django.db import migrations, models

MESSAGE = "app_secret_changed: the secret of the App changed, or the App was disabled or removed"

POSTGRESQL = [
    f"""
    CREATE FUNCTION apps_registry_accesstoken_secret_check() RETURNS trigger AS $$
    BEGIN
        IF NEW.secret_version IS NOT NULL THEN
            PERFORM 1 FROM apps_registry_app
             WHERE id = NEW.application_id AND secret_version = NEW.secret_version AND enabled
               FOR SHARE;
            IF NOT FOUND THEN
                RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
            END IF;
        END IF;
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER apps_registry_accesstoken_secret_check
    BEFORE INSERT ON apps_registry_accesstoken
    FOR EACH ROW EXECUTE FUNCTION apps_registry_accesstoken_secret_check()
    """,
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS apps_registry_accesstoken_secret_check ON apps_registry_accesstoken",
    "DROP FUNCTION IF EXISTS apps_registry_accesstoken_secret_check()",
]
SQLITE = [
    f"""
    CREATE TRIGGER apps_registry_accesstoken_secret_check
    BEFORE INSERT ON apps_registry_accesstoken
    WHEN NEW.secret_version IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM apps_registry_app
         WHERE id = NEW.application_id AND secret_version = NEW.secret_version AND enabled
    )
    BEGIN
        SELECT RAISE(ABORT, '{MESSAGE}');
    END
    """,
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS apps_registry_accesstoken_secret_check"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("apps_registry", "0003_redeemed_codes_and_registrations"),
    ]

    operations = [
        migrations.AddField(
            model_name="accesstoken",
            name="secret_version",
            field=models.PositiveBigIntegerField(
                blank=True, editable=False, null=True, verbose_name="secret version"
            ),
        ),
        migrations.AddField(
            model_name="app",
            name="secret_version",
            field=models.PositiveBigIntegerField(default=1, editable=False, verbose_name="secret version"),
        ),
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
