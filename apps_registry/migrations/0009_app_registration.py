"""RFC 7591/7592 registration (issue 17): more redirect URLs per App, the expiry of an unused
open-registered App, initial access tokens, the registration record of an App, and the audit
source "registration" (longer than the column was).

SQLite adds the App's columns by rebuilding apps_registry_app, and renaming the new table fails
while triggers on apps_registry_accesstoken name the old one: they are dropped first and
created again, as migration 0006 does.
"""

import importlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import accounts.validators

SECRET = importlib.import_module("apps_registry.migrations.0004_secret_version")
ACCOUNT = importlib.import_module("apps_registry.migrations.0005_account_active_guard")


def _on_sqlite(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for statement in statements:
                schema_editor.execute(statement)

    return run


DROP = _on_sqlite([*SECRET.SQLITE_REVERSE, *ACCOUNT.SQLITE_REVERSE])
CREATE = _on_sqlite([*SECRET.SQLITE, *ACCOUNT.SQLITE])


class Migration(migrations.Migration):
    dependencies = [
        ("apps_registry", "0006_app_resource_server"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(DROP, CREATE),
        migrations.AddField(
            model_name="app",
            name="extra_redirect_uris",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="Registered through RFC 7591; each is allowed exactly as the redirect URL is.",
                verbose_name="more redirect URLs",
            ),
        ),
        migrations.AddField(
            model_name="app",
            name="unused_expires",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="removed unless used by"
            ),
        ),
        migrations.RunPython(CREATE, DROP),
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
                ],
                max_length=20,
                verbose_name="through",
            ),
        ),
        migrations.CreateModel(
            name="InitialAccessToken",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "name",
                    models.CharField(
                        max_length=100,
                        validators=[accounts.validators.validate_single_line],
                        verbose_name="name",
                    ),
                ),
                (
                    "token_checksum",
                    models.CharField(
                        editable=False, max_length=64, unique=True, verbose_name="token checksum"
                    ),
                ),
                ("created", models.DateTimeField(auto_now_add=True, verbose_name="created")),
                ("expires", models.DateTimeField(verbose_name="expires")),
                ("max_uses", models.PositiveIntegerField(verbose_name="registrations allowed")),
                ("uses", models.PositiveIntegerField(default=0, verbose_name="registrations made")),
                ("revoked", models.DateTimeField(blank=True, null=True, verbose_name="revoked")),
                (
                    "account",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="initial_access_tokens",
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
                        verbose_name="created by",
                    ),
                ),
            ],
            options={
                "verbose_name": "initial access token",
                "verbose_name_plural": "initial access tokens",
                "ordering": ["-created", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="ClientRegistration",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "access_token_checksum",
                    models.CharField(
                        editable=False,
                        max_length=64,
                        unique=True,
                        verbose_name="registration access token checksum",
                    ),
                ),
                ("metadata", models.JSONField(blank=True, default=dict, verbose_name="client metadata")),
                ("open_registration", models.BooleanField(default=False, verbose_name="open registration")),
                (
                    "ip_address",
                    models.GenericIPAddressField(blank=True, null=True, verbose_name="from address"),
                ),
                (
                    "created",
                    models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="registered"),
                ),
                (
                    "app",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="registration",
                        to=settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
                        verbose_name="App",
                    ),
                ),
                (
                    "initial_access_token",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="registrations",
                        to="apps_registry.initialaccesstoken",
                        verbose_name="initial access token",
                    ),
                ),
            ],
            options={
                "verbose_name": "client registration",
                "verbose_name_plural": "client registrations",
                "indexes": [models.Index(fields=["ip_address", "created"], name="registration_ip_created")],
            },
        ),
    ]
