"""Fetching a Client ID Metadata Document: the attack surface (design §6.2). The portal fetches a
URL that anyone can name, from inside a request, so the fetch:

- takes only an https URL with a host and a path, without user info, fragment or dot segments,
  at most 255 characters (the App key's column);
- resolves the host ONCE and refuses it when any address it resolves to is not public:
  loopback, private, link-local (cloud metadata at 169.254.169.254 among them), shared (CGNAT,
  100.64/10), multicast, reserved, unspecified, and the IPv6 forms that embed such an IPv4
  (IPv4-mapped ::ffff:0:0/96, 6to4, Teredo, NAT64 64:ff9b::/96); then connects to that same
  validated address, the certificate checked and SNI and Host sent for the real name, so a
  second DNS answer (rebinding) is never used;
- follows no redirect (a 3xx is a refusal), takes only JSON (application/json or
  application/*+json), at most CIMD_MAX_DOCUMENT_SIZE bytes, all of it (connection, TLS, headers
  and body) within one deadline of CIMD_FETCH_TIMEOUT_SECONDS;
- verifies TLS against the system's trust store, or the bundle SSL_CERT_FILE names (read by
  OpenSSL, as every other program on the host reads it).

`OAUTH_CLIENT_METADATA_ALLOW_LOOPBACK` (development and the tests only; `check --deploy` refuses
it) lets the host resolve to loopback addresses; everything else stays as above (https, no
redirects, the address pinned).

Why the portal's own fetch and not django-oauth-toolkit's SafeMetadataFetcher, which it extends
(the library's CIMD_METADATA_FETCHER setting names this class): the library's has no loopback
allowance, so nothing could test it over a real connection; it leaves the bound on a body that
trickles in to urllib3's timeouts, where this one sets the socket's timeout to what is left of
its one deadline before every read (tests/oauth/client_metadata/test_fetch.py sends a body a
byte at a time); and its refusals do not say which rule refused, which the consent page's
error does. The limits are the library's settings (CIMD_FETCH_TIMEOUT_SECONDS,
CIMD_MAX_DOCUMENT_SIZE, CIMD_METADATA_MIN_AGE_SECONDS, CIMD_METADATA_MAX_AGE_SECONDS), read at
call time.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import re
import socket
import ssl
import time
from urllib.parse import urlsplit

from django.conf import settings
from oauth2_provider.cimd import CIMDError, SafeMetadataFetcher
from oauth2_provider.settings import oauth2_settings

# The App key's column holds the URL.
MAX_URL_LENGTH = 255
_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*(\d+)", re.IGNORECASE)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # RFC 6598, carrier-grade NAT


class MetadataDocumentError(CIMDError):
    """Why a metadata document cannot be used: safe to show (it names no secret, only the
    document's own URL and what was wrong with it)."""


def document_url_problem(url: str) -> str | None:
    """Why `url` cannot be a client_id naming a metadata document (the draft's section 3), or None."""
    if len(url) > MAX_URL_LENGTH:
        return f"the URL is longer than {MAX_URL_LENGTH} characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError on a port that is not a number
    except ValueError:
        return "it is not a URL"
    if parts.scheme != "https":
        return "it is not an https URL"
    if not parts.hostname:
        return "it has no host"
    if parts.username is not None or parts.password is not None:
        return "it carries a user name or password"
    if "#" in url:
        return "it has a fragment"
    if parts.path in ("", "/"):
        return "it has no path"
    if any(segment in (".", "..") for segment in parts.path.split("/")):
        return "its path has dot segments"
    if any(character.isspace() or ord(character) < 32 for character in url):
        return "it holds a space or a control character"
    return None


def address_problem(address: str) -> str | None:
    """Which class of non-public address `address` is in (None: a public one). An IPv6 address
    that embeds an IPv4 one (IPv4-mapped, 6to4, Teredo, NAT64) is judged by what it embeds."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.teredo is not None:
            for part in ip.teredo:
                if problem := address_problem(str(part)):
                    return f"Teredo, embedding {problem}"
            return None
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            problem = address_problem(str(embedded))
            return f"IPv6 embedding {problem}" if problem else None
    for name, test in (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("shared (carrier-grade NAT)", isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
    ):
        if test:
            return f"a {name} address"
    return None if ip.is_global else "an address that is not globally routable"


def resolve(host: str, port: int) -> list[str]:
    """The host's addresses, resolved once, each of them allowed (every one is checked: a
    public answer beside a private one refuses the host)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as error:
        raise MetadataDocumentError(f"its host {host} does not resolve ({error})") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    for address in addresses:
        problem = address_problem(address)
        if problem and not (
            problem == "a loopback address" and settings.OAUTH_CLIENT_METADATA_ALLOW_LOOPBACK
        ):
            raise MetadataDocumentError(
                f"its host {host} resolves to {problem} ({address}), which is refused"
            )
    if not addresses:
        raise MetadataDocumentError(f"its host {host} resolves to no address")
    return addresses


def max_age(cache_control: str | None) -> int:
    """How long a document is fresh, in seconds: its Cache-Control max-age, within
    [CIMD_METADATA_MIN_AGE_SECONDS, CIMD_METADATA_MAX_AGE_SECONDS]; no-store or no-cache: the
    minimum; no max-age: the maximum."""
    floor = oauth2_settings.CIMD_METADATA_MIN_AGE_SECONDS
    ceiling = oauth2_settings.CIMD_METADATA_MAX_AGE_SECONDS
    age = ceiling
    if cache_control:
        if re.search(r"no-store|no-cache", cache_control, re.IGNORECASE):
            age = floor
        elif found := _MAX_AGE.search(cache_control):
            age = int(found.group(1))
    return max(floor, min(age, ceiling))


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection to `address`, the one validated, with SNI, the certificate's name
    and the Host header all the URL's host (never looked up again)."""

    def __init__(self, address: str, host: str, port: int, *, timeout: float, context: ssl.SSLContext):
        super().__init__(host, port, timeout=timeout, context=context)
        self.address = address

    def connect(self) -> None:
        raw = socket.create_connection((self.address, self.port), self.timeout)
        try:
            self.sock = self._context.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise


class MetadataFetcher(SafeMetadataFetcher):
    """The portal's CIMD_METADATA_FETCHER: `fetch(url)` answers (document, max-age seconds) or
    raises MetadataDocumentError saying why (the module's docstring has every rule)."""

    def fetch(self, client_id: str) -> tuple[dict, int]:
        if problem := document_url_problem(client_id):
            raise MetadataDocumentError(problem)
        parts = urlsplit(client_id)
        port = parts.port or 443
        deadline = time.monotonic() + oauth2_settings.CIMD_FETCH_TIMEOUT_SECONDS
        addresses = resolve(parts.hostname, port)
        # The system's trust store, or SSL_CERT_FILE / SSL_CERT_DIR, read now (as OpenSSL does).
        context = ssl.create_default_context()
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        last = None
        for address in addresses:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            connection = _PinnedHTTPSConnection(
                address, parts.hostname, port, timeout=remaining, context=context
            )
            try:
                connection.request("GET", path, headers={"Accept": "application/json"})
                return self._read(connection, deadline)
            except (OSError, http.client.HTTPException) as error:
                last = error  # refused, unreachable, TLS, timed out: the next address, if any
            finally:
                connection.close()
        if isinstance(last, TimeoutError | socket.timeout) or deadline <= time.monotonic():
            limit = oauth2_settings.CIMD_FETCH_TIMEOUT_SECONDS
            raise MetadataDocumentError(f"it did not answer within {limit:g} seconds")
        if isinstance(last, ssl.SSLError):
            raise MetadataDocumentError(f"its TLS certificate could not be verified ({last})")
        raise MetadataDocumentError(f"it could not be fetched ({last})")

    @staticmethod
    def _read(connection: _PinnedHTTPSConnection, deadline: float) -> tuple[dict, int]:
        """The answer: 200, JSON, at most CIMD_MAX_DOCUMENT_SIZE bytes, read by the deadline
        (the socket's timeout is what is left of it before each read, so no trickle outlasts it)."""

        sock = connection.sock  # kept: http.client lets go of it once the answer says "close"

        def left() -> float:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("deadline")
            sock.settimeout(remaining)
            return remaining

        left()
        response = connection.getresponse()
        if 300 <= response.status < 400:
            raise MetadataDocumentError(f"it answered HTTP {response.status}: redirects are not followed")
        if response.status != 200:
            raise MetadataDocumentError(f"it answered HTTP {response.status}")
        media_type = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
        if media_type != "application/json" and not (
            media_type.startswith("application/") and media_type.endswith("+json")
        ):
            raise MetadataDocumentError(f"it is not JSON (Content-Type {media_type or 'missing'})")
        limit = oauth2_settings.CIMD_MAX_DOCUMENT_SIZE
        declared = response.getheader("Content-Length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise MetadataDocumentError(f"it is larger than {limit} bytes")
        body = b""
        while len(body) <= limit:
            left()
            chunk = (
                response.read1(limit + 1 - len(body)) if hasattr(response, "read1") else response.read(1024)
            )
            if not chunk:
                break
            body += chunk
        if len(body) > limit:
            raise MetadataDocumentError(f"it is larger than {limit} bytes")
        try:
            document = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise MetadataDocumentError("it is not valid JSON") from None
        if not isinstance(document, dict):
            raise MetadataDocumentError("it is not a JSON object")
        return document, max_age(response.getheader("Cache-Control"))
