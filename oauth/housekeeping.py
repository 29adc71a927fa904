"""Scheduled clean-up of records that only matter for a while (docs/deployment.md)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import clear_expired
from oauth2_provider.settings import oauth2_settings

from apps_registry.models import ConsumedRegistration, RedeemedCode

from .views import CONSENT_MAX_AGE


def purge_expired(*, now: datetime | None = None) -> dict[str, int]:
    """Delete what can no longer be used: django-oauth-toolkit's expired tokens and codes
    (`cleartokens`), the memory of redeemed codes once such a code would have expired anyway,
    and consumed register.php consents once their page would have expired anyway. Rotated
    refresh tokens are kept (django-oauth-toolkit's reuse protection needs them)."""
    now = now or timezone.now()
    clear_expired()
    code_lifetime = timedelta(seconds=oauth2_settings.AUTHORIZATION_CODE_EXPIRE_SECONDS)
    with transaction.atomic():
        codes, _ = RedeemedCode.objects.filter(created__lt=now - code_lifetime).delete()
        consents, _ = ConsumedRegistration.objects.filter(created__lt=now - CONSENT_MAX_AGE).delete()
    return {"redeemed_codes": codes, "consumed_registrations": consents}
