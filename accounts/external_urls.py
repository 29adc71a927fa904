"""allauth's provider URLs, and only those, under /accounts/external/.

allauth's login, signup, password and connections pages are not mounted: the portal's own
login page is the only way in with a password, and accounts are created by their parents.
Starting a sign-in is POST only (with the CSRF token); the provider comes back by GET with
`state`, which allauth checks against the session.
"""

from collections.abc import Callable
from functools import wraps

from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.google import views as google
from allauth.socialaccount.providers.openid_connect import views as oidc
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from .external import FAILED


def configured(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A provider that is not configured is a 404, not an error page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except SocialApp.DoesNotExist:
            raise Http404("No such identity provider.") from None

    return wrapped


@login_not_required
@require_GET
def login_error(request: HttpRequest) -> HttpResponse:
    """allauth's error and cancel pages, should anything still send the browser there."""
    messages.error(request, FAILED.format(provider="the identity provider"))
    return redirect("login")


urlpatterns = [
    path("google/login/", require_POST(configured(google.oauth2_login)), name="google_login"),
    path("google/login/callback/", require_GET(configured(google.oauth2_callback)), name="google_callback"),
    path(
        "oidc/<str:provider_id>/login/",
        require_POST(configured(oidc.login)),
        name="openid_connect_login",
    ),
    path(
        "oidc/<str:provider_id>/login/callback/",
        require_GET(configured(oidc.callback)),
        name="openid_connect_callback",
    ),
    path("login/cancelled/", login_error, name="socialaccount_login_cancelled"),
    path("login/error/", login_error, name="socialaccount_login_error"),
]
