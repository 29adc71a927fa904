"""An App's secrets (design §3): reveal one, add a second to rotate without downtime, remove
one, regenerate them all; and when a secret was last used."""

from __future__ import annotations

import secrets as random_tokens
from collections.abc import Collection
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from accounts.models import Account
from portal.audit import Origin

from ..crypto import generate_credential
from ..exceptions import LastSecret, PublicClientHasNoSecret, SecretLimitReached, SecretNotFound
from ..models import MAX_SECRETS, AccessToken, App, AppSecret, AuditAction, ClientRegistration, RefreshToken
from ._rules import BulkOutcome, _audit, _audit_many, _lock_manageable, _require_manager
from .credentials import (
    _code_models,
    _delete_issued,
    _delete_issued_per_app,
    _forget_grants_per_app,
    _token_models,
)


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


# What an audit row's details say when an App's registration access token ended.
ENDED_DETAIL = {"registration_access_token": "revoked"}


def _revoke_registration_access(app_ids: list[int]) -> set[int]:
    """End the RFC 7592 registration access token of each App that registered itself and holds
    a live one (design §6.1): whoever holds it reads the App's secret with it, so a secret
    replaced or removed because it may have leaked takes it along. Its checksum becomes a value
    no token's SHA-256 checksum can be (ClientRegistration.ENDED, a random part, the row's id);
    no new one is issued (design §6.1 says why). Returns the Apps whose token ended."""
    live = ClientRegistration.objects.filter(app_id__in=app_ids).exclude(
        access_token_checksum__startswith=ClientRegistration.ENDED
    )
    ended = Concat(
        Value(ClientRegistration.ENDED + random_tokens.token_hex(12) + "-"), Cast("pk", CharField())
    )
    if len(app_ids) == 1:  # one statement: the UPDATE says whether there was one
        return set(app_ids) if live.update(access_token_checksum=ended) else set()
    found = set(live.values_list("app_id", flat=True))
    if found:
        ClientRegistration.objects.filter(app_id__in=found).update(access_token_checksum=ended)
    return found


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
        revoked = _count_tokens_of([secret.pk])
        if _revoke_registration_access([app.pk]):
            revoked |= ENDED_DETAIL
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
    """Replace every secret of the App with one new one (apps_regenerate_secret, for one App).
    Returns the App with its new secret; DoesNotExist if it was removed meanwhile."""
    _require_manager(actor, app.owner)
    if app.is_public:
        raise PublicClientHasNoSecret()
    outcome = apps_regenerate_secret(actor=actor, apps=[app], origin=origin)
    if outcome.missing:
        raise App.DoesNotExist("The App was removed.")
    [regenerated] = outcome.changed
    app.updated, app.live_secrets = regenerated.updated, regenerated.live_secrets
    return app


def apps_regenerate_secret(*, actor: Account, apps: Collection[App], origin: Origin) -> BulkOutcome:
    """Replace every secret of each App with one new one, all in one transaction: every token
    and unused code of these Apps stops working, every account that allowed them is asked
    again, and their RFC 7592 registration access tokens end. A public client has no secret: it
    is left alone and counted. Reach and missing Apps as apps_set_enabled.

    The tokens of the old secrets are refused from the commit on (AppSecret) and deleted later
    by purge_removed_secrets: a fixed number of statements whatever their number (make bench,
    P5). Codes, and the tokens that carry no secret, are deleted now."""
    ids = {app.pk for app in apps}
    outcome = BulkOutcome()
    now = timezone.now()
    with transaction.atomic():
        # The Apps' rows first, as the token trigger locks them (migration 0009): no deadlock,
        # and token inserts in flight are waited for.
        rows = _lock_manageable(actor, ids)
        outcome.missing = len(ids) - len(rows)
        targets = [app for app in rows if not app.is_public]
        outcome.public = len(rows) - len(targets)
        if not targets:
            return outcome
        found = [app.pk for app in targets]
        App.objects.filter(pk__in=found).update(updated=now)
        # Every token of these Apps is about to die: those of their secrets now (refused), those
        # without one deleted below. (The new secrets have none yet.)
        alive = _alive_token_counts(found)
        AppSecret.objects.live().filter(app_id__in=found).update(removed=now, encrypted_secret="")
        secrets = _new_secrets(targets, actor=actor)
        marks = ", ".join(["%s"] * len(found))
        _delete_issued(f"application_id IN ({marks}) AND secret_id IS NULL", found, models=_token_models())
        # ID tokens (none: django-oauth-toolkit's OpenID Connect is off) go with their access
        # tokens, in the purge.
        codes = _delete_issued_per_app(found, models=[_code_models()[1]])
        grants = _forget_grants_per_app(found)
        ended = _revoke_registration_access(found)
        for app, secret in zip(targets, secrets, strict=True):
            app.updated, app.live_secrets = now, [secret]
            refresh_count, access_count = alive.get(app.pk, (0, 0))
            outcome.counts[app.pk] = {
                "refresh_tokens": refresh_count,
                "access_tokens": access_count,
                "authorization_codes": codes[app.pk]["authorization_codes"],
                "grants": grants[app.pk],
                **(ENDED_DETAIL if app.pk in ended else {}),
            }
        _audit_many(
            actor=actor,
            apps=targets,
            action=AuditAction.REGENERATE_SECRET,
            origin=origin,
            details=outcome.counts,
        )
        outcome.changed = targets
    return outcome


def _alive_token_counts(app_ids: list[int]) -> dict[int, tuple[int, int]]:
    """How many refresh and access tokens of each App are not refused already (by a secret
    removed before, not yet purged): one statement."""
    quote = connection.ops.quote_name
    access_table, refresh_table = quote(AccessToken._meta.db_table), quote(RefreshToken._meta.db_table)
    secret_table = quote(AppSecret._meta.db_table)
    marks = ", ".join(["%s"] * len(app_ids))
    live_ids = f"SELECT id FROM {secret_table} WHERE app_id IN ({marks}) AND removed IS NULL"  # noqa: S608
    alive = f"application_id IN ({marks}) AND (secret_id IS NULL OR secret_id IN ({live_ids}))"
    counts: dict[int, list[int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 0, application_id, COUNT(*) FROM {refresh_table} WHERE {alive} "  # noqa: S608
            f"GROUP BY application_id UNION ALL "
            f"SELECT 1, application_id, COUNT(*) FROM {access_table} WHERE {alive} GROUP BY application_id",
            [*app_ids, *app_ids, *app_ids, *app_ids],
        )
        for table, app_id, count in cursor.fetchall():
            counts.setdefault(app_id, [0, 0])[table] = count
    return {app_id: (refresh, access) for app_id, (refresh, access) in counts.items()}


def _new_secrets(apps: list[App], *, actor: Account | None) -> list[AppSecret]:
    """One new secret for each App, in one INSERT."""
    made = []
    for app in apps:
        secret = AppSecret(app=app, added_by=actor, added_by_username=actor.get_username() if actor else "")
        secret.secret = generate_credential()
        made.append(secret)
    return AppSecret.objects.bulk_create(made)


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
