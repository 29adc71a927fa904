"""RFC 7591 client metadata: what /oauth/register and its RFC 7592 configuration endpoint
accept, read into the fields of an App (design §6.1). Parsing only; the writes are in
oauth/services/registration.py.

Kept: client_name, redirect_uris, grant_types, response_types, token_endpoint_auth_method,
scope, client_uri, logo_uri, contacts. Any other member is ignored, never an error (RFC 7591
2: "The authorization server MUST ignore any client metadata sent by the client that it does
not understand").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from apps_registry.apis import REGISTRATION_DEFAULT
from apps_registry.models import Api
from apps_registry.redirect_uris import MAX_REDIRECT_URIS

# RFC 7591 3.2.2 error codes.
INVALID_CLIENT_METADATA = "invalid_client_metadata"
INVALID_REDIRECT_URI = "invalid_redirect_uri"

AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")
GRANT_TYPES = ("authorization_code", "refresh_token")
RESPONSE_TYPES = ("code",)
SCOPES = tuple(Api.values)
# An unknown member is ignored, but a body that large is not client metadata.
MAX_BODY_BYTES = 16 * 1024
MAX_CONTACTS = 10


class RegistrationError(Exception):
    """An RFC 7591 3.2.2 (or RFC 6750 3.1) error: `error`, a readable `description`, a status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


def _metadata_error(description: str) -> RegistrationError:
    return RegistrationError(INVALID_CLIENT_METADATA, description)


@dataclass(frozen=True)
class ClientMetadata:
    """The client metadata as the portal keeps it, and the App fields it maps to."""

    client_name: str
    redirect_uris: list[str]
    grant_types: list[str]
    response_types: list[str]
    token_endpoint_auth_method: str
    scope: str
    client_uri: str = ""
    logo_uri: str = ""
    contacts: list[str] = field(default_factory=list)

    @property
    def public(self) -> bool:
        return self.token_endpoint_auth_method == "none"  # noqa: S105 - a method's name

    def app_fields(self, *, default_email: str) -> dict:
        """The keyword arguments of app_create (and app_update) this metadata gives.

        client_uri is the App's homepage; without one, the origin of the first http(s) redirect URL
        (none for an App whose redirect URLs are all private-use schemes).
        contacts' first address is the App's admin e-mail; without one, the owning account's."""
        homepage = self.client_uri
        web = [uri for uri in self.redirect_uris if urlsplit(uri).scheme in ("https", "http")]
        if not homepage and web:
            parts = urlsplit(web[0])
            homepage = f"{parts.scheme}://{parts.netloc}/"
        # A native App whose every redirect URL is a private-use scheme: no homepage at all
        # (App.clean_fields lets a client's own App have none) rather than one made up.
        return {
            "api": self.scope,
            "name": self.client_name,
            "homepage": homepage,
            "image_uri": self.logo_uri,
            "email": self.contacts[0] if self.contacts else default_email,
            "redirect_uri": self.redirect_uris[0],
            "extra_redirect_uris": self.redirect_uris[1:],
        }

    def as_stored(self) -> dict:
        """The members echoed in every client information response (RFC 7591 3.2.1)."""
        stored = {
            "client_name": self.client_name,
            "redirect_uris": self.redirect_uris,
            "grant_types": self.grant_types,
            "response_types": self.response_types,
            "token_endpoint_auth_method": self.token_endpoint_auth_method,
            "scope": self.scope,
            "contacts": self.contacts,
        }
        if self.client_uri:
            stored["client_uri"] = self.client_uri
        if self.logo_uri:
            stored["logo_uri"] = self.logo_uri
        return stored


def _string(body: dict, name: str, *, default: str = "") -> str:
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, str):
        raise _metadata_error(f"{name} must be a string.")
    return value.strip()


def _strings(body: dict, name: str, *, default: list[str]) -> list[str]:
    value = body.get(name)
    if value is None:
        return list(default)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _metadata_error(f"{name} must be an array of strings.")
    return list(value)


def _subset(values: list[str], allowed: tuple[str, ...], name: str, why: str) -> list[str]:
    unknown = [value for value in values if value not in allowed]
    if unknown:
        raise _metadata_error(f"{name} {', '.join(unknown)} is not supported: {why}")
    return list(dict.fromkeys(values))  # in order, without repeats


def parse_client_metadata(body: object) -> ClientMetadata:
    """The RFC 7591 2 metadata of a registration (or an RFC 7592 2.2 update, which replaces
    every member: one left out takes its default). RegistrationError when a member is
    malformed; the App's own rules (URL shapes, e-mail, the API the owner may have) are the
    services' to check."""
    if not isinstance(body, dict):
        raise _metadata_error("The body must be a JSON object of client metadata (RFC 7591 2).")
    name = _string(body, "client_name")
    if not name:
        raise _metadata_error("client_name is required: the name users see on the consent page.")

    redirect_uris = _strings(body, "redirect_uris", default=[])
    if not redirect_uris:
        raise RegistrationError(INVALID_REDIRECT_URI, "redirect_uris is required: at least one redirect URL.")
    if len(redirect_uris) > MAX_REDIRECT_URIS:
        raise RegistrationError(INVALID_REDIRECT_URI, f"At most {MAX_REDIRECT_URIS} redirect_uris.")
    if len(set(redirect_uris)) != len(redirect_uris):
        raise RegistrationError(INVALID_REDIRECT_URI, "A redirect URL is listed twice in redirect_uris.")

    grant_types = _subset(
        _strings(body, "grant_types", default=["authorization_code"]),
        GRANT_TYPES,
        "grant_types",
        "a registered App uses authorization_code and refresh_token (client_credentials is "
        "for Apps an account owner marks as trusted in the portal).",
    )
    response_types = _subset(
        _strings(body, "response_types", default=["code"]),
        RESPONSE_TYPES,
        "response_types",
        'only "code" (the authorization code flow).',
    )
    if "code" in response_types and "authorization_code" not in grant_types:
        raise _metadata_error('response_types "code" needs grant_types "authorization_code" (RFC 7591 2.1).')
    if "authorization_code" not in grant_types:
        raise _metadata_error('grant_types must include "authorization_code".')

    method = _string(body, "token_endpoint_auth_method", default="client_secret_basic")
    if method not in AUTH_METHODS:
        raise _metadata_error(
            f"token_endpoint_auth_method {method} is not supported: use {', '.join(AUTH_METHODS)}."
        )

    scope = _scope(_string(body, "scope"))

    contacts = _strings(body, "contacts", default=[])
    if len(contacts) > MAX_CONTACTS:
        raise _metadata_error(f"At most {MAX_CONTACTS} contacts.")
    return ClientMetadata(
        client_name=name,
        redirect_uris=redirect_uris,
        grant_types=grant_types,
        response_types=response_types,
        token_endpoint_auth_method=method,
        scope=scope,
        client_uri=_string(body, "client_uri"),
        logo_uri=_string(body, "logo_uri"),
        contacts=contacts,
    )


def _scope(value: str) -> str:
    """The App's API: scope one of SCOPES ("systemapi" or "unifiedapi"); without a scope,
    REGISTRATION_DEFAULT (unifiedapi, as register.php's `api` defaults to it)."""
    values = value.split()
    if not values:
        return REGISTRATION_DEFAULT
    unknown = [scope for scope in values if scope not in SCOPES]
    if unknown or len(set(values)) > 1:
        one_of = " or ".join(f'"{scope}"' for scope in SCOPES)
        raise _metadata_error(f"scope must be one of {one_of}: the API the App calls (one per App).")
    return values[0]


# The App fields the services' ValidationErrors name, as the metadata member they came from.
FIELD_MEMBERS = {
    "name": "client_name",
    "homepage": "client_uri",
    "image_uri": "logo_uri",
    "email": "contacts",
    "redirect_uri": "redirect_uris",
    "extra_redirect_uris": "redirect_uris",
    "api": "scope",
}
