"""Every write to an App (design §3). The portal, /oauth/register.php, the Django admin and the
command line all call these, so a rule cannot differ between entry points.

Each service takes the acting account, checks again that it may manage the App's owner
(PermissionDenied otherwise), runs in one transaction, writes its audit row, and refuses a
broken rule with a ValidationError carrying a stable code.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from oauth2_provider.models import get_grant_model, get_id_token_model

from accounts.models import Account, Kind
from accounts.permissions import can_manage_account
from portal.audit import COMMAND_LINE as COMMAND_LINE  # re-exported, as Origin is
from portal.audit import Origin

from . import notices
from .crypto import generate_credential, is_credential
from .exceptions import (
    AppLimitReached,
    AppNotAuthorized,
    DuplicateAppKey,
    LastSecret,
    PublicClientHasNoSecret,
    ResourceServerNotAllowed,
    SecretLimitReached,
    SecretNotFound,
    UnifiedApiNotAllowed,
)
from .models import (
    MAX_SECRETS,
    AccessToken,
    Api,
    App,
    AppAuthorization,
    AppSecret,
    AuditAction,
    AuditEvent,
    RefreshToken,
)

# What an App's owner may change after creation (the API and the owner are fixed).
EDITABLE_FIELDS = (
    "name",
    "description",
    "homepage",
    "image_uri",
    "email",
    "phone",
    "trusted",
    "resource_server",
    "redirect_uri",
)
# The redirect URLs beyond the first change only through RFC 7592 registration (oauth.services);
# the portal's form and the admin show them, read-only.
REGISTRATION_FIELDS = ("extra_redirect_uris",)


def _require_manager(actor: Account, owner: Account) -> None:
    if not can_manage_account(actor, owner):
        raise PermissionDenied("You cannot manage the Apps of this account.")


def _audit(
    *, actor: Account, app: App, action: str, origin: Origin, details: dict | None = None
) -> AuditEvent:
    """Record the change, and have its e-mail notice sent once it commits (notices.NOTICES
    says which actions have one): every App change passes here, whatever its entry point."""
    event = AuditEvent.objects.create(
        actor=actor,
        actor_username=actor.get_username(),
        account_id=app.owner_id,
        app=app,
        app_name=app.name,
        app_client_id=app.client_id,
        action=action,
        source=origin.source,
        ip_address=origin.ip_address,
        details=details or {},
    )
    notices.notify(event=event, app=app)
    return event


def check_api_allowed(*, owner: Account, api: str) -> None:
    """design §2: a Service Provider account owns no UnifiedAPI App."""
    if api == Api.UNIFIEDAPI and not owner.may_own_unifiedapi_apps:
        raise UnifiedApiNotAllowed()


def check_app_limit(*, owner: Account) -> None:
    """design §3: at most APP_LIMIT_PER_ACCOUNT Apps per account (read at call time)."""
    limit = settings.APP_LIMIT_PER_ACCOUNT
    if App.objects.filter(owner_id=owner.pk).count() >= limit:
        raise AppLimitReached(limit)


def may_mark_resource_server(actor: Account) -> bool:
    """Only an Administrator marks an App as a resource server (it then introspects the tokens
    of every App within that Administrator's tree); _require_manager still applies."""
    return actor.kind == Kind.ADMINISTRATOR


def _check_credential(value: str, field: str) -> None:
    if not is_credential(value):
        raise ValidationError(
            {field: ValidationError("Must be 32 characters from A-Z a-z 0-9 - . _ ~.", code="invalid")}
        )


def app_create(
    *,
    actor: Account,
    owner: Account,
    api: str,
    name: str,
    homepage: str,
    email: str,
    redirect_uri: str,
    description: str = "",
    image_uri: str = "",
    phone: str = "",
    trusted: bool = False,
    resource_server: bool = False,
    client_id: str | None = None,
    client_secret: str | None = None,
    public: bool = False,
    extra_redirect_uris: list[str] | None = None,
    origin: Origin,
) -> App:
    """Create an App for `owner`, within the owner's App limit and the API its kind allows.

    `client_id` and `client_secret` may be given (the Add App form shows the generated pair
    before it is submitted); otherwise both are generated. A `public` App (RFC 6749 2.1, from
    RFC 7591 registration) has no secret and is never trusted.
    """
    _require_manager(actor, owner)
    check_api_allowed(owner=owner, api=api)
    if resource_server and not may_mark_resource_server(actor):
        raise ResourceServerNotAllowed()
    if public and (trusted or resource_server or client_secret is not None):
        raise ValueError("A public client has no secret and is neither trusted nor a resource server.")
    if client_id is not None:
        _check_credential(client_id, "client_id")
    if client_secret is not None:
        _check_credential(client_secret, "client_secret")
    secret = client_secret or generate_credential()
    app = App(
        owner=owner,
        api=api,
        name=name,
        description=description,
        homepage=homepage,
        image_uri=image_uri,
        email=email,
        phone=phone,
        trusted=trusted,
        resource_server=resource_server,
        redirect_uri=redirect_uri,
        extra_redirect_uris=list(extra_redirect_uris or []),
        client_id=client_id or generate_credential(),
        client_type=App.CLIENT_PUBLIC if public else App.CLIENT_CONFIDENTIAL,
    )
    # The key's shape is checked above (or it was generated); its uniqueness is left to the
    # INSERT, which says so whether the key was taken long ago or a moment ago.
    app.full_clean(exclude=["client_id"])
    with transaction.atomic():
        # Lock the owner row, then count: concurrent creates for one owner queue here, so
        # none can pass the limit. (select_for_update() on the count itself is dropped.)
        Account.objects.select_for_update().only("pk").get(pk=owner.pk)
        check_app_limit(owner=owner)
        try:
            with transaction.atomic():
                app.save(force_insert=True)
        except IntegrityError as error:
            # The key is taken: in practice the same Add App form sent twice (its signed pair
            # is used once), possibly at the same moment.
            raise DuplicateAppKey() from error
        app.live_secrets = [] if public else [_new_secret(app, secret, actor=actor)]
        details = {"api": api, "client_type": "public"} if public else {"api": api}
        _audit(actor=actor, app=app, action=AuditAction.CREATE, origin=origin, details=details)
    return app


def app_update(*, actor: Account, app: App, origin: Origin, **changes) -> App:
    """Change the editable fields of an App (EDITABLE_FIELDS, and REGISTRATION_FIELDS); records
    which ones changed."""
    unknown = set(changes) - {*EDITABLE_FIELDS, *REGISTRATION_FIELDS}
    if unknown:
        raise TypeError(f"Not editable: {', '.join(sorted(unknown))}")
    _require_manager(actor, app.owner)
    with transaction.atomic():
        app = App.objects.select_for_update().get(pk=app.pk)
        changed = [field for field, value in changes.items() if getattr(app, field) != value]
        if "resource_server" in changed and not may_mark_resource_server(actor):
            raise ResourceServerNotAllowed()
        if app.is_public and (changes.get("trusted") or changes.get("resource_server")):
            # A public client proves nothing at the token endpoint: never client_credentials.
            field = "trusted" if changes.get("trusted") else "resource_server"
            raise ValidationError(
                {
                    field: ValidationError(
                        "A public client can be neither trusted nor a resource server.",
                        code="public_client",
                    )
                }
            )
        for field in changed:
            setattr(app, field, changes[field])
        app.full_clean()
        if changed:
            app.save(update_fields=[*changed, "updated"])
            _audit(
                actor=actor, app=app, action=AuditAction.UPDATE, origin=origin, details={"fields": changed}
            )
    return app


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
    (the others keep working). The App keeps at least one secret (LastSecret); a secret that
    is not one of this App's live ones is SecretNotFound. Returns how many tokens it revoked."""
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
        App.objects.filter(pk=app.pk).update(updated=timezone.now())
        _audit(
            actor=actor,
            app=app,
            action=AuditAction.REMOVE_SECRET,
            origin=origin,
            details={**_secret_details(secret), **revoked},
        )
    return revoked


def _token_models() -> list[tuple[str, type]]:
    return [("refresh_tokens", RefreshToken), ("access_tokens", AccessToken)]


def _code_models() -> list[tuple[str, type]]:
    # django-oauth-toolkit's OpenID Connect is off: no ID tokens in practice.
    return [("id_tokens", get_id_token_model()), ("authorization_codes", get_grant_model())]


def _issued_credential_models() -> list[tuple[str, type]]:
    """Every model that holds an issued credential, under the name the counts use."""
    return [*_token_models(), *_code_models()]


def _delete_issued(where: str, params: list, *, models: list[tuple[str, type]] | None = None) -> dict:
    """One DELETE per credential table, never row by row, of the rows matching `where` (SQL
    over the table's own `application_id` and `user_id` columns, written here, never input).

    Tokens reference each other (refresh <-> access, access -> ID token), all within the
    App; the foreign keys are checked at the end of the transaction, so the order is free.
    Returns how many rows went from each table."""
    quote = connection.ops.quote_name
    counts = {}
    with connection.cursor() as cursor:
        for label, model in models or _issued_credential_models():
            table = quote(model._meta.db_table)  # a model's own table name, not input
            cursor.execute(f"DELETE FROM {table} WHERE {where}", params)  # noqa: S608
            counts[label] = cursor.rowcount
    return counts


def _delete_issued_credentials(app_id: int) -> dict:
    """Delete every token and code of an App."""
    return _delete_issued("application_id = %s", [app_id])


def revoke_account_credentials(*, account: Account) -> dict:
    """Delete what a deactivated account holds (design §8): every token and unused code that
    acts for it, on any App, and every token and code of the Apps it owns. One DELETE per table
    and condition, never row by row. Called inside the deactivation's transaction (the
    `account_deactivated` receiver); reactivating gives nothing back."""
    app_table = connection.ops.quote_name(App._meta.db_table)
    # The grants go too: reactivated, the account (or the users of its Apps) is asked again.
    AppAuthorization.objects.filter(Q(account_id=account.pk) | Q(app__owner_id=account.pk)).delete()
    return _delete_issued(
        f"user_id = %s OR application_id IN (SELECT id FROM {app_table} WHERE owner_id = %s)",  # noqa: S608
        [account.pk, account.pk],
    )


def app_regenerate_secret(*, actor: Account, app: App, origin: Origin) -> App:
    """Replace every secret of the App with one new one; every token and unused code of the
    App stops working in the same transaction.

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
        }
        _audit(actor=actor, app=app, action=AuditAction.REGENERATE_SECRET, origin=origin, details=revoked)
    app.live_secrets = [secret]
    return app


def app_revoke_tokens(
    *, actor: Account, app: App, origin: Origin, access_token_ids: Collection[int] | None = None
) -> dict:
    """Revoke every token and unused code of the App (the secret stays), or only the given
    access tokens and their refresh tokens. Returns how many of each were revoked."""
    _require_manager(actor, app.owner)
    with transaction.atomic():
        app = App.objects.select_for_update().get(pk=app.pk)  # DoesNotExist if removed meanwhile
        if access_token_ids is None:
            revoked = _delete_issued_credentials(app.pk)
        else:
            # A handful picked from the token list: the ORM's delete keeps the links between
            # the remaining tokens consistent (SET_NULL) at a cost that does not matter here.
            ids = list(access_token_ids)
            refresh_tokens = RefreshToken.objects.filter(application=app, access_token_id__in=ids)
            access_tokens = AccessToken.objects.filter(application=app, pk__in=ids)
            revoked = {
                "refresh_tokens": refresh_tokens.delete()[1].get(RefreshToken._meta.label, 0),
                "access_tokens": access_tokens.delete()[1].get(AccessToken._meta.label, 0),
            }
        _audit(actor=actor, app=app, action=AuditAction.REVOKE_TOKENS, origin=origin, details=revoked)
    return revoked


def app_set_enabled(*, actor: Account, app: App, enabled: bool, origin: Origin) -> App:
    """Disable an App (no token for it, its tokens refused) or enable it again."""
    _require_manager(actor, app.owner)
    with transaction.atomic():
        # DoesNotExist if the App was removed meanwhile, as in the other services.
        current = App.objects.select_for_update().only("pk", "enabled").get(pk=app.pk)
        if current.enabled != enabled:
            App.objects.filter(pk=app.pk).update(enabled=enabled, updated=timezone.now())
            action = AuditAction.ENABLE if enabled else AuditAction.DISABLE
            _audit(actor=actor, app=app, action=action, origin=origin)
    app.enabled = enabled
    return app


def app_remove(*, actor: Account, app: App, origin: Origin) -> dict:
    """Delete the App with all its tokens and codes. Returns how many of each went with it."""
    _require_manager(actor, app.owner)
    with transaction.atomic():
        app = App.objects.select_for_update().get(pk=app.pk)  # DoesNotExist if removed meanwhile
        revoked = _delete_issued_credentials(app.pk)
        _audit(actor=actor, app=app, action=AuditAction.REMOVE, origin=origin, details=revoked)
        App.objects.filter(pk=app.pk).delete()
    return revoked


# --- Authorized Apps (design §8): the grants an account gave, and taking them back ----------

# The token endpoint refreshes an authorization's `last_used` at most this often.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def app_authorization_grant(*, app: App, account: Account) -> None:
    """Record that `account` let `app` act for it (authorize.php's Allow, register.php's Grant
    access: wherever an authorization code is issued for a user). One INSERT, which keeps the
    first grant's time when the App was authorized already (and two grants at once make one)."""
    AppAuthorization.objects.bulk_create(
        [AppAuthorization(app_id=app.pk, account_id=account.pk, api=app.api)], ignore_conflicts=True
    )


def app_authorization_used(*, app_id: int, account_id: int) -> None:
    """The token endpoint issued or refreshed a token of `app_id` for `account_id`: refresh the
    grant's `last_used`, at most once a LAST_USED_RESOLUTION (one guarded UPDATE, which writes
    nothing within the minute)."""
    now = timezone.now()
    AppAuthorization.objects.filter(
        Q(last_used__isnull=True) | Q(last_used__lt=now - LAST_USED_RESOLUTION),
        app_id=app_id,
        account_id=account_id,
    ).update(last_used=now)


def app_revoke_access(
    *, actor: Account, account: Account, apps: Collection[App], origin: Origin
) -> dict[int, dict]:
    """Take back the access `account` gave to each of `apps`: its grant, and every access
    token, refresh token and unused authorization code of the App that acts for the account,
    so the App must ask again. One audit row per App, in the App's trail. Refused whole
    (AppNotAuthorized, nothing written) when one of the Apps holds no grant for the account.
    Returns, per App id, how many of each credential went."""
    if not can_manage_account(actor, account):
        raise PermissionDenied("You cannot manage this account.")
    app_ids = sorted({app.pk for app in apps})
    if not app_ids:
        raise AppNotAuthorized()
    with transaction.atomic():
        grants = list(
            AppAuthorization.objects.select_for_update(of=("self",))
            .filter(account_id=account.pk, app_id__in=app_ids)
            .select_related("app")
            .only("pk", "app__id", "app__name", "app__client_id", "app__owner_id")
        )
        if len(grants) != len(app_ids):
            raise AppNotAuthorized()
        # How many of each the App loses, for its audit row: a grouped count per table, then
        # one DELETE per table for every App at once.
        counts: dict[int, dict] = {app_id: {} for app_id in app_ids}
        for label, model in _issued_credential_models():
            rows = (
                model.objects.filter(user_id=account.pk, application_id__in=app_ids)
                .order_by()
                .values_list("application_id")
                .annotate(n=Count("pk"))
            )
            found = dict(rows)
            for app_id in app_ids:
                counts[app_id][label] = found.get(app_id, 0)
        placeholders = ", ".join(["%s"] * len(app_ids))
        _delete_issued(f"user_id = %s AND application_id IN ({placeholders})", [account.pk, *app_ids])
        AppAuthorization.objects.filter(pk__in=[grant.pk for grant in grants]).delete()
        for grant in grants:
            details = {"account": account.get_username(), "account_id": account.pk, **counts[grant.app_id]}
            _audit(
                actor=actor, app=grant.app, action=AuditAction.REVOKE_ACCESS, origin=origin, details=details
            )
    return counts


# --- the rows of removed secrets ------------------------------------------------------------

PURGE_BATCH = 5000


def delete_access_token_rows(cursor, rows: list[tuple[int, int | None]]) -> tuple[int, int]:
    """Delete the access tokens of `rows` ((id, id_token_id) pairs, as selected) and the ID
    tokens they link to, with `cursor`, in the caller's transaction. Returns how many of each
    went."""
    if not rows:
        return 0, 0
    quote = connection.ops.quote_name
    access = quote(AccessToken._meta.db_table)
    id_tokens = quote(get_id_token_model()._meta.db_table)
    marks = ", ".join(["%s"] * len(rows))
    cursor.execute(f"DELETE FROM {access} WHERE id IN ({marks})", [pk for pk, _ in rows])  # noqa: S608
    deleted = cursor.rowcount
    linked = [id_token for _, id_token in rows if id_token is not None]
    if not linked:
        return deleted, 0
    marks = ", ".join(["%s"] * len(linked))
    cursor.execute(f"DELETE FROM {id_tokens} WHERE id IN ({marks})", linked)  # noqa: S608
    return deleted, cursor.rowcount


def purge_removed_secrets(*, batch: int = PURGE_BATCH, max_batches: int | None = None) -> dict:
    """Delete the tokens of removed secrets (refused since the removal), `batch` rows of a
    table per transaction, then each secret's own row once its last token is gone. At most
    `max_batches` transactions when given (a bounded slice of the work); what is left waits
    for the next run. Returns how many rows went from each table."""
    quote = connection.ops.quote_name
    access, refresh = quote(AccessToken._meta.db_table), quote(RefreshToken._meta.db_table)
    counts = {"access_tokens": 0, "refresh_tokens": 0, "id_tokens": 0, "secrets": 0}
    done = 0
    for secret_id in (
        AppSecret.objects.filter(removed__isnull=False).order_by("pk").values_list("pk", flat=True)
    ):
        while max_batches is None or done < max_batches:
            done += 1
            with transaction.atomic(), connection.cursor() as cursor:
                # Tables written here, never input; the ids are parameters.
                cursor.execute(
                    f"DELETE FROM {refresh} WHERE id IN "  # noqa: S608
                    f"(SELECT id FROM {refresh} WHERE secret_id = %s LIMIT %s)",
                    [secret_id, batch],
                )
                counts["refresh_tokens"] += cursor.rowcount
                moved = cursor.rowcount
                cursor.execute(
                    f"SELECT id, id_token_id FROM {access} WHERE secret_id = %s LIMIT %s",  # noqa: S608
                    [secret_id, batch],
                )
                rows = cursor.fetchall()
                access_count, id_count = delete_access_token_rows(cursor, rows)
                counts["access_tokens"] += access_count
                counts["id_tokens"] += id_count
                if moved < batch and len(rows) < batch:
                    # Nothing of it is left: no new token can name it (the trigger).
                    counts["secrets"] += AppSecret.objects.filter(pk=secret_id).delete()[0]
                    break
        if max_batches is not None and done >= max_batches:
            break
    return counts


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
