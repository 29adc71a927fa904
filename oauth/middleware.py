"""Refuse plain HTTP on the OAuth endpoints and the APIs (design §7)."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from portal.middleware import client_ip

from .endpoints import BROWSER_PATHS, TLS_TREES

TLS_MESSAGE = "This endpoint must be called over HTTPS (TLS); plain HTTP is refused."


def _is_loopback(address: str | None) -> bool:
    try:
        return ipaddress.ip_address(address or "").is_loopback
    except ValueError:
        return False


class RequireTLSMiddleware:
    """design §7: refuse plain HTTP on the OAuth endpoints and the APIs.

    `request.is_secure()` honours X-Forwarded-Proto only from a trusted proxy (TRUSTED_PROXIES:
    portal.middleware.ForwardedHeadersMiddleware drops it from anyone else). Loopback clients
    (the client's address, not a proxy's) may use HTTP only when OAUTH_ALLOW_LOOPBACK_HTTP is on
    (development).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.path.startswith(TLS_TREES)
            and not request.is_secure()
            and not (settings.OAUTH_ALLOW_LOOPBACK_HTTP and _is_loopback(client_ip(request)))
        ):
            return self.refuse(request)
        return self.get_response(request)

    @staticmethod
    def refuse(request: HttpRequest) -> HttpResponse:
        if request.path in BROWSER_PATHS:
            html = render_to_string(
                "oauth/error.html",
                {"title": "HTTPS required", "errors": [TLS_MESSAGE]},
                request=request,
            )
            return HttpResponse(html, status=403)
        if request.path.startswith("/oauth/"):
            body = {"error": "invalid_request", "error_description": TLS_MESSAGE}
        else:
            body = {"error": {"code": "tls_required", "message": TLS_MESSAGE}}
        return JsonResponse(body, status=403)
