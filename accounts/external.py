"""Signing in with an external identity provider (Google, any OpenID Connect provider).

django-allauth's social accounts do the OAuth 2.0 / OpenID Connect round trip; the rules of
the portal are here:
- an external identity signs in only the account whose owner linked it from their own
  account page; an unknown identity is refused, and no account is ever created by signing
  in (accounts are created by their parents);
- an e-mail address never links an identity to an account; linking goes through
  `accounts.services.identity_link` (with its audit row), not allauth's own connect;
- `state` (allauth) and an OpenID Connect `nonce` (here) are checked on every return;
- a refused, failed or cancelled sign-in goes back to the page it started from, with a
  message, never to an allauth page.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter, get_adapter
from allauth.socialaccount.internal import statekit
from allauth.socialaccount.models import SocialAccount, SocialLogin
from allauth.socialaccount.providers.base import AuthError, AuthProcess
from allauth.socialaccount.providers.google.provider import GoogleProvider as AllauthGoogleProvider
from allauth.socialaccount.providers.openid_connect.provider import (
    OpenIDConnectProvider as AllauthOpenIDConnectProvider,
)
from django.contrib import messages
from django.contrib.auth import login as django_login
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from portal.audit import Origin

from .models import Account
from .services import IdentityLinkedElsewhere, identity_link

# Sessions made by an external sign-in use the model backend (Django's, its read compiled once:
# portal/speedups/auth.py), whatever other backends (rate limiting, for one) stand first in
# AUTHENTICATION_BACKENDS.
SESSION_BACKEND = "portal.speedups.auth.ModelBackend"
ORIGIN_FIELD = "origin"

NOT_LINKED = (
    "This {provider} identity is not linked to any portal account. Sign in with your password "
    "and link it from your account page."
)
CANCELLED = "Signing in with {provider} was cancelled."
FAILED = "Signing in with {provider} failed. Try again, or sign in with your password."
NONCE_MISMATCH = (
    "Signing in with {provider} failed: the identity provider's answer did not match the request."
)
INACTIVE = "The account linked to this {provider} identity is disabled."
LINK_SIGNED_OUT = "Sign in with your password first, then link the identity from your account page."
LINKED = "Your {provider} identity is now linked: it signs in to this account."
ALREADY_LINKED = "Your {provider} identity was already linked to this account."
LINKED_ELSEWHERE = (
    "This {provider} identity is linked to another portal account; it was not linked to this one."
)


def is_same_host(request: HttpRequest, url: str | None) -> bool:
    """A redirect target on this site only (path, or absolute URL of this very host)."""
    return bool(url) and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


def login_page() -> str:
    return reverse("login")


# --- Providers: allauth's, plus a nonce and the page the sign-in started from --------------


class PortalProviderMixin:
    """Sends a fresh OpenID Connect `nonce` with each authorization request and keeps it, with
    the page the sign-in started from, in allauth's state (stored in the session, looked up by
    the `state` parameter on the way back)."""

    def get_redirect_from_request_kwargs(self, request: HttpRequest) -> dict:
        kwargs = super().get_redirect_from_request_kwargs(request)
        nonce = secrets.token_urlsafe(32)
        kwargs["auth_params"] = {**kwargs.get("auth_params", {}), "nonce": nonce}
        kwargs["nonce"] = nonce
        origin = request.POST.get(ORIGIN_FIELD, "")
        kwargs["origin"] = origin if is_same_host(request, origin) else kwargs.get("next_url") or login_page()
        return kwargs


class GoogleProvider(PortalProviderMixin, AllauthGoogleProvider):
    package = "allauth.socialaccount.providers.google"


class OpenIDConnectProvider(PortalProviderMixin, AllauthOpenIDConnectProvider):
    package = "allauth.socialaccount.providers.openid_connect"


@dataclass(frozen=True)
class ExternalProvider:
    """A configured provider, as the sign-in and link buttons need it."""

    id: str
    name: str
    login_url: str


def external_providers(request: HttpRequest) -> list[ExternalProvider]:
    """The configured providers, in settings order; empty when none is configured."""
    return [
        ExternalProvider(id=provider.sub_id, name=provider.name, login_url=provider.get_login_url(request))
        for provider in get_adapter(request).list_providers(request)
    ]


def provider_name(sub_id: str, request: HttpRequest | None = None) -> str:
    for provider in get_adapter(request).list_providers(request):
        if provider.sub_id == sub_id:
            return provider.name
    return sub_id


def id_token_nonce(sociallogin: SocialLogin) -> str | None:
    """The nonce of the ID token the login was made from (allauth keeps the decoded ID token
    under `id_token` for OpenID Connect, as the whole extra_data for Google)."""
    data = sociallogin.account.extra_data or {}
    claims = data["id_token"] if isinstance(data.get("id_token"), dict) else data
    nonce = claims.get("nonce")
    return nonce if isinstance(nonce, str) else None


def back_with_message(request: HttpRequest, url: str, level: int, message: str) -> ImmediateHttpResponse:
    messages.add_message(request, level, message)
    return ImmediateHttpResponse(HttpResponseRedirect(url))


# --- Adapters ----------------------------------------------------------------------------


class AccountAdapter(DefaultAccountAdapter):
    """allauth's account side is used only to finish an external sign-in."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def is_safe_url(self, url: str) -> bool:
        from allauth.core import context

        return is_same_host(context.request, url)

    def login(self, request: HttpRequest, user: Account) -> None:
        user.backend = SESSION_BACKEND
        django_login(request, user)

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        return reverse("accounts:me")


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Signs in linked accounts only; sends every failure back to where it started."""

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return False

    def is_auto_signup_allowed(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return False

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        state = sociallogin.state or {}
        origin = state.get("origin") or login_page()
        name = sociallogin.account.get_provider().name
        expected = state.get("nonce")
        if not expected or not secrets.compare_digest(expected, id_token_nonce(sociallogin) or ""):
            raise back_with_message(request, origin, messages.ERROR, NONCE_MISMATCH.format(provider=name))
        if state.get("process") == AuthProcess.CONNECT:
            if not request.user.is_authenticated:
                raise back_with_message(request, login_page(), messages.ERROR, LINK_SIGNED_OUT)
            raise link_identity(request, sociallogin)
        if not sociallogin.is_existing:
            raise back_with_message(request, origin, messages.ERROR, NOT_LINKED.format(provider=name))
        if not sociallogin.user.is_active:
            raise back_with_message(request, origin, messages.ERROR, INACTIVE.format(provider=name))

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None):
        state = (extra_context or {}).get("state")
        cancelled = error == AuthError.CANCELLED
        if state is None and "error" in request.GET and "state" not in request.GET:
            # Some providers answer an error (a cancel above all) without the state: go back
            # to the page of the latest sign-in this browser started with this provider.
            state = statekit.unstash_last_state(request, provider_id=provider.sub_id)
            cancelled = request.GET["error"] == "access_denied"
        state = state or {}
        origin = state.get("origin") if is_same_host(request, state.get("origin")) else login_page()
        template = CANCELLED if cancelled else FAILED
        level = messages.WARNING if cancelled else messages.ERROR
        raise back_with_message(request, origin, level, template.format(provider=provider.name))

    def get_connect_redirect_url(self, request: HttpRequest, socialaccount: SocialAccount) -> str:
        return reverse("accounts:me")


def link_identity(request: HttpRequest, sociallogin: SocialLogin) -> ImmediateHttpResponse:
    """Link the identity the provider vouched for to the signed-in account, through the
    service (with its audit row) rather than allauth's own connect, and go back with a message."""
    name = sociallogin.account.get_provider().name
    url = sociallogin.get_redirect_url(request) or reverse("accounts:me")
    try:
        _, linked = identity_link(
            actor=request.user,
            provider=sociallogin.account.provider,
            uid=sociallogin.account.uid,
            extra_data=sociallogin.account.extra_data,
            origin=Origin.from_request(request),
        )
    except IdentityLinkedElsewhere:
        return back_with_message(request, url, messages.ERROR, LINKED_ELSEWHERE.format(provider=name))
    return back_with_message(
        request, url, messages.SUCCESS, (LINKED if linked else ALREADY_LINKED).format(provider=name)
    )
