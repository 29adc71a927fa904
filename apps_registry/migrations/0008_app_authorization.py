"""Authorized Apps (issue 16, design §8): which account let which App act for it.

The grants that exist already are read from the live tokens: an App holds a grant to act for
an account when it holds a refresh token of that account that was not revoked (only the code
flow issues refresh tokens: a client_credentials token never has one), or a live access token
of an account other than its owner (a client_credentials token acts for the owner, so one of
the owner's without a refresh token cannot be told from it, and is left out).
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def backfill(apps, schema_editor):
    from django.db.models import F, Max, Min
    from django.utils import timezone

    App = apps.get_model("apps_registry", "App")
    AccessToken = apps.get_model("apps_registry", "AccessToken")
    RefreshToken = apps.get_model("apps_registry", "RefreshToken")
    AppAuthorization = apps.get_model("apps_registry", "AppAuthorization")
    found = {}

    def collect(rows):
        for row in rows:
            key = (row["application_id"], row["user_id"])
            first, last = found.get(key, (row["first"], row["last"]))
            found[key] = (min(first, row["first"]), max(last, row["last"]))

    refresh = RefreshToken.objects.filter(revoked__isnull=True, user__isnull=False)
    collect(refresh.values("application_id", "user_id").annotate(first=Min("created"), last=Max("updated")))
    access = AccessToken.objects.filter(expires__gt=timezone.now(), user__isnull=False).exclude(
        user_id=F("application__owner_id")
    )
    collect(access.values("application_id", "user_id").annotate(first=Min("created"), last=Max("created")))
    apis = dict(App.objects.filter(pk__in={app for app, _ in found}).values_list("pk", "api"))
    AppAuthorization.objects.bulk_create(
        [
            AppAuthorization(
                app_id=app, account_id=account, api=apis[app], first_authorized=first, last_used=last
            )
            for (app, account), (first, last) in found.items()
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("apps_registry", "0007_app_registration"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("create", "Created"),
                    ("update", "Edited"),
                    ("reveal_secret", "Revealed the secret"),
                    ("regenerate_secret", "Regenerated the secret"),
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
        migrations.CreateModel(
            name="AppAuthorization",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "api",
                    models.CharField(
                        choices=[("systemapi", "SystemAPI"), ("unifiedapi", "UnifiedAPI")],
                        max_length=10,
                        verbose_name="API",
                    ),
                ),
                (
                    "first_authorized",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="first authorized"),
                ),
                ("last_used", models.DateTimeField(blank=True, null=True, verbose_name="last used")),
                (
                    "account",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="app_authorizations",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="account",
                    ),
                ),
                (
                    "app",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="authorizations",
                        to=settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
                        verbose_name="App",
                    ),
                ),
            ],
            options={
                "verbose_name": "authorized App",
                "verbose_name_plural": "authorized Apps",
                "ordering": ["-first_authorized", "-pk"],
                "indexes": [
                    models.Index(fields=["account", "-first_authorized"], name="app_authorization_account")
                ],
                "constraints": [
                    models.UniqueConstraint(fields=("app", "account"), name="app_authorization_unique")
                ],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
