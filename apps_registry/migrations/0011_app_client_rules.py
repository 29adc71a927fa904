"""Apps that register themselves (issue 25): how an App came decides its redirect-URL rule
(django-oauth-toolkit's registration_source: "dcr" for RFC 7591, "cimd" for a Client ID
Metadata Document), an unverified developer's App is marked so, a metadata document's App
remembers when it was fetched, and the hosts of such documents: each fetch (per-host limit) and
those an account refuses. The audit source "metadata".
"""

import importlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# SQLite adds the App's columns by rebuilding apps_registry_app, which fails while the token
# triggers name it: they are dropped first and created again (migration 0009 says so).
SECRETS = importlib.import_module("apps_registry.migrations.0009_app_secrets")


def _on_sqlite(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for statement in statements:
                schema_editor.execute(statement)

    return run


DROP = _on_sqlite(SECRETS.SQLITE_REVERSE)
CREATE = _on_sqlite(SECRETS.SQLITE)


def apps_that_registered_themselves(apps, schema_editor):
    """Apps registered through RFC 7591 before this migration follow a client's own redirect-URL
    rule (registration_source "dcr", apps_registry/redirect_uris.py); the open-registered ones
    are unverified (design §6.1)."""
    App = apps.get_model("apps_registry", "App")
    ClientRegistration = apps.get_model("apps_registry", "ClientRegistration")
    registered = ClientRegistration.objects.filter(app__isnull=False)
    App.objects.filter(pk__in=registered.values("app_id")).update(registration_source="dcr")
    opened = registered.filter(open_registration=True)
    App.objects.filter(pk__in=opened.values("app_id")).update(unverified=True)


class Migration(migrations.Migration):
    dependencies = [
        ("apps_registry", "0010_token_count_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(DROP, CREATE),
        migrations.AddField(
            model_name="app",
            name="metadata_fetched",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="metadata document fetched"
            ),
        ),
        migrations.AddField(
            model_name="app",
            name="unverified",
            field=models.BooleanField(default=False, editable=False, verbose_name="unverified developer"),
        ),
        migrations.RunPython(CREATE, DROP),
        migrations.CreateModel(
            name="MetadataFetch",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("host", models.CharField(max_length=255, verbose_name="host")),
                ("created", models.DateTimeField(auto_now_add=True, verbose_name="fetched")),
            ],
            options={
                "verbose_name": "metadata document fetch",
                "verbose_name_plural": "metadata document fetches",
                "indexes": [models.Index(fields=["host", "created"], name="metadata_fetch_host_created")],
            },
        ),
        migrations.CreateModel(
            name="RefusedMetadataHost",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("host", models.CharField(max_length=255, verbose_name="host")),
                ("created", models.DateTimeField(auto_now_add=True, verbose_name="refused")),
                (
                    "account",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="refused_metadata_hosts",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="account",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="refused by",
                    ),
                ),
            ],
            options={
                "verbose_name": "refused metadata document host",
                "verbose_name_plural": "refused metadata document hosts",
                "ordering": ["host"],
                "constraints": [
                    models.UniqueConstraint(fields=("account", "host"), name="refused_host_once")
                ],
            },
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="source",
            field=models.CharField(
                choices=[
                    ("portal", "Portal"),
                    ("register", "/oauth/register.php"),
                    ("admin", "Django admin"),
                    ("cli", "Command line"),
                    ("registration", "Registration (RFC 7591)"),
                    ("metadata", "Client ID Metadata Document"),
                ],
                max_length=20,
                verbose_name="through",
            ),
        ),
        migrations.RunPython(apps_that_registered_themselves, migrations.RunPython.noop),
    ]
