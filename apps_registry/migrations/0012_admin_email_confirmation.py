"""The admin e-mail's confirmation (design §3, issue 27): an App's notices go to its admin
e-mail only once whoever reads it confirms, by a link mailed to it once (EmailConfirmation, one
row per link, counted per address). A nullable column, so SQLite adds it without rebuilding the
App's table (which the token triggers name). Every address typed before this release starts
unconfirmed: it is not mailed until confirmed (docs/deployment.md, section 8).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("apps_registry", "0011_app_client_rules"),
    ]

    operations = [
        migrations.AddField(
            model_name="app",
            name="email_confirmed",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="admin e-mail confirmed"
            ),
        ),
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
                    ("email_link", "Mailed a confirmation link to the admin e-mail"),
                    ("confirm_email", "Confirmed the admin e-mail"),
                ],
                max_length=20,
                verbose_name="action",
            ),
        ),
        migrations.CreateModel(
            name="EmailConfirmation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("address", models.EmailField(max_length=254, verbose_name="address")),
                (
                    "address_key",
                    models.CharField(editable=False, max_length=254, verbose_name="address, lower case"),
                ),
                ("created", models.DateTimeField(auto_now_add=True, verbose_name="mailed")),
                ("confirmed", models.DateTimeField(blank=True, null=True, verbose_name="confirmed")),
                (
                    "app",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="email_confirmations",
                        to=settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
                        verbose_name="App",
                    ),
                ),
            ],
            options={
                "verbose_name": "admin e-mail confirmation",
                "verbose_name_plural": "admin e-mail confirmations",
                "indexes": [
                    models.Index(fields=["address_key", "created"], name="email_confirmation_address")
                ],
            },
        ),
    ]
