"""AccountEvent.action's choices become a callable (accounts.models.account_action_choices):
the accounts' own actions, then those other apps declare on their AppConfig (oauth's initial
access tokens, which were listed in accounts.models before). Choices are not stored in the
database: no SQL runs (`sqlmigrate accounts 0005` prints none), only the migration state
changes, and adding an app's action needs no migration from now on."""

from django.db import migrations, models

import accounts.models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_audit_registration"),
    ]

    operations = [
        migrations.AlterField(
            model_name="accountevent",
            name="action",
            field=models.CharField(
                choices=accounts.models.account_action_choices, max_length=20, verbose_name="action"
            ),
        ),
    ]
