"""The portal's OAuth 2.0 issuer identifier (RFC 8414 §2): its configured public address,
never a request's Host. The discovery documents (oauth/discovery.py) and the `iss` of
authorization responses (RFC 9207) are built from it; `check --deploy` warns when it is unset
or not https (oauth/checks.py)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings

# What may be reached over plain http while OAUTH_ALLOW_LOOPBACK_HTTP is on (development).
LOOPBACK_NAMES = frozenset({"localhost"})


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def plain_http_allowed(host: str | None) -> bool:
    """Plain http is for a loopback host, while OAUTH_ALLOW_LOOPBACK_HTTP is on (development)."""
    return settings.OAUTH_ALLOW_LOOPBACK_HTTP and is_loopback_host(host)


def issuer_problem(value: str) -> str | None:
    """Why `value` cannot be the issuer, or None. RFC 8414 §2: an https URL with no query or
    fragment; the portal's endpoints are mounted at the root, so no path either (the
    metadata's well-known URL is then simply /.well-known/oauth-authorization-server, RFC 8414
    §3.1). Plain http only for a loopback host while OAUTH_ALLOW_LOOPBACK_HTTP is on."""
    if not value:
        return "OAUTH_ISSUER (or PORTAL_BASE_URL) is not set."
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 -- raises ValueError on a port that is not a number
    except ValueError:
        return f"OAUTH_ISSUER {value!r} is not a URL."
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return f"OAUTH_ISSUER {value!r} is not an absolute https URL."
    if parts.username is not None or parts.password is not None:
        return f"OAUTH_ISSUER {value!r} must not carry user info."
    if parts.query or parts.fragment or "?" in value or "#" in value:
        return f"OAUTH_ISSUER {value!r} must have no query or fragment (RFC 8414 §2)."
    if parts.path not in ("", "/"):
        return f"OAUTH_ISSUER {value!r} must have no path: the portal's endpoints are at its root."
    if parts.scheme == "http" and not plain_http_allowed(parts.hostname):
        return (
            f"OAUTH_ISSUER {value!r} must be https (plain http only for a loopback address "
            "while OAUTH_ALLOW_LOOPBACK_HTTP is on)."
        )
    return None


def configured_issuer() -> str | None:
    """The issuer (without a trailing slash), or None when it is unset or invalid."""
    value = settings.OAUTH_ISSUER.rstrip("/")
    return None if issuer_problem(value) else value
