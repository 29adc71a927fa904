"""Middleware and request helpers shared by every app."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: the last X-Forwarded-For entry when the proxy in front is trusted
    to append it (TRUST_X_FORWARDED_FOR), REMOTE_ADDR otherwise. Never an unparsable value."""
    address = request.META.get("REMOTE_ADDR")
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
        address = forwarded or address
    try:
        return str(ipaddress.ip_address(address or ""))
    except ValueError:
        return None


class HtmxSignInMiddleware:
    """An htmx request whose session has ended gets a full-page sign-in, not the login page
    drawn inside the modal or the table: LoginRequiredMiddleware's redirect becomes
    `HX-Redirect` to the sign-in page, whose `next` is where the user was.

    Where the user was: a GET's own address (a tab, a sort, the Add App dialog, each a page of
    its own); a dialog's POST (`HX-Target: modal-content`) its page, which the browser then
    refills with what was typed (portal.js); any other POST the page it was sent from."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        response = self.get_response(request)
        if request.headers.get("HX-Request") != "true" or response.status_code != 302:
            return response
        login = resolve_url(settings.LOGIN_URL)
        if not response.url.startswith(login) or request.user.is_authenticated:
            return response
        back = request.get_full_path()
        if request.method != "GET" and request.headers.get("HX-Target") != "modal-content":
            current = urlsplit(request.headers.get("HX-Current-URL", ""))
            if current.netloc == request.get_host() and current.path.startswith("/"):
                back = current.path + (f"?{current.query}" if current.query else "")
        answer = HttpResponse(status=200)
        answer["HX-Redirect"] = f"{login}?{urlencode({'next': back})}"
        return answer
