"""Every write to an App (design §3). The portal, /oauth/register.php, the Django admin and the
command line all call these, so a rule cannot differ between entry points.

Each service takes the acting account, checks again that it may manage the App's owner
(PermissionDenied otherwise), runs in one transaction, writes its audit row, and refuses a
broken rule with a ValidationError carrying a stable code.
"""

from __future__ import annotations

from collections.abc import Collection

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from oauth2_provider.models import get_grant_model, get_id_token_model

from accounts.models import Account, Kind
from accounts.permissions import can_manage_account
from portal.audit import COMMAND_LINE as COMMAND_LINE  # re-exported, as Origin is
from portal.audit import Origin

from .crypto import generate_credential, is_credential
from .exceptions import (
    AppLimitReached,
    DuplicateAppKey,
    PublicClientHasNoSecret,
    ResourceServerNotAllowed,
    UnifiedApiNotAllowed,
)
from .models import AccessToken, Api, App, AuditAction, AuditEvent, RefreshToken

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
    return AuditEvent.objects.create(
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
    if not public:
        app.client_secret = client_secret or generate_credential()
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


def app_reveal_secret(*, actor: Account, app: App, origin: Origin) -> str:
    """The App secret in clear, for those who manage the App; each reveal is audited."""
    _require_manager(actor, app.owner)
    if app.is_public:
        raise PublicClientHasNoSecret()
    with transaction.atomic():
        _audit(actor=actor, app=app, action=AuditAction.REVEAL_SECRET, origin=origin)
    return app.client_secret


def _issued_credential_models() -> list[tuple[str, type]]:
    """Every model that holds an issued credential, under the name the counts use."""
    return [
        ("refresh_tokens", RefreshToken),
        ("access_tokens", AccessToken),
        ("id_tokens", get_id_token_model()),
        ("authorization_codes", get_grant_model()),
    ]


def _delete_issued(where: str, params: list) -> dict:
    """One DELETE per credential table, never row by row, of the rows matching `where` (SQL
    over the table's own `application_id` and `user_id` columns, written here, never input).

    Tokens reference each other (refresh <-> access, access -> ID token), all within the
    App; the foreign keys are checked at the end of the transaction, so the order is free.
    Returns how many rows went from each table."""
    quote = connection.ops.quote_name
    counts = {}
    with connection.cursor() as cursor:
        for label, model in _issued_credential_models():
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
    return _delete_issued(
        f"user_id = %s OR application_id IN (SELECT id FROM {app_table} WHERE owner_id = %s)",  # noqa: S608
        [account.pk, account.pk],
    )


def app_regenerate_secret(*, actor: Account, app: App, origin: Origin) -> App:
    """Replace the secret and, in the same transaction, every token and unused code of the App."""
    _require_manager(actor, app.owner)
    if app.is_public:
        raise PublicClientHasNoSecret()
    app.client_secret = generate_credential()
    app.updated = timezone.now()
    with transaction.atomic():
        if not App.objects.filter(pk=app.pk).update(
            encrypted_secret=app.encrypted_secret,
            secret_version=F("secret_version") + 1,
            updated=app.updated,
        ):
            raise App.DoesNotExist("The App was removed.")
        revoked = _delete_issued_credentials(app.pk)
        _audit(actor=actor, app=app, action=AuditAction.REGENERATE_SECRET, origin=origin, details=revoked)
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
