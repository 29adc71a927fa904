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

from apps_registry.models import App, ClientRegistration, ConsumedRegistration, RedeemedCode
from apps_registry.services import COMMAND_LINE, Origin, app_remove, purge_removed_secrets

# How long a register.php consent page may stay open before its submit is refused.
CONSENT_MAX_AGE = timedelta(hours=1)
# An open-registered App (RFC 7591, no initial access token) that gets no token this long
# after it registered is removed (design §6.1).
OPEN_REGISTRATION_UNUSED_LIFETIME = timedelta(days=1)
# The open registration rate limit counts the registrations of the past hour, removed Apps'
# included: their records are kept that long.
OPEN_REGISTRATION_RATE_WINDOW = timedelta(hours=1)


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


def purge_unused_open_registrations(now: datetime | None = None, *, origin: Origin = COMMAND_LINE) -> int:
    """Remove the open-registered Apps that got no token within a day (through app_remove, as
    their owning account: audited), and forget the registrations of removed Apps once the rate
    limit no longer counts them."""
    now = now or timezone.now()
    removed = 0
    for app in App.objects.select_related("owner").filter(unused_expires__lte=now):
        try:
            app_remove(actor=app.owner, app=app, origin=origin)
        except App.DoesNotExist:  # removed meanwhile
            continue
        removed += 1
    ClientRegistration.objects.filter(
        app__isnull=True, created__lt=now - OPEN_REGISTRATION_RATE_WINDOW
    ).delete()
    return removed


def purge_expired(*, now: datetime | None = None) -> dict[str, int]:
    """Delete what can no longer be used: django-oauth-toolkit's expired tokens and codes
    (`cleartokens`), the tokens of removed secrets (refused since the removal or Regenerate;
    deleted in bounded batches, each its own transaction) with the secrets' rows, the two
    kinds of one-time records above, and the open-registered Apps never used. Rotated refresh
    tokens are kept (django-oauth-toolkit's reuse protection needs them)."""
    now = now or timezone.now()
    clear_expired()
    removed = purge_removed_secrets()
    with transaction.atomic():
        codes = purge_redeemed_codes(now)
        consents = purge_consumed_registrations(now)
    unused = purge_unused_open_registrations(now)
    return {
        "redeemed_codes": codes,
        "consumed_registrations": consents,
        "unused_open_registrations": unused,
        "removed_secrets": removed["secrets"],
        "tokens_of_removed_secrets": removed["access_tokens"] + removed["refresh_tokens"],
    }
