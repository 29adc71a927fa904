"""What the consent pages of register.php and authorize.php share: the signed request they
were shown for, the pages themselves, the redirects back to the App, signing in on the page."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.contrib.auth import login
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from oauth2_provider.http import OAuth2ResponseRedirect

from accounts.models import Account
from portal.http import sensitive

from ..forms import ConsentLoginForm
from ..housekeeping import CONSENT_MAX_AGE


def consent_page(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    """A consent page: never cached. Its Referrer-Policy is same-origin, not no-referrer: with
    no-referrer a browser sends the page's own form with `Origin: null`, which Django's CSRF
    check refuses. No Referer leaves for another site either way, and the redirects that carry
    the secret and the code send no-referrer."""
    response = render(request, template, context, status=status)
    return sensitive(response, referrer_policy="same-origin")


def error_page(request: HttpRequest, title: str, errors: list[str], status: int = 400) -> HttpResponse:
    """An error shown to the user, with no redirect (design §5: no open redirector)."""
    return sensitive(render(request, "oauth/error.html", {"title": title, "errors": errors}, status=status))


WEB_SCHEMES = ("https", "http")


def redirect_with(uri: str, params: list[tuple[str, str]], schemes=WEB_SCHEMES) -> HttpResponse:
    """302 to `uri` with `params` appended after the parameters already in its query. `schemes`:
    those the App's redirect URLs may use (App.get_allowed_schemes: a native App's private-use
    scheme, RFC 8252 7.1); any other is refused (DisallowedRedirect), as Django refuses one."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True) + params
    return sensitive(
        OAuth2ResponseRedirect(urlunsplit(parts._replace(query=urlencode(query))), list(schemes))
    )


def signed_request(blob: str, salt: str) -> dict | None:
    """The request a consent page was shown for, if its signature holds and it is fresh."""
    try:
        return signing.loads(blob, salt=salt, max_age=CONSENT_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired included
        return None


def unusable_request(request: HttpRequest, title: str) -> HttpResponse:
    return error_page(request, title, ["It was changed, or it has expired. Start again from the App."])


def resume_url(name: str, blob: str) -> str:
    """A GET URL that shows the same consent page again (the signed request in its query):
    where a sign-in with an external identity provider comes back to."""
    return f"{reverse(name)}?{urlencode({'request': blob})}"


def consent_user(request: HttpRequest, form: ConsentLoginForm) -> Account | None:
    """The account acting on a consent page: the session's, or the one signed in with the
    credentials typed on the page (which then becomes the session's)."""
    if request.user.is_authenticated:
        return request.user
    if form.is_valid():
        login(request, form.get_user())
        return form.get_user()
    return None
