"""RFC 7591 initial access tokens (design §6.1): an account's tokens that let programs
register Apps for it."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from accounts.permissions import can_manage_account
from accounts.services import account_event_record
from apps_registry.models import InitialAccessToken
from apps_registry.services import Origin

from ..audit import OAuthAccountAction
from ..validator import checksum
from .registration import new_bearer_token

# Initial access tokens: at most this long-lived and this many registrations.
IAT_MAX_LIFETIME = timedelta(days=90)
IAT_MAX_USES = 1000


def initial_access_token_create(
    *, actor: Account, account: Account, name: str, expires: datetime, max_uses: int, origin: Origin
) -> tuple[InitialAccessToken, str]:
    """An initial access token registering Apps to `account` (which the actor manages) until
    `expires` (at most IAT_MAX_LIFETIME ahead), at most `max_uses` times. Returns the row and
    the token, which is shown once: only its checksum is kept. Audited on the account's trail."""
    if not can_manage_account(actor, account):
        raise PermissionDenied("You cannot manage this account.")
    now = timezone.now()
    errors = {}
    if not now < expires <= now + IAT_MAX_LIFETIME:
        errors["expires"] = ValidationError(
            "The expiry must be in the future, at most %(days)d days ahead.",
            code="invalid_expiry",
            params={"days": IAT_MAX_LIFETIME.days},
        )
    if not 1 <= max_uses <= IAT_MAX_USES:
        errors["max_uses"] = ValidationError(
            "Between 1 and %(max)d registrations.", code="invalid_max_uses", params={"max": IAT_MAX_USES}
        )
    token = new_bearer_token("iat")
    iat = InitialAccessToken(
        account=account,
        name=name,
        token_checksum=checksum(token),
        created_by=actor,
        expires=expires,
        max_uses=max_uses,
    )
    try:
        iat.full_clean(exclude=["token_checksum"])
    except ValidationError as error:
        errors.update(error.error_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        iat.save()
        account_event_record(
            actor=actor,
            account=account,
            action=OAuthAccountAction.IAT_CREATE,
            origin=origin,
            details={"token": iat.pk, "name": name, "expires": expires.isoformat(), "max_uses": max_uses},
        )
    return iat, token


def initial_access_token_revoke(*, actor: Account, token: InitialAccessToken, origin: Origin) -> None:
    """Revoke an initial access token of an account the actor manages: it registers nothing
    more (the Apps it registered stay). Revoking twice changes nothing and audits once."""
    if not can_manage_account(actor, token.account):
        raise PermissionDenied("You cannot manage this account.")
    with transaction.atomic():
        if InitialAccessToken.objects.filter(pk=token.pk, revoked__isnull=True).update(
            revoked=timezone.now()
        ):
            account_event_record(
                actor=actor,
                account=token.account,
                action=OAuthAccountAction.IAT_REVOKE,
                origin=origin,
                details={"token": token.pk, "name": token.name},
            )
