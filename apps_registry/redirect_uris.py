"""The rules of an App's URLs (design §3, RFC 9700 2.1, RFC 8252): which redirect URLs an App
may register, which schemes it may use, and which URL authorize.php sends a code to. The one
place these rules live: the App model, its form, /oauth/register.php, RFC 7591 registration,
Client ID Metadata Documents and the playground all ask here.

Two rules, chosen by how the App came to be:
- **The portal's** (an App made on the portal, register.php, the Django admin, the command
  line): an absolute https URL; plain http for a loopback host only while
  OAUTH_ALLOW_LOOPBACK_HTTP is on (development, the playground's callback).
- **A client's own** (an App that registered itself through RFC 7591, or a Client ID Metadata
  Document): what native Apps and MCP hosts use (RFC 8252, the MCP authorization
  specification), whatever OAUTH_ALLOW_LOOPBACK_HTTP says: https; http on a loopback host
  (`localhost`, `127.0.0.1`, `[::1]`) with any port or none, the port ignored when matching
  (RFC 8252 7.3; Visual Studio Code registers `http://127.0.0.1/` without one); and, for a
  public client only, a private-use scheme in reverse-domain form such as
  `com.example.app:/callback` (RFC 8252 7.1). Never `javascript:`, `data:`, `file:`,
  `vbscript:` (none of them is reverse-domain), plain http to another host, or a scheme in
  upper case (a redirect URL is matched character for character).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from oauth2_provider.models import check_redirect_to_uri_allowed

from accounts.validators import validate_single_line

_http_url = URLValidator(schemes=["http", "https"], message="Enter an absolute http:// or https:// URL.")
_https_url = URLValidator(schemes=["https"], message="Enter an absolute https:// URL.")

# Hosts a development portal may send a code to over plain HTTP (RFC 8252 loopback).
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
# A client's own redirect URLs (RFC 7591, metadata documents) may be plain http on these, on any
# port. RFC 8252 8.3 discourages "localhost", but the MCP authorization specification requires
# it to be accepted, and the hosts that people use (assistants on the command line, the MCP
# Inspector) send exactly http://localhost:<port>/callback.
NATIVE_LOOPBACK_HOSTS = LOOPBACK_HOSTS
# How many redirect URLs one App may register (the first is its primary one).
MAX_REDIRECT_URIS = 10
# RFC 8252 7.1: a private-use scheme is a domain name the App's developer controls, reversed.
REVERSE_DOMAIN_SCHEME = re.compile(r"[a-z][a-z0-9-]*(?:\.[a-z0-9-]+)+")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
# What a client's redirect URL may be, in the words of every refusal.
CLIENT_FORMS = (
    "https://..., http://localhost:<port>/..., http://127.0.0.1:<port>/..., http://[::1]:<port>/..."
)
PUBLIC_CLIENT_FORMS = (
    f"{CLIENT_FORMS}, or a private-use scheme in reverse-domain form (com.example.app:/callback)"
)


def validate_http_url(value: str) -> None:
    """An absolute http(s) URL (Homepage, Image URL), with no control character in it."""
    validate_single_line(value)  # URLValidator lets a NUL through, which PostgreSQL refuses
    _http_url(value)


def redirect_uri_schemes(uri: str = "") -> list[str]:
    """The schemes the portal's rule lets a redirect URI use: https; also http for a loopback
    host, and only while OAUTH_ALLOW_LOOPBACK_HTTP is on (development, the playground's own
    callback)."""
    if settings.OAUTH_ALLOW_LOOPBACK_HTTP and urlsplit(uri).hostname in LOOPBACK_HOSTS:
        return ["https", "http"]
    return ["https"]


def is_native_loopback(uri: str) -> bool:
    """An http URL on a loopback host: where a client's own rule lets an App take its code, on
    any port (RFC 8252 7.3)."""
    try:
        parts = urlsplit(uri)
        return parts.scheme == "http" and parts.hostname in NATIVE_LOOPBACK_HOSTS
    except ValueError:
        return False


def private_use_scheme(uri: str) -> str | None:
    """The scheme of `uri` when it is a private-use one in reverse-domain form (RFC 8252 7.1)."""
    found = _SCHEME.match(uri)
    scheme = found.group(1) if found else ""
    return scheme if REVERSE_DOMAIN_SCHEME.fullmatch(scheme) else None


def _refuse_fragment_and_userinfo(value: str) -> None:
    parts = urlsplit(value)
    if "#" in value:
        raise ValidationError("The redirect URL must not contain a fragment (#...).", code="fragment")
    if parts.username is not None or parts.password is not None:
        raise ValidationError("The redirect URL must not contain a user name or password.", code="userinfo")


def validate_redirect_uri(value: str) -> None:
    """The portal's rule: an absolute https URL with no fragment, no user name or password and
    no control character in it (http only for a loopback host when OAUTH_ALLOW_LOOPBACK_HTTP
    is on)."""
    validate_single_line(value)  # URLValidator lets a NUL through, which PostgreSQL refuses
    try:
        loopback_http = "http" in redirect_uri_schemes(value)
    except ValueError:  # unparsable (e.g. a broken IPv6 literal): the URL validator says so
        loopback_http = False
    (_http_url if loopback_http else _https_url)(value)
    _refuse_fragment_and_userinfo(value)


def validate_client_redirect_uri(value: str, *, public: bool) -> None:
    """A client's own rule (RFC 7591 registration, metadata documents): https, http on a
    loopback host with any port, or, for a `public` client, a private-use scheme in
    reverse-domain form; each refusal names the forms that are accepted."""
    forms = PUBLIC_CLIENT_FORMS if public else CLIENT_FORMS
    validate_single_line(value)
    found = _SCHEME.match(value)
    scheme = found.group(1) if found else ""
    if not scheme:
        raise ValidationError(f"Enter an absolute URL: {forms}.", code="invalid")
    if scheme != scheme.lower():
        raise ValidationError(
            f"Write the scheme {scheme!r} in lower case: a redirect URL is matched exactly. "
            f"Accepted: {forms}.",
            code="scheme_case",
        )
    if scheme in ("https", "http"):
        try:
            loopback = urlsplit(value).hostname in NATIVE_LOOPBACK_HOSTS
        except ValueError:  # a broken IPv6 literal: the URL validator says so
            loopback = False
        if scheme == "http" and not loopback:
            raise ValidationError(
                f"Plain http is for a loopback host only (localhost, 127.0.0.1, [::1]). Accepted: {forms}.",
                code="http_not_loopback",
            )
        URLValidator(schemes=[scheme], message=f"Enter an absolute URL: {forms}.")(value)
        _refuse_fragment_and_userinfo(value)
        return
    if not REVERSE_DOMAIN_SCHEME.fullmatch(scheme):
        raise ValidationError(
            f"The scheme {scheme!r} is not accepted. Accepted: {forms}.", code="scheme_not_allowed"
        )
    if not public:
        raise ValidationError(
            f"A private-use scheme ({scheme}:) is for public clients only (token_endpoint_auth_method "
            f'"none", RFC 8252 7.1). Accepted: {forms}.',
            code="private_use_scheme_confidential",
        )
    if "#" in value:
        raise ValidationError("The redirect URL must not contain a fragment (#...).", code="fragment")
    if not value[len(scheme) + 1 :] or any(character.isspace() for character in value):
        raise ValidationError(
            f"Enter a complete URL after {scheme}: such as {scheme}:/callback.", code="invalid"
        )


def validate_extra_redirect_uris(extra, *, primary: str, public: bool, client_rule: bool = False) -> None:
    """The redirect URLs beyond the first (`primary`): a list of at most MAX_REDIRECT_URIS - 1
    more, each valid as the first is (under the client's own rule when `client_rule`), none
    repeated. ValidationError naming the field `extra_redirect_uris`."""
    if not isinstance(extra, list) or not all(isinstance(uri, str) for uri in extra):
        raise ValidationError({"extra_redirect_uris": ValidationError("A list of URLs.", code="invalid")})
    if len(extra) + 1 > MAX_REDIRECT_URIS:
        raise ValidationError(
            {
                "extra_redirect_uris": ValidationError(
                    "At most %(max)d redirect URLs.", code="too_many", params={"max": MAX_REDIRECT_URIS}
                )
            }
        )
    every = [primary, *extra]
    if len(set(every)) != len(every):
        raise ValidationError(
            {"extra_redirect_uris": ValidationError("A redirect URL is listed twice.", code="duplicate")}
        )
    for uri in extra:
        try:
            if client_rule:
                validate_client_redirect_uri(uri, public=public)
            else:
                validate_redirect_uri(uri)
        except ValidationError as error:
            raise ValidationError(
                {"extra_redirect_uris": ValidationError(f"{uri}: {error.messages[0]}", code=error.code)}
            ) from None


def _client_may_use(uri: str, *, public: bool) -> bool:
    """Whether a client's own rule still lets a code go to `uri` (its scheme, its host)."""
    try:
        validate_client_redirect_uri(uri, public=public)
    except ValidationError:
        return False
    return True


def allowed_schemes(registered: list[str], *, public: bool, client_rule: bool = False) -> list[str]:
    """django-oauth-toolkit's redirect schemes for an App whose redirect URLs are `registered`
    (the primary first), from the same rules as the field validators: what a redirect to the
    App (OAuth2ResponseRedirect) may use."""
    if client_rule:
        schemes = {"https"} | {
            urlsplit(uri).scheme for uri in registered if _client_may_use(uri, public=public)
        }
        return sorted(schemes)
    return redirect_uri_schemes(registered[0])


def redirect_uri_allowed(uri: str, registered: list[str], *, public: bool, client_rule: bool = False) -> bool:
    """authorize.php: RFC 9700 2.1, one of the `registered` URLs character for character
    (django-oauth-toolkit's own check lets the case of the scheme and the host differ), and
    only while its rule still allows it (an http loopback URL registered in development is
    refused once the allowance is off). Under a client's own rule a loopback URL keeps its RFC
    8252 7.3 allowance of any port."""
    if client_rule:
        if not _client_may_use(uri, public=public):
            return False
    else:
        try:
            if urlsplit(uri).scheme not in redirect_uri_schemes(uri):
                return False
        except ValueError:  # unparsable, e.g. a broken IPv6 literal
            return False
    for each in registered:
        any_port = client_rule and is_native_loopback(each)
        if (uri == each or any_port) and check_redirect_to_uri_allowed(uri, [each])[0]:
            return True
    return False
