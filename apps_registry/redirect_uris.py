"""The rules of an App's URLs (design §3, RFC 9700 2.1, RFC 8252): which redirect URLs an App
may register, which schemes it may use, and which URL authorize.php sends a code to. The one
place these rules live: the App model, its form, /oauth/register.php, RFC 7591 registration
and the playground all ask here."""

from __future__ import annotations

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
# RFC 8252 7.3: a native App (a public client) receives its code on a loopback IP literal over
# plain http, on any port; never "localhost" (8.3), which a hosts file or DNS may redirect.
NATIVE_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1"})
# How many redirect URLs one App may register (the first is its primary one).
MAX_REDIRECT_URIS = 10


def validate_http_url(value: str) -> None:
    """An absolute http(s) URL (Homepage, Image URL), with no control character in it."""
    validate_single_line(value)  # URLValidator lets a NUL through, which PostgreSQL refuses
    _http_url(value)


def redirect_uri_schemes(uri: str = "") -> list[str]:
    """The schemes a redirect URI may use: https; also http for a loopback host, and only
    while OAUTH_ALLOW_LOOPBACK_HTTP is on (development, the playground's own callback)."""
    if settings.OAUTH_ALLOW_LOOPBACK_HTTP and urlsplit(uri).hostname in LOOPBACK_HOSTS:
        return ["https", "http"]
    return ["https"]


def is_native_loopback(uri: str) -> bool:
    """An http URL on a loopback IP literal: where RFC 8252 7.3 lets a native App take its code."""
    try:
        parts = urlsplit(uri)
        return parts.scheme == "http" and parts.hostname in NATIVE_LOOPBACK_HOSTS
    except ValueError:
        return False


def _refuse_fragment_and_userinfo(value: str) -> None:
    parts = urlsplit(value)
    if "#" in value:
        raise ValidationError("The redirect URL must not contain a fragment (#...).", code="fragment")
    if parts.username is not None or parts.password is not None:
        raise ValidationError("The redirect URL must not contain a user name or password.", code="userinfo")


def validate_native_redirect_uri(value: str) -> None:
    """A public client's redirect URL: as validate_redirect_uri, and also http on a loopback IP
    literal with any port (RFC 8252 7.3), whatever OAUTH_ALLOW_LOOPBACK_HTTP says."""
    if not is_native_loopback(value):
        validate_redirect_uri(value)
        return
    validate_single_line(value)
    _http_url(value)
    _refuse_fragment_and_userinfo(value)


def validate_redirect_uri(value: str) -> None:
    """An absolute https URL with no fragment, no user name or password and no control
    character in it (http only for a loopback host when OAUTH_ALLOW_LOOPBACK_HTTP is on)."""
    validate_single_line(value)  # URLValidator lets a NUL through, which PostgreSQL refuses
    try:
        loopback_http = "http" in redirect_uri_schemes(value)
    except ValueError:  # unparsable (e.g. a broken IPv6 literal): the URL validator says so
        loopback_http = False
    (_http_url if loopback_http else _https_url)(value)
    _refuse_fragment_and_userinfo(value)


def validate_extra_redirect_uris(extra, *, primary: str, public: bool) -> None:
    """The redirect URLs beyond the first (`primary`): a list of at most MAX_REDIRECT_URIS - 1
    more, each valid as the first is (a public client's may be RFC 8252 loopback ones), none
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
    validate = validate_native_redirect_uri if public else validate_redirect_uri
    for uri in extra:
        try:
            validate(uri)
        except ValidationError as error:
            raise ValidationError(
                {"extra_redirect_uris": ValidationError(f"{uri}: {error.messages[0]}", code=error.code)}
            ) from None


def allowed_schemes(registered: list[str], *, public: bool) -> list[str]:
    """django-oauth-toolkit's redirect schemes for an App whose redirect URLs are `registered`
    (the primary first), from the same rule as the field validator."""
    if public and any(is_native_loopback(uri) for uri in registered):
        return ["https", "http"]
    return redirect_uri_schemes(registered[0])


def redirect_uri_allowed(uri: str, registered: list[str], *, public: bool) -> bool:
    """authorize.php: RFC 9700 2.1, one of the `registered` URLs character for character
    (django-oauth-toolkit's own check lets the case of the scheme and the host differ), and
    only while its scheme is allowed (an http loopback URL registered in development is
    refused once the allowance is off; a public client's RFC 8252 loopback URL always is
    allowed). A loopback IP over http keeps its RFC 8252 7.3 allowance of any port."""
    native = public and is_native_loopback(uri)
    try:
        if not native and urlsplit(uri).scheme not in redirect_uri_schemes(uri):
            return False
    except ValueError:  # unparsable, e.g. a broken IPv6 literal
        return False
    for each in registered:
        if (uri == each or is_native_loopback(each)) and check_redirect_to_uri_allowed(uri, [each])[0]:
            return True
    return False
