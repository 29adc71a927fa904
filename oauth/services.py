"""The OAuth use cases that write: register.php's consent (design §5), RFC 7591/7592
registration and its initial access tokens (design §6.1).

Like the App services below them, they take the acting account, own their transaction, and
refuse a broken rule with a typed exception; the views only parse and answer.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from oauth2_provider.oauth2_backends import get_oauthlib_core

from accounts.models import Account
from accounts.permissions import can_manage_account
from accounts.services import account_event_record
from apps_registry.models import App, ClientRegistration, ConsumedRegistration, InitialAccessToken
from apps_registry.services import COMMAND_LINE as COMMAND_LINE  # re-exported for the command
from apps_registry.services import AddOutcome, Origin, app_add, app_remove, app_reveal_secret, app_update

from .audit import OAuthAccountAction
from .housekeeping import OPEN_REGISTRATION_UNUSED_LIFETIME, purge_consumed_registrations
from .registration import FIELD_MEMBERS, INVALID_CLIENT_METADATA, INVALID_REDIRECT_URI, ClientMetadata
from .registration import RegistrationError as RegistrationError  # re-exported for the views
from .validator import checksum


class ConsentAlreadyUsed(Exception):
    """The register.php consent page was submitted before: it registers nothing again.
    `app`: the App it made (when known)."""

    def __init__(self, app: App | None = None):
        super().__init__()
        self.app = app


class TwinApp(Exception):
    """The account has an App of this name and redirect URL (`app`): a consent page drawn
    again after Back; its person is asked first, as the Add App form asks."""

    def __init__(self, app: App):
        super().__init__()
        self.app = app


@dataclass(frozen=True)
class Registration:
    app: App
    code: str | None  # an authorization code for the account, when it granted access


def register_by_consent(
    *,
    actor: Account,
    app_fields: dict,
    nonce: str,
    grant_access: bool,
    origin: Origin,
    http_request: HttpRequest,
    client_id: str | None = None,
    confirm_twin: bool = True,
) -> Registration:
    """What Register on register.php's consent page does, all or nothing: use up the page's
    one-time nonce, add the (untrusted) App owned by the actor's account with app_add (with
    `client_id`, the key the page was drawn with), and, when the user granted access, issue an
    authorization code for it. app_add's outcomes as the Add App form has them: the page sent
    again raises ConsentAlreadyUsed, a twin (while `confirm_twin`) TwinApp; or the App
    services' errors (ApiNotAllowed, AppLimitReached, a field's ValidationError); each with
    nothing written. `http_request` is the consent request, which django-oauth-toolkit needs."""
    with transaction.atomic():
        purge_consumed_registrations()
        try:
            with transaction.atomic():
                ConsumedRegistration.objects.create(nonce=nonce)
        except IntegrityError:
            made = App.objects.filter(owner=actor, client_id=client_id).first() if client_id else None
            raise ConsentAlreadyUsed(made) from None
        added = app_add(
            actor=actor,
            owner=actor,
            origin=origin,
            trusted=False,
            client_id=client_id,
            confirm_twin=confirm_twin,
            **app_fields,
        )
        if added.outcome == AddOutcome.SENT_ALREADY:
            raise ConsentAlreadyUsed(added.app)  # the nonce's row goes with the transaction
        if added.outcome == AddOutcome.TWIN:
            raise TwinApp(added.app)
        if added.outcome == AddOutcome.KEY_TAKEN:
            raise ValidationError("This consent page is too old: open the App's registration link again.")
        app = added.app
        code = issue_code(http_request, app) if grant_access else None
    return Registration(app=app, code=code)


def issue_code(http_request: HttpRequest, app: App) -> str:
    """A normal authorization code for the signed-in user and the App, issued by
    django-oauth-toolkit as the authorization endpoint would, so the token endpoint redeems it."""
    uri, _headers, _body, _status = get_oauthlib_core().create_authorization_response(
        http_request,
        scopes=app.api,
        credentials={"client_id": app.client_id, "response_type": "code", "redirect_uri": None},
        allow=True,
    )
    return dict(parse_qsl(urlsplit(uri).query))["code"]


# --- RFC 7591/7592 registration (design §6.1) --------------------------------------------------

INVALID_TOKEN = "invalid_token"  # noqa: S105 - an error code
# Initial access tokens: at most this long-lived and this many registrations.
IAT_MAX_LIFETIME = timedelta(days=90)
IAT_MAX_USES = 1000


def _new_token(prefix: str) -> str:
    """A bearer token from a CSPRNG (256 bits), with a prefix naming its kind for secret scanners."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def _unauthorized(description: str) -> RegistrationError:
    return RegistrationError(INVALID_TOKEN, description, status=401)


def _metadata_error_from(error: ValidationError) -> RegistrationError:
    """An App service's refusal, in RFC 7591 3.2.2 terms, naming the metadata member at fault."""
    if not hasattr(error, "error_dict"):
        return RegistrationError(INVALID_CLIENT_METADATA, " ".join(error.messages))
    problems = []
    code = INVALID_CLIENT_METADATA
    for field, errors in error.error_dict.items():
        member = FIELD_MEMBERS.get(field, field)
        if member == "redirect_uris":
            code = INVALID_REDIRECT_URI
        problems.extend(f"{member}: {message}" for message in ValidationError(errors).messages)
    return RegistrationError(code, " ".join(problems))


@dataclass(frozen=True)
class Registered:
    """A client information response's contents (RFC 7591 3.2.1)."""

    app: App
    registration: ClientRegistration
    registration_access_token: str
    client_secret: str | None  # confidential clients only


def open_registration_account() -> Account | None:
    """The account that owns open-registered Apps, or None while open registration is off."""
    name = settings.OAUTH_OPEN_REGISTRATION_ACCOUNT
    if not name:
        return None
    query = Account.objects.filter(pk=int(name)) if name.isdigit() else Account.objects.filter(username=name)
    return query.first()


def _create_registered_app(
    *, actor: Account, owner: Account, metadata: ClientMetadata, origin: Origin, unverified: bool = False
) -> tuple[App, str | None]:
    try:
        # Clients register the same metadata again routinely: never a twin question here. Its
        # redirect URLs follow a client's own rule (registration_source "dcr": redirect_uris.py).
        app = app_add(
            actor=actor,
            owner=owner,
            public=metadata.public,
            registration_source=App.RegistrationSource.DCR,
            unverified=unverified,
            origin=origin,
            **metadata.app_fields(default_email=owner.email),
        ).app
    except ValidationError as error:
        raise _metadata_error_from(error) from None
    return app, (None if metadata.public else app.client_secret)


def registration_create(
    *, metadata: ClientMetadata, initial_access_token: str | None, ip_address: str | None, origin: Origin
) -> Registered:
    """RFC 7591 3: register an App. With an initial access token, to that token's account (one
    use of it); without one, through open registration when it is on: owned by
    OAUTH_OPEN_REGISTRATION_ACCOUNT, unverified (never trusted, PKCE S256 required whether it
    is public or holds a secret), within the per-address rate and the total cap, removed if it
    gets no token within a day. Every rule of app_create holds either way. RegistrationError,
    with nothing written, when a rule is broken."""
    now = timezone.now()
    with transaction.atomic():
        if initial_access_token is not None:
            iat = (
                InitialAccessToken.objects.select_for_update()
                .select_related("account")
                .filter(token_checksum=checksum(initial_access_token))
                .first()
            )
            if iat is None or iat.state(now) != "usable" or not iat.account.is_active:
                raise _unauthorized("The initial access token is invalid, expired, used up or revoked.")
            owner = iat.account
            app, secret = _create_registered_app(actor=owner, owner=owner, metadata=metadata, origin=origin)
            InitialAccessToken.objects.filter(pk=iat.pk).update(uses=iat.uses + 1)
        else:
            owner = open_registration_account()
            if owner is None or not owner.is_active:
                raise _unauthorized(
                    "An initial access token is required (Authorization: Bearer): open registration is off."
                )
            # Every open registration locks the owning account's row first, so the counts
            # below cannot be passed by requests racing each other, in any number of processes.
            Account.objects.select_for_update().only("pk").get(pk=owner.pk)
            recent = ClientRegistration.objects.filter(
                open_registration=True, ip_address=ip_address, created__gte=now - timedelta(hours=1)
            ).count()
            if recent >= settings.OAUTH_OPEN_REGISTRATION_PER_ADDRESS:
                raise RegistrationError(
                    "too_many_requests",
                    f"At most {settings.OAUTH_OPEN_REGISTRATION_PER_ADDRESS} open registrations per "
                    "hour from one address. Try again later.",
                    status=429,
                )
            existing = ClientRegistration.objects.filter(open_registration=True, app__isnull=False).count()
            if existing >= settings.OAUTH_OPEN_REGISTRATION_CAP:
                raise RegistrationError(
                    "too_many_requests",
                    "Open registration is full for now: unused Apps expire after a day. Try again later.",
                    status=429,
                )
            iat = None
            app, secret = _create_registered_app(
                actor=owner, owner=owner, metadata=metadata, origin=origin, unverified=True
            )
            app.unused_expires = now + OPEN_REGISTRATION_UNUSED_LIFETIME
            App.objects.filter(pk=app.pk).update(unused_expires=app.unused_expires)
        token = _new_token("rat")
        registration = ClientRegistration.objects.create(
            app=app,
            access_token_checksum=checksum(token),
            metadata=metadata.as_stored(),
            open_registration=iat is None,
            initial_access_token=iat,
            ip_address=ip_address,
        )
    return Registered(
        app=app, registration=registration, registration_access_token=token, client_secret=secret
    )


def _registered(client_id: str, registration_access_token: str, *, lock: bool = False) -> ClientRegistration:
    """RFC 7592 2: the registration the token was issued for, of this client_id, or 401."""
    query = ClientRegistration.objects.select_related("app__owner").filter(
        access_token_checksum=checksum(registration_access_token), app__client_id=client_id
    )
    if lock:
        query = query.select_for_update(of=("self",))
    registration = query.first()
    if registration is None or not registration.app.owner.is_active:
        raise _unauthorized("The registration access token is invalid for this client.")
    return registration


def registration_check(*, client_id: str, registration_access_token: str) -> None:
    """RFC 7592 2: RegistrationError (401) unless the token is this client's registration access
    token; what an update checks before it reads the body it was sent."""
    _registered(client_id, registration_access_token)


def registration_read(*, client_id: str, registration_access_token: str, origin: Origin) -> Registered:
    """RFC 7592 2.1: the client's current registration; its secret, for a confidential client,
    is revealed through app_reveal_secret (audited)."""
    registration = _registered(client_id, registration_access_token)
    app = registration.app
    secret = None if app.is_public else app_reveal_secret(actor=app.owner, app=app, origin=origin)
    return Registered(
        app=app,
        registration=registration,
        registration_access_token=registration_access_token,
        client_secret=secret,
    )


def registration_update(
    *,
    client_id: str,
    registration_access_token: str,
    metadata: ClientMetadata,
    client_secret: str | None,
    origin: Origin,
) -> Registered:
    """RFC 7592 2.2: replace the client's metadata with `metadata` (members left out take their
    defaults). The API and the client type are fixed after registration, and a client_secret
    sent must be the App's. Written through app_update; RegistrationError otherwise. An App
    its owner disabled does not change (403, RFC 7592 2.2): whatever the owner looked at when
    disabling it is what they find when they enable it again."""
    with transaction.atomic():
        registration = _registered(client_id, registration_access_token, lock=True)
        app = registration.app
        if not app.enabled:
            raise RegistrationError(
                "access_denied",
                "This App is disabled by the account that owns it: its registration cannot change "
                "until that account enables it again.",
                status=403,
            )
        if client_secret is not None and (app.is_public or not app.check_secret(client_secret)):
            raise RegistrationError(INVALID_CLIENT_METADATA, "client_secret is not this client's secret.")
        if metadata.public != app.is_public:
            raise RegistrationError(
                INVALID_CLIENT_METADATA,
                'token_endpoint_auth_method cannot change between "none" and a secret: register anew.',
            )
        fields = metadata.app_fields(default_email=app.owner.email)
        if fields.pop("api") != app.api:
            raise RegistrationError(INVALID_CLIENT_METADATA, "scope (the App's API) cannot change.")
        try:
            app = app_update(actor=app.owner, app=app, origin=origin, **fields)
        except ValidationError as error:
            raise _metadata_error_from(error) from None
        registration.metadata = metadata.as_stored()
        registration.save(update_fields=["metadata"])
    secret = None if app.is_public else app.client_secret
    return Registered(
        app=app,
        registration=registration,
        registration_access_token=registration_access_token,
        client_secret=secret,
    )


def registration_delete(*, client_id: str, registration_access_token: str, origin: Origin) -> None:
    """RFC 7592 2.3: remove the App (app_remove: its tokens and codes with it); the
    registration access token dies with it."""
    with transaction.atomic():
        registration = _registered(client_id, registration_access_token, lock=True)
        app_remove(actor=registration.app.owner, app=registration.app, origin=origin)


# --- Initial access tokens -----------------------------------------------------------------


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
    token = _new_token("iat")
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
