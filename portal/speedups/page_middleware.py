"""Middleware that does less where less is needed (make bench, issue 18).

The endpoints programs call with their own credentials (an App's key and secret, a token;
settings.API_PATHS, from oauth/endpoints.py) draw no page, read or write no session, and sign no one in: on
them the page-only middleware below lets the request straight through (rows P1, P3, P7).
Everything that guards them still runs: the forwarded headers, the security headers, HTTPS,
CSRF (their POST endpoints are csrf_exempt by design), the sign-in requirement (each view is
login_not_required), django-axes and the Content-Security-Policy, built once per process.
"""

from __future__ import annotations

from csp import constants as csp_constants
from csp import middleware as csp_middleware
from csp import utils as csp_utils
from django.conf import settings
from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import middleware as messages_middleware
from django.contrib.sessions import middleware as sessions_middleware
from django.http import HttpRequest, HttpResponse
from django_htmx import middleware as htmx_middleware


def is_api_request(request: HttpRequest) -> bool:
    """A request to an endpoint programs call, at a fixed path (settings.API_PATHS)."""
    return request.path_info in settings.API_PATHS


class PagesOnlyMixin:
    """For a middleware that serves pages only: an API request skips it."""

    def __call__(self, request: HttpRequest):
        if is_api_request(request):
            return self.get_response(request)
        return super().__call__(request)


class SessionMiddleware(PagesOnlyMixin, sessions_middleware.SessionMiddleware):
    """Django's, except that an API request has no session (nothing to load, nothing to save,
    no cookie, no `Vary: Cookie`)."""


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """Django's, except that on an API request nobody is signed in (it has no session): the
    anonymous user, without the lazy session lookup."""

    def process_request(self, request: HttpRequest) -> None:
        if is_api_request(request):
            request.user = AnonymousUser()
            return
        super().process_request(request)


class LoginRequiredMiddleware(auth_middleware.LoginRequiredMiddleware):
    """Django's, asking the view first: one that needs no sign-in (login_not_required) is
    let through without loading the signed-in user, which Django's reads first (the session's
    key, then the user: 14-16 us of a bare request's 144 in-process, make bench's M). Whoever
    signed in still is when the view asks; a view that needs a sign-in is checked as Django
    checks it."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not getattr(view_func, "login_required", True):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class MessageMiddleware(PagesOnlyMixin, messages_middleware.MessageMiddleware):
    """Django's messages, for pages only (an API answer shows none)."""


class HtmxMiddleware(PagesOnlyMixin, htmx_middleware.HtmxMiddleware):
    """django-htmx's `request.htmx`, for pages only (htmx never calls an API path)."""


# Per-response policies (django-csp's decorators and nonces); the portal uses none today.
_CSP_PER_RESPONSE = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)


# The two headers as django-csp builds them, with the settings dicts they were built from:
# rebuilt when those are no longer the settings' own (`override_settings` in tests).
_csp_built: tuple = (None, None, ())


def _csp_policies(enforced: dict | None, report_only: dict | None) -> tuple:
    global _csp_built
    if _csp_built[0] is not enforced or _csp_built[1] is not report_only or not _csp_built[2]:
        policies = (
            (csp_constants.HEADER, csp_utils.build_policy(), "_csp_exempt", "CONTENT_SECURITY_POLICY"),
            (
                csp_constants.HEADER_REPORT_ONLY,
                csp_utils.build_policy(report_only=True),
                "_csp_exempt_ro",
                "CONTENT_SECURITY_POLICY_REPORT_ONLY",
            ),
        )
        _csp_built = (enforced, report_only, policies)
    return _csp_built[2]


class CSPMiddleware(csp_middleware.CSPMiddleware):
    """django-csp's, with the policy built once per process: it rebuilds the same header from
    the settings on every response otherwise, a fifth of the time of a bare request through
    the whole middleware (make bench, row M). A response with a policy of its own (django-csp's
    decorators), a used nonce or a DEBUG error page goes through django-csp unchanged."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if (
            getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in _CSP_PER_RESPONSE)
            or settings.DEBUG
        ):
            return super().process_response(request, response)
        enforced = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
        for header, policy, exempt, setting in _csp_policies(enforced, report_only):
            prefixes = tuple((getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ())
            if (
                policy
                and header not in response
                and getattr(response, exempt, False) is False
                and not request.path_info.startswith(prefixes)
            ):
                response[header] = policy
        # As django-csp: a nonce asked for after the header was written is an error.
        request.csp_nonce = csp_middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response
