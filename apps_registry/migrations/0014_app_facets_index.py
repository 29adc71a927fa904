"""The changelist's facet counts read from one index (issue 26, P4): every column they read,
in the order they group by (apps_registry.selectors.facets._groups_query)."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("apps_registry", "0013_refresh_token_guard"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="app",
            index=models.Index(
                fields=["owner", "api", "trusted", "enabled", "created"], name="app_owner_facets"
            ),
        ),
    ]
