"""Middleware and request helpers shared by every app: which forwarded headers to believe."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def proxy_networks(entries: Iterable[str]) -> tuple[IPNetwork, ...]:
    """TRUSTED_PROXIES parsed: addresses and CIDR networks (host bits set are an error)."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip()))
        except ValueError as error:
            raise ImproperlyConfigured(
                f"TRUSTED_PROXIES: {entry!r} is not an IP address or network ({error})."
            ) from None
    return tuple(networks)


@functools.cache
def _trusted_networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return proxy_networks(entries)


def _address(value: str | None) -> IPAddress | None:
    try:
        address = ipaddress.ip_address((value or "").strip())
    except ValueError:
        return None
    # An IPv4 peer on a dual-stack socket arrives as ::ffff:a.b.c.d.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_trusted_proxy(address: IPAddress | None) -> bool:
    """Whether `address` is one of TRUSTED_PROXIES (empty by default: nobody is)."""
    if address is None:
        return False
    return any(address in network for network in _trusted_networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, unless that is a trusted proxy (TRUSTED_PROXIES);
    then X-Forwarded-For read from the right, skipping trusted proxies, to the first address
    that is not one. Entries left of it were written by the client and are never used. None
    only when REMOTE_ADDR itself is not an address."""
    peer = _address(request.META.get("REMOTE_ADDR"))
    if peer is None or not is_trusted_proxy(peer):
        return str(peer) if peer is not None else None
    client = peer
    for entry in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        hop = _address(entry)
        if hop is None:
            break  # a broken chain: the last trusted hop is the best that is known
        client = hop
        if not is_trusted_proxy(hop):
            break
    return str(client)


class ForwardedHeadersMiddleware:
    """First in MIDDLEWARE: X-Forwarded-Proto counts only from a trusted proxy. From anyone
    else it is removed before Django reads it (SECURE_PROXY_SSL_HEADER, `request.is_secure()`,
    the SSL redirect, the HTTPS requirement of the OAuth endpoints), so a client on plain HTTP
    cannot claim HTTPS. X-Forwarded-For is read by `client_ip` under the same rule."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_trusted_proxy(_address(request.META.get("REMOTE_ADDR"))):
            request.META.pop("HTTP_X_FORWARDED_PROTO", None)
        return self.get_response(request)
