"""Revoke access against the token endpoint (design §8, issue 27, findings 4 and 5).

A refresh token now references its access token by a real foreign key, and the database
refuses a refresh token for a grant that is gone:

- The key: under READ COMMITTED, Revoke access deleted the refresh tokens, then a refresh in
  flight committed a new pair, then the access tokens went: the new refresh token stayed with
  its `access_token_id` naming a deleted row. With the key (deferred, as Django makes them),
  such a row cannot exist. Refresh tokens already left that way are deleted first: they belong
  to grants revoked in that race (their access token went with the grant).
- The guard: a refresh token is issued only by a code exchange or a refresh, each of which acts
  on the account's grant to the App (AppAuthorization). The trigger refuses a refresh token
  whose (App, account) holds no grant, with SQLSTATE 23R01 and the message app_access_revoked;
  the token endpoint answers invalid_grant (oauth.validator). On PostgreSQL it takes a share
  lock on the grant's row: Revoke access locks it for update first (apps_registry.services.
  app_revoke_access), so it waits for an exchange or a refresh in flight to commit and then
  deletes what it issued, and one that comes after finds the grant gone. The token endpoint
  takes the accounts' rows, the App's and then the grant's before it touches the old refresh
  token (app_authorization_hold: the order of the token triggers, a deactivation, Regenerate
  and Revoke access), so nothing deadlocks. SQLite runs one writer at a time; the trigger
  refuses there what came after the revoke.

A client_credentials token has no refresh token and acts on no grant: unaffected. A refresh
token made outside the token endpoint (a test, the benchmark's seed) needs its grant.

SQLite drops a table's triggers when a migration rebuilds it (as AlterField does here, for the
key): a later migration that rebuilds apps_registry_refreshtoken runs SQLITE again after it.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from ._refusals import ACCESS_REVOKED, ACCESS_REVOKED_SQLSTATE

MESSAGE = f"{ACCESS_REVOKED}: the grant of the account to the App was revoked"
SQLSTATE = ACCESS_REVOKED_SQLSTATE

POSTGRESQL = [
    f"""
    CREATE OR REPLACE FUNCTION apps_registry_refreshtoken_grant_check() RETURNS trigger AS $$
    BEGIN
        IF NEW.user_id IS NOT NULL THEN
            PERFORM 1 FROM apps_registry_appauthorization
             WHERE app_id = NEW.application_id AND account_id = NEW.user_id
               FOR SHARE;
            IF NOT FOUND THEN
                RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = '{SQLSTATE}';
            END IF;
        END IF;
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER apps_registry_refreshtoken_grant_check
    BEFORE INSERT ON apps_registry_refreshtoken
    FOR EACH ROW EXECUTE FUNCTION apps_registry_refreshtoken_grant_check()
    """,
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS apps_registry_refreshtoken_grant_check ON apps_registry_refreshtoken",
    "DROP FUNCTION IF EXISTS apps_registry_refreshtoken_grant_check()",
]
SQLITE = [
    f"""
    CREATE TRIGGER apps_registry_refreshtoken_grant_check
    BEFORE INSERT ON apps_registry_refreshtoken
    WHEN NEW.user_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM apps_registry_appauthorization
         WHERE app_id = NEW.application_id AND account_id = NEW.user_id
    )
    BEGIN
        SELECT RAISE(ABORT, '{MESSAGE}');
    END
    """,
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS apps_registry_refreshtoken_grant_check"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


def delete_dangling(apps, schema_editor):
    """Refresh tokens whose access token is gone but whose link still names it."""
    AccessToken = apps.get_model("apps_registry", "AccessToken")
    RefreshToken = apps.get_model("apps_registry", "RefreshToken")
    RefreshToken.objects.filter(access_token_id__isnull=False).exclude(
        access_token_id__in=AccessToken.objects.values("pk")
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("apps_registry", "0012_admin_email_confirmation"),
    ]

    operations = [
        migrations.RunPython(delete_dangling, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="refreshtoken",
            name="access_token",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="refresh_token",
                to=settings.OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL,
                verbose_name="access token",
            ),
        ),
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
