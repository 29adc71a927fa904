"""Secrets over their life (issue 16): an App's secrets become AppSecret rows (two while it
rotates), each token remembers the secret its client authenticated with, and the trigger of
migration 0004 now checks that secret instead of the App's secret version.

Every existing App gets its current secret as its one secret, added by nobody ("before
rotation"), and every existing token is stamped with it: they were all minted with it (a
regenerate deleted the others).

The trigger refuses an access token whose secret is removed (or not its App's), or whose App
is disabled or gone. On PostgreSQL it takes a share lock on the App's row, then on the
secret's, in that order; removing a secret (SELECT ... FOR UPDATE of the App, then an UPDATE
of the secret), regenerating (an UPDATE of the App, then of its secrets), disabling (an UPDATE
of the App) and removing the App (SELECT ... FOR UPDATE) take them in the same order, so they
wait for token inserts in flight without a deadlock, and an insert behind them waits and then
sees the secret removed. SQLite runs one
writer at a time. The tokens of a removed secret are refused at every read from that moment
(AppSecret), so the trigger is what keeps the token endpoint from answering with a token that
is dead on arrival. A refresh token is only ever saved after its access token, in the same
transaction, so this one trigger covers both.

SQLite drops a table's triggers when a migration rebuilds it, and renaming a rebuilt
apps_registry_app fails while triggers on apps_registry_accesstoken name it: a later
migration that alters either table drops SQLITE_REVERSE first and runs SQLITE after (as
migration 0006 did), importing them from here.
"""

import importlib

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery

OLD_SECRET = importlib.import_module("apps_registry.migrations.0004_secret_version")
ACCOUNT = importlib.import_module("apps_registry.migrations.0005_account_active_guard")

MESSAGE = "app_secret_changed: the secret of the App was removed, or the App was disabled or removed"

POSTGRESQL = [
    "DROP TRIGGER IF EXISTS apps_registry_accesstoken_secret_check ON apps_registry_accesstoken",
    f"""
    CREATE OR REPLACE FUNCTION apps_registry_accesstoken_secret_check() RETURNS trigger AS $$
    BEGIN
        IF NEW.secret_id IS NOT NULL THEN
            -- The App's row first, then the secret's: the order in which removing a secret
            -- and regenerating lock them (no deadlock). Each statement sees what committed
            -- while it waited.
            PERFORM 1 FROM apps_registry_app WHERE id = NEW.application_id AND enabled FOR SHARE;
            IF FOUND THEN
                PERFORM 1 FROM apps_registry_appsecret
                 WHERE id = NEW.secret_id AND app_id = NEW.application_id AND removed IS NULL
                   FOR SHARE;
            END IF;
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
SECRET_SQLITE = [
    f"""
    CREATE TRIGGER apps_registry_accesstoken_secret_check
    BEFORE INSERT ON apps_registry_accesstoken
    WHEN NEW.secret_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM apps_registry_appsecret secret
          JOIN apps_registry_app app ON app.id = secret.app_id
         WHERE secret.id = NEW.secret_id AND secret.app_id = NEW.application_id
           AND secret.removed IS NULL AND app.enabled
    )
    BEGIN
        SELECT RAISE(ABORT, '{MESSAGE}');
    END
    """,
]
# Every trigger on apps_registry_accesstoken, as they stand after this migration.
SQLITE = [*SECRET_SQLITE, *ACCOUNT.SQLITE]
SQLITE_REVERSE = [*OLD_SECRET.SQLITE_REVERSE, *ACCOUNT.SQLITE_REVERSE]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


def give_each_app_its_secret(apps, schema_editor):
    """Each App's current secret becomes its one secret, added by nobody when the App was
    created or last regenerated; every token of the App is stamped with it."""
    App = apps.get_model("apps_registry", "App")
    AppSecret = apps.get_model("apps_registry", "AppSecret")
    AuditEvent = apps.get_model("apps_registry", "AuditEvent")
    AccessToken = apps.get_model("apps_registry", "AccessToken")
    RefreshToken = apps.get_model("apps_registry", "RefreshToken")
    regenerated = AuditEvent.objects.filter(app_id=OuterRef("pk"), action="regenerate_secret")
    apps_with_dates = App.objects.annotate(
        regenerated=Subquery(regenerated.order_by("-created").values("created")[:1])
    ).only("pk", "created", "encrypted_secret")
    batch = []
    for app in apps_with_dates.iterator(chunk_size=500):
        batch.append(
            AppSecret(
                app_id=app.pk,
                encrypted_secret=app.encrypted_secret,
                created=app.regenerated or app.created,
                added_by=None,
                added_by_username="",
            )
        )
        if len(batch) == 500:
            AppSecret.objects.bulk_create(batch)
            batch = []
    AppSecret.objects.bulk_create(batch)
    secret_of_app = AppSecret.objects.filter(app_id=OuterRef("application_id")).values("pk")[:1]
    for model in (AccessToken, RefreshToken):
        model.objects.update(secret_id=Subquery(secret_of_app))


def keep_the_newest_secret(apps, schema_editor):
    """Backwards: the App's newest live secret becomes its one secret again."""
    App = apps.get_model("apps_registry", "App")
    AppSecret = apps.get_model("apps_registry", "AppSecret")
    newest = AppSecret.objects.filter(app_id=OuterRef("pk"), removed__isnull=True).order_by("-created", "-pk")
    App.objects.update(encrypted_secret=Subquery(newest.values("encrypted_secret")[:1]))
    # Tokens of removed secrets are refused before this migration and were awaiting the
    # purge; without the secret rows nothing would refuse them.
    AccessToken = apps.get_model("apps_registry", "AccessToken")
    RefreshToken = apps.get_model("apps_registry", "RefreshToken")
    removed = AppSecret.objects.filter(removed__isnull=False).values("pk")
    RefreshToken.objects.filter(secret_id__in=removed).delete()
    AccessToken.objects.filter(secret_id__in=removed).delete()


class Migration(migrations.Migration):
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("apps_registry", "0008_app_authorization"),
    ]

    operations = [
        # SQLite: the old triggers name columns removed below; all come back at the end.
        migrations.RunPython(
            _run({"sqlite": SQLITE_REVERSE}),
            _run({"sqlite": [*OLD_SECRET.SQLITE, *ACCOUNT.SQLITE]}),
        ),
        migrations.RunPython(
            _run({"postgresql": OLD_SECRET.POSTGRESQL_REVERSE}),
            _run({"postgresql": OLD_SECRET.POSTGRESQL}),
        ),
        migrations.CreateModel(
            name="AppSecret",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("encrypted_secret", models.TextField(editable=False, verbose_name="encrypted secret")),
                (
                    "created",
                    models.DateTimeField(
                        default=django.utils.timezone.now, editable=False, verbose_name="added"
                    ),
                ),
                (
                    "added_by_username",
                    models.CharField(blank=True, max_length=150, verbose_name="added by (username)"),
                ),
                (
                    "last_used",
                    models.DateTimeField(blank=True, editable=False, null=True, verbose_name="last used"),
                ),
                (
                    "removed",
                    models.DateTimeField(blank=True, editable=False, null=True, verbose_name="removed"),
                ),
                (
                    "added_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="added by",
                    ),
                ),
                (
                    "app",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="secrets",
                        to=settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
                        verbose_name="App",
                    ),
                ),
            ],
            options={
                "verbose_name": "App secret",
                "verbose_name_plural": "App secrets",
                "ordering": ["created", "pk"],
            },
        ),
        migrations.AddField(
            model_name="app",
            name="last_used",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="last used"),
        ),
        migrations.AddField(
            model_name="accesstoken",
            name="secret",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="apps_registry.appsecret",
                verbose_name="secret",
            ),
        ),
        migrations.AddField(
            model_name="refreshtoken",
            name="secret",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="apps_registry.appsecret",
                verbose_name="secret",
            ),
        ),
        migrations.RunPython(give_each_app_its_secret, keep_the_newest_secret),
        migrations.AddIndex(
            model_name="accesstoken",
            index=models.Index(fields=["secret", "application"], name="accesstoken_secret_app"),
        ),
        migrations.AddIndex(
            model_name="refreshtoken",
            index=models.Index(fields=["secret", "application"], name="refreshtoken_secret_app"),
        ),
        migrations.RemoveField(model_name="accesstoken", name="secret_version"),
        migrations.RemoveField(model_name="app", name="secret_version"),
        # With a default, so that migrating backwards can add the column again.
        migrations.AlterField(
            model_name="app",
            name="encrypted_secret",
            field=models.TextField(default="", editable=False, verbose_name="encrypted App secret"),
        ),
        migrations.RemoveField(model_name="app", name="encrypted_secret"),
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("create", "Created"),
                    ("update", "Edited"),
                    ("reveal_secret", "Revealed the secret"),
                    ("regenerate_secret", "Regenerated the secret"),
                    ("add_secret", "Added a secret"),
                    ("remove_secret", "Removed a secret"),
                    ("revoke_tokens", "Revoked tokens"),
                    ("enable", "Enabled"),
                    ("disable", "Disabled"),
                    ("remove", "Removed"),
                    ("revoke_access", "Revoked access"),
                ],
                max_length=20,
                verbose_name="action",
            ),
        ),
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            _run({"postgresql": OLD_SECRET.POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
