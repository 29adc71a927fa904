"""The one-time records kept against replays, and their clean-up (docs/deployment.md).

Both kinds are purged here and only here: as they are written (a bounded DELETE of the
expired ones) and by `manage.py purge_expired` on a schedule.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import clear_expired
from oauth2_provider.settings import oauth2_settings

from apps_registry.models import ConsumedRegistration, RedeemedCode
from apps_registry.services import purge_removed_secrets

# How long a register.php consent page may stay open before its submit is refused.
CONSENT_MAX_AGE = timedelta(hours=1)


def code_lifetime() -> timedelta:
    return timedelta(seconds=oauth2_settings.AUTHORIZATION_CODE_EXPIRE_SECONDS)


def purge_redeemed_codes(now: datetime | None = None) -> int:
    """Forget redeemed codes once such a code would have expired anyway."""
    cutoff = (now or timezone.now()) - code_lifetime()
    return RedeemedCode.objects.filter(created__lt=cutoff).delete()[0]


def purge_consumed_registrations(now: datetime | None = None) -> int:
    """Forget consumed register.php consents once their page would have expired anyway."""
    cutoff = (now or timezone.now()) - CONSENT_MAX_AGE
    return ConsumedRegistration.objects.filter(created__lt=cutoff).delete()[0]


def purge_expired(*, now: datetime | None = None) -> dict[str, int]:
    """Delete what can no longer be used: django-oauth-toolkit's expired tokens and codes
    (`cleartokens`), the tokens of removed secrets (refused since the removal or Regenerate;
    deleted in bounded batches, each its own transaction) with the secrets' rows, and the two
    kinds of one-time records above. Rotated refresh tokens are kept (django-oauth-toolkit's
    reuse protection needs them)."""
    now = now or timezone.now()
    clear_expired()
    removed = purge_removed_secrets()
    with transaction.atomic():
        codes = purge_redeemed_codes(now)
        consents = purge_consumed_registrations(now)
    return {
        "redeemed_codes": codes,
        "consumed_registrations": consents,
        "removed_secrets": removed["secrets"],
        "tokens_of_removed_secrets": removed["access_tokens"] + removed["refresh_tokens"],
    }
