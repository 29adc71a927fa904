"""Middleware and request helpers shared by every app: which forwarded headers to believe."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Iterable
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url

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


def is_trusted_proxy(address: IPAddress | None, proxies: tuple[str, ...] | None = None) -> bool:
    """Whether `address` is one of `proxies` (default TRUSTED_PROXIES, empty by default:
    nobody is)."""
    if address is None:
        return False
    if proxies is None:
        proxies = tuple(settings.TRUSTED_PROXIES)
    return any(address in network for network in _trusted_networks(proxies))


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
        if not _is_trusted_peer(request.META.get("REMOTE_ADDR"), tuple(settings.TRUSTED_PROXIES)):
            request.META.pop("HTTP_X_FORWARDED_PROTO", None)
        return self.get_response(request)


@functools.lru_cache(maxsize=1024)
def _is_trusted_peer(remote_addr: str | None, proxies: tuple[str, ...]) -> bool:
    """Whether a peer's REMOTE_ADDR is one of `proxies` (TRUSTED_PROXIES), worked out once per
    address and setting, not parsed and matched on every request (portal/speedups/__init__.py)."""
    return is_trusted_proxy(_address(remote_addr), proxies)


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
