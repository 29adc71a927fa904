"""RFC 7591 registration and RFC 7592 management (design §6.1): the registrations' writes,
through the App services, with their registration access tokens."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from apps_registry.models import App, ClientRegistration, InitialAccessToken
from apps_registry.services import Origin, app_add, app_remove, app_reveal_secret, app_update

from ..housekeeping import OPEN_REGISTRATION_UNUSED_LIFETIME
from ..registration import (
    FIELD_MEMBERS,
    INVALID_CLIENT_METADATA,
    INVALID_REDIRECT_URI,
    ClientMetadata,
    RegistrationError,
)
from ..validator import checksum

INVALID_TOKEN = "invalid_token"  # noqa: S105 - an error code


def new_bearer_token(prefix: str) -> str:
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
        token = new_bearer_token("rat")
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
