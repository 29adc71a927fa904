"""Re-encrypt every App secret with the first of APP_SECRET_KEYS (after adding a new key).

This rotates the encryption key, not the secrets themselves: an App's own secret is rotated
with `app_secret add` and `app_secret remove` (or Regenerate)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from apps_registry.crypto import reencrypt_secret
from apps_registry.models import AppSecret

BATCH = 500


class Command(BaseCommand):
    help = (
        "Re-encrypt every App secret (both, for an App that holds two) with the current key. Put "
        "the new key first in APP_SECRET_KEYS, run this, then remove the old key. To replace an "
        "App's secret itself, see `manage.py app_secret`."
    )

    def handle(self, *args, **options):
        count = 0
        with transaction.atomic():
            # Removed secrets have no ciphertext left; only the live ones are re-encrypted.
            secrets = (
                AppSecret.objects.live().select_for_update().only("pk", "encrypted_secret").order_by("pk")
            )
            batch = []
            for secret in secrets.iterator(chunk_size=BATCH):
                secret.encrypted_secret = reencrypt_secret(secret.encrypted_secret)
                batch.append(secret)
                if len(batch) == BATCH:
                    count += AppSecret.objects.bulk_update(batch, ["encrypted_secret"])
                    batch = []
            count += AppSecret.objects.bulk_update(batch, ["encrypted_secret"])
        self.stdout.write(f"Re-encrypted {count} App secret(s) with the current key.")
