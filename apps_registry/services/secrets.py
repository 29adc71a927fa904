"""An App's secrets (design §3): reveal one, add a second to rotate without downtime, remove
one, regenerate them all; and when a secret was last used."""

from __future__ import annotations

import secrets as random_tokens
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Account
from portal.audit import Origin

from ..crypto import generate_credential
from ..exceptions import LastSecret, PublicClientHasNoSecret, SecretLimitReached, SecretNotFound
from ..models import MAX_SECRETS, AccessToken, App, AppSecret, AuditAction, ClientRegistration, RefreshToken
from ._rules import _audit, _require_manager
from .credentials import _code_models, _delete_issued, _forget_grants, _token_models


def _new_secret(app: App, secret: str, *, actor: Account | None) -> AppSecret:
    new = AppSecret(app=app, added_by=actor, added_by_username=actor.get_username() if actor else "")
    new.secret = secret
    new.save(force_insert=True)
    return new


def _secret_details(secret: AppSecret) -> dict:
    """Which secret an audit row is about, without a character of it: its id and when it
    was added."""
    return {"secret": secret.pk, "secret_added": secret.created.isoformat(timespec="seconds")}


def _live_secret(app: App, secret_id) -> AppSecret:
    """One live secret of this App (SecretNotFound for any other id, removed or another App's)."""
    try:
        secret_id = int(secret_id)
    except (TypeError, ValueError):
        raise SecretNotFound() from None
    secret = AppSecret.objects.live().filter(app_id=app.pk, pk=secret_id).first()
    if secret is None:
        raise SecretNotFound()
    return secret


def app_reveal_secret(*, actor: Account, app: App, origin: Origin, secret_id: int | None = None) -> str:
    """A secret of the App in clear (the newest, or the one `secret_id` names), for those who
    manage the App; each reveal is audited, naming the secret."""
    _require_manager(actor, app.owner)
    if app.is_public:
        raise PublicClientHasNoSecret()
    if secret_id is None:
        secret = app.live_secrets[-1] if app.live_secrets else None
        if secret is None:
            raise SecretNotFound()
    else:
        secret = _live_secret(app, secret_id)
    with transaction.atomic():
        _audit(
            actor=actor,
            app=app,
            action=AuditAction.REVEAL_SECRET,
            origin=origin,
            details=_secret_details(secret),
        )
    return secret.secret


def app_add_secret(*, actor: Account, app: App, origin: Origin) -> tuple[App, str]:
    """Give the App a second secret, so it can rotate without downtime: both authenticate
    until one is removed. Refused (SecretLimitReached) when it holds MAX_SECRETS already.
    Returns the App, with its live secrets, and the new secret in clear."""
    _require_manager(actor, app.owner)
    if app.is_public:
        raise PublicClientHasNoSecret()
    value = generate_credential()
    with transaction.atomic():
        # Lock the App, then count: two adds at once cannot make three secrets.
        app = App.objects.select_for_update().get(pk=app.pk)  # DoesNotExist if removed meanwhile
        held = AppSecret.objects.live().filter(app_id=app.pk).count()
        if held >= MAX_SECRETS:
            raise SecretLimitReached(MAX_SECRETS)
        secret = _new_secret(app, value, actor=actor)
        App.objects.filter(pk=app.pk).update(updated=timezone.now())
        _audit(
            actor=actor,
            app=app,
            action=AuditAction.ADD_SECRET,
            origin=origin,
            details=_secret_details(secret),
        )
    app.live_secrets = None  # read again when asked
    return app, value


def _revoke_registration_access(app_id: int) -> dict:
    """End the App's RFC 7592 registration access token, if it registered itself (design
    §6.1): whoever holds it reads the App's secret with it, so a secret replaced or removed
    because it may have leaked takes it along. Its checksum becomes a value no token's SHA-256
    checksum can be; no new one is issued (design §6.1 says why). The audit details say so."""
    revoked = ClientRegistration.objects.filter(app_id=app_id).update(
        access_token_checksum=ClientRegistration.ENDED + random_tokens.token_hex(24)
    )
    return {"registration_access_token": "revoked"} if revoked else {}


def _count_tokens_of(secret_ids: list[int]) -> dict:
    """How many access and refresh tokens the given secrets minted (an index range each)."""
    if not secret_ids:
        return {"refresh_tokens": 0, "access_tokens": 0}
    return {
        "refresh_tokens": RefreshToken.all_objects.filter(secret_id__in=secret_ids).count(),
        "access_tokens": AccessToken.all_objects.filter(secret_id__in=secret_ids).count(),
    }


def _retire_secrets(secrets_query) -> list[int]:
    """Mark secrets removed and forget their ciphertext: from now on their tokens are refused
    at every read and no new token is saved with them; purge_removed_secrets deletes the rows."""
    ids = list(secrets_query.values_list("pk", flat=True))
    AppSecret.objects.filter(pk__in=ids).update(removed=timezone.now(), encrypted_secret="")
    return ids


def app_remove_secret(*, actor: Account, app: App, secret_id: int, origin: Origin) -> dict:
    """Remove one of the App's two secrets: exactly the tokens it minted stop working at once
    (the others keep working), and its RFC 7592 registration access token ends. The App keeps
    at least one secret (LastSecret); a secret that is not one of this App's live ones is
    SecretNotFound. Returns how many tokens it revoked."""
    _require_manager(actor, app.owner)
    if app.is_public:
        raise PublicClientHasNoSecret()
    with transaction.atomic():
        # The App's row first, as the token trigger locks it (migration 0009): no deadlock.
        app = App.objects.select_for_update().get(pk=app.pk)  # DoesNotExist if removed meanwhile
        secret = _live_secret(app, secret_id)
        if AppSecret.objects.live().filter(app_id=app.pk).count() <= 1:
            raise LastSecret()
        _retire_secrets(AppSecret.objects.filter(pk=secret.pk))
        revoked = _count_tokens_of([secret.pk]) | _revoke_registration_access(app.pk)
        App.objects.filter(pk=app.pk).update(updated=timezone.now())
        _audit(
            actor=actor,
            app=app,
            action=AuditAction.REMOVE_SECRET,
            origin=origin,
            details={**_secret_details(secret), **revoked},
        )
    return revoked


def app_regenerate_secret(*, actor: Account, app: App, origin: Origin) -> App:
    """Replace every secret of the App with one new one; every token and unused code of the
    App stops working in the same transaction, every account that allowed it is asked again,
    and its RFC 7592 registration access token ends.

    The tokens of the old secrets are refused from the commit on (AppSecret) and deleted
    later by purge_removed_secrets: eight statements whatever their number (make bench, P5).
    Codes, and the tokens that carry no secret, are deleted now."""
    _require_manager(actor, app.owner)
    if app.is_public:
        raise PublicClientHasNoSecret()
    value = generate_credential()
    app.updated = timezone.now()
    with transaction.atomic():
        # The App's row first (this UPDATE locks it), as the token trigger locks it
        # (migration 0009): no deadlock, and token inserts in flight are waited for.
        if not App.objects.filter(pk=app.pk).update(updated=app.updated):
            raise App.DoesNotExist("The App was removed.")
        # Every token of the App is about to die: those of its secrets now (refused), those
        # without one deleted below. (The new secret has none yet.) Both counts in one query.
        quote = connection.ops.quote_name
        access_table, refresh_table = quote(AccessToken._meta.db_table), quote(RefreshToken._meta.db_table)
        secret_table = quote(AppSecret._meta.db_table)
        # The App's tokens not refused already (by a secret removed before, not yet purged).
        live_ids = f"SELECT id FROM {secret_table} WHERE app_id = %s AND removed IS NULL"  # noqa: S608
        alive = f"application_id = %s AND (secret_id IS NULL OR secret_id IN ({live_ids}))"
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT (SELECT COUNT(*) FROM {refresh_table} WHERE {alive}), "  # noqa: S608
                f"(SELECT COUNT(*) FROM {access_table} WHERE {alive})",
                [app.pk, app.pk, app.pk, app.pk],
            )
            refresh_count, access_count = cursor.fetchone()
        AppSecret.objects.live().filter(app_id=app.pk).update(removed=app.updated, encrypted_secret="")
        secret = _new_secret(app, value, actor=actor)
        _delete_issued("application_id = %s AND secret_id IS NULL", [app.pk], models=_token_models())
        # ID tokens (none: django-oauth-toolkit's OpenID Connect is off) go with their access
        # tokens, in the purge.
        codes = _delete_issued("application_id = %s", [app.pk], models=[_code_models()[1]])
        revoked = {
            "refresh_tokens": refresh_count,
            "access_tokens": access_count,
            "authorization_codes": codes["authorization_codes"],
            "grants": _forget_grants(app.pk),
            **_revoke_registration_access(app.pk),
        }
        _audit(actor=actor, app=app, action=AuditAction.REGENERATE_SECRET, origin=origin, details=revoked)
    app.live_secrets = [secret]
    return app


# --- when a secret was last used -------------------------------------------------------------

USE_RESOLUTION = timedelta(seconds=60)


def record_secret_use(secret: AppSecret, *, now: datetime | None = None) -> bool:
    """Note that `secret` just authenticated a client: its `last_used` and its App's, written
    only when the value loaded with the secret is a minute old or more (a guarded UPDATE, so
    concurrent requests write once). Token requests within the minute write nothing."""
    now = now or timezone.now()
    if secret.last_used is not None and now - secret.last_used < USE_RESOLUTION:
        return False
    stale = Q(last_used__isnull=True) | Q(last_used__lt=now - USE_RESOLUTION)
    written = AppSecret.objects.filter(stale, pk=secret.pk).update(last_used=now)
    if written:
        App.objects.filter(Q(last_used__isnull=True) | Q(last_used__lt=now), pk=secret.app_id).update(
            last_used=now
        )
    secret.last_used = now
    return bool(written)
