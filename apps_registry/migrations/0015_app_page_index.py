"""A page of an account's Apps sorted by name read from one index (issue 26, S-P4): the
index of (owner, api, name) gets the key too, which orders Apps of the same name, so the
page's ids come from the index alone and in order (apps_registry.selectors.changelist.
_rows_query). The new index is built before the old one goes."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("apps_registry", "0014_app_facets_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="app",
            index=models.Index(fields=["owner", "api", "name", "id"], name="app_owner_api_name_id"),
        ),
        migrations.RemoveIndex(model_name="app", name="app_owner_api_name"),
    ]
