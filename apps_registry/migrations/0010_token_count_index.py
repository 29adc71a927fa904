"""The App list's live token counts (issue 18): an index on the access tokens' (application,
expires, secret), so that an App's unexpired tokens are one range of it and counting them,
leaving out those of a removed secret, needs neither the table nor a look-up per token.

An index only: on SQLite it is a CREATE INDEX, which keeps migration 0009's triggers (a table
rebuild would drop them). The single-column index on application stays for the same reason.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("apps_registry", "0009_app_secrets"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="accesstoken",
            index=models.Index(fields=["application", "expires", "secret"], name="accesstoken_app_expires"),
        ),
    ]
