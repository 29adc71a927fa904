"""The App's resource_server flag (issue 13, item 7): set by an Administrator only, it lets the
App introspect the tokens of the Apps owned within its owner's Administrator's tree.

SQLite adds the column by rebuilding apps_registry_app, and renaming the new table fails while
triggers on apps_registry_accesstoken name the old one: they are dropped first and created
again, as migrations 0004 and 0005 define them.
"""

import importlib

from django.db import migrations, models

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
        ("apps_registry", "0005_account_active_guard"),
    ]

    operations = [
        migrations.RunPython(DROP, CREATE),
        migrations.AddField(
            model_name="app",
            name="resource_server",
            field=models.BooleanField(
                default=False,
                help_text="Set by an Administrator only: the App may introspect the tokens of every App "
                "owned within its owner's Administrator's tree, not only its own.",
                verbose_name="App is a resource server",
            ),
        ),
        migrations.RunPython(CREATE, DROP),
    ]
