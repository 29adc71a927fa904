"""Re-encrypt every App secret with the first of APP_SECRET_KEYS (after adding a new key)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from apps_registry.crypto import reencrypt_secret
from apps_registry.models import App

BATCH = 500


class Command(BaseCommand):
    help = (
        "Re-encrypt every App secret with the current key. Put the new key first in "
        "APP_SECRET_KEYS, run this, then remove the old key."
    )

    def handle(self, *args, **options):
        count = 0
        with transaction.atomic():
            apps = App.objects.select_for_update().only("pk", "encrypted_secret").order_by("pk")
            batch = []
            for app in apps.iterator(chunk_size=BATCH):
                app.encrypted_secret = reencrypt_secret(app.encrypted_secret)
                batch.append(app)
                if len(batch) == BATCH:
                    count += App.objects.bulk_update(batch, ["encrypted_secret"])
                    batch = []
            count += App.objects.bulk_update(batch, ["encrypted_secret"])
        self.stdout.write(f"Re-encrypted {count} App secret(s) with the current key.")
