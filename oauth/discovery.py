"""Discovery (design §6): the authorization server's metadata (RFC 8414), the protected
resources' metadata (RFC 9728) and the resource identifiers that `resource` (RFC 8707) may
name. Every URL is built from the configured issuer (oauth.issuer), never from a request's
Host."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from oauth2_provider.oauth2_validators import is_valid_resource_uri

from apps_registry.apis import API_KINDS, Api

from . import client_metadata
from .issuer import configured_issuer, plain_http_allowed


@dataclass(frozen=True)
class Resource:
    """A protected resource the portal answers for: the path segment of its identifier
    (`{issuer}/{segment}`, RFC 9728 §1.2) and of its metadata URL
    (`{issuer}/.well-known/oauth-protected-resource/{segment}`, RFC 9728 §3.1)."""

    segment: str
    api: str
    name: str


# Every resource segment each API kind declares (apps_registry/apis.py): UnifiedAPI at uapi and
# its alias unifiedapi, SystemAPI (served by VoipNow) at systemapi.
RESOURCES = {
    segment: Resource(segment, kind.value, kind.label) for kind in API_KINDS for segment in kind.resources
}
# A token's scope is its App's API (design §6).
SCOPES = list(Api.values)
# How each endpoint authenticates an App (RFC 8414 §2). `none`: a public client (RFC 7591
# open registration), at the token endpoint with PKCE, and at revocation (RFC 7009 §5).
# Introspection is for Apps that hold a secret.
CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
INTROSPECTION_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
# RFC 7591's endpoint (oauth/views/registration.py, on its own branch): named by path here.
REGISTRATION_PATH = "/oauth/register"


def resource_id(issuer: str, segment: str) -> str:
    return f"{issuer}/{segment}"


def resource_metadata_url(issuer: str, segment: str) -> str:
    return issuer + reverse("oauth:protected_resource_metadata", args=[segment])


def authorization_server_metadata(issuer: str) -> dict:
    """RFC 8414 §2, with what the portal really does (no implicit or password grant, PKCE S256
    only, `iss` in authorization responses: RFC 9207 §3)."""

    def url(name: str) -> str:
        return issuer + reverse(name)

    return {
        "issuer": issuer,
        "authorization_endpoint": url("oauth:authorize"),
        "token_endpoint": url("oauth:token"),
        "registration_endpoint": issuer + REGISTRATION_PATH,
        "revocation_endpoint": url("oauth:revoke"),
        "introspection_endpoint": url("oauth:introspect"),
        "scopes_supported": SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "token_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "introspection_endpoint_auth_methods_supported": INTROSPECTION_AUTH_METHODS,
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": True,
        # draft-ietf-oauth-client-id-metadata-document: only while the operator turned them on.
        **({"client_id_metadata_document_supported": True} if client_metadata.enabled() else {}),
    }


def protected_resource_metadata(issuer: str, resource: Resource) -> dict:
    """RFC 9728 §2 for one of RESOURCES."""
    return {
        "resource": resource_id(issuer, resource.segment),
        "authorization_servers": [issuer],
        "scopes_supported": [resource.api],
        "bearer_methods_supported": ["header"],
        "resource_name": resource.name,
    }


# --- RFC 8707: which `resource` values name which API ------------------------------------


def extra_resources() -> dict[str, str]:
    """OAUTH_EXTRA_RESOURCES ("api=url" items) as {url: api}, the malformed items left out
    (oauth/checks.py names them)."""
    found = {}
    for item in settings.OAUTH_EXTRA_RESOURCES:
        api, _, uri = item.partition("=")
        if api.strip() in Api.values and not extra_resource_problem(uri.strip()):
            found[uri.strip()] = api.strip()
    return found


def extra_resource_problem(uri: str) -> str | None:
    """Why `uri` cannot be a resource identifier (RFC 8707 §2: an absolute URI without a
    fragment; here https, or http for loopback in development, with a host), or None."""
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 -- raises ValueError on a port that is not a number
    except ValueError:
        return "not a URL"
    if "#" in uri:
        return "has a fragment"
    if parts.username is not None or parts.password is not None:
        return "carries user info"
    if not parts.hostname or parts.scheme not in ("https", "http"):
        return "not an absolute https URL"
    if parts.scheme == "http" and not plain_http_allowed(parts.hostname):
        return "not https (plain http only for a loopback address while OAUTH_ALLOW_LOOPBACK_HTTP is on)"
    return None


def known_resources() -> dict[str, str]:
    """Every resource identifier a token may be bound to, as {identifier: api}: the portal's
    own (none while no issuer is configured) and OAUTH_EXTRA_RESOURCES."""
    found = {}
    issuer = configured_issuer()
    if issuer:
        found = {resource_id(issuer, r.segment): r.api for r in RESOURCES.values()}
    return {**extra_resources(), **found}


def own_resources(api: str) -> list[str]:
    """The portal's identifiers of `api` (UnifiedAPI's two, SystemAPI's one)."""
    issuer = configured_issuer()
    if not issuer:
        return []
    return [resource_id(issuer, r.segment) for r in RESOURCES.values() if r.api == api]


def resource_problem(values: list[str], api: str) -> str | None:
    """Why an App of `api` may not ask for a token bound to `values` (RFC 8707 §2's
    invalid_target), or None. One resource per request: a token serves one resource (the
    portal's identifier of the App's API, or a resource server of OAUTH_EXTRA_RESOURCES that
    accepts that API's tokens)."""
    if len(values) > 1:
        return "Ask for one resource per request: a token is bound to one resource."
    (value,) = values
    if not is_valid_resource_uri(value):
        return f"The resource {value!r} is not an absolute URI without a fragment (RFC 8707 §2)."
    if known_resources().get(value) != api:
        served = ", ".join(own_resources(api)) or "none while the portal has no issuer configured"
        return f"The resource {value!r} is not one this App's API serves ({api}: {served})."
    return None
