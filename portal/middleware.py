"""Middleware and request helpers shared by every app."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


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
