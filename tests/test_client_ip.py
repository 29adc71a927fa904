"""The client's address (audit trail, sign-in throttling) and the request's scheme (HTTPS
requirement): X-Forwarded-For and X-Forwarded-Proto count only from TRUSTED_PROXIES."""

import pytest
from django.test import RequestFactory

from portal.middleware import client_ip

PROXY = "10.0.0.2"


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "expected"),
    [
        # No trusted proxy (the default): the header is anyone's, the peer is the client.
        ([], PROXY, "203.0.113.7", PROXY),
        ([], "127.0.0.1", "203.0.113.7", "127.0.0.1"),
        # The peer is not a trusted proxy: its header is ignored, whatever it says.
        (["10.0.0.1"], PROXY, "203.0.113.7", PROXY),
        # A trusted proxy: the entry it appended.
        ([PROXY], PROXY, "203.0.113.7", "203.0.113.7"),
        (["10.0.0.0/8"], PROXY, "203.0.113.7", "203.0.113.7"),
        # The client wrote the first entry itself: never used.
        ([PROXY], PROXY, "6.6.6.6, 203.0.113.7", "203.0.113.7"),
        # Two trusted proxies in a row are skipped, right to left, to the first untrusted hop.
        (["10.0.0.0/8"], PROXY, "6.6.6.6, 203.0.113.7, 10.1.1.1", "203.0.113.7"),
        # A client that forges a trusted address left of the real one gains nothing.
        (["10.0.0.0/8"], PROXY, "10.9.9.9, 203.0.113.7", "203.0.113.7"),
        # No header, an empty one or garbage: the last trusted hop known.
        ([PROXY], PROXY, "", PROXY),
        ([PROXY], PROXY, "not-an-ip", PROXY),
        (["10.0.0.0/8"], PROXY, "not-an-ip, 10.1.1.1", "10.1.1.1"),
        # IPv6, and an IPv4 peer on a dual-stack socket.
        (["::1"], "::1", "2001:db8::7", "2001:db8::7"),
        (["127.0.0.1"], "::ffff:127.0.0.1", "203.0.113.7", "203.0.113.7"),
    ],
)
def test_client_ip(settings, trusted, remote, forwarded, expected):
    settings.TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_a_remote_addr_that_is_not_an_address_is_none(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip(RequestFactory().get("/", REMOTE_ADDR="unix:/run/x")) is None


def test_a_forwarded_client_is_not_loopback_for_the_http_allowance(client, demo, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    response = client.get("/uapi/@me", HTTP_X_FORWARDED_FOR="198.51.100.23")
    assert response.status_code == 403


def register_through(client, demo, **extra):
    client.force_login(demo["organization"])
    params = {
        "name": "A",
        "homepage": "https://a.example/",
        "email": "a@a.example",
        "redirect_uri": "https://a.example/cb",
    }
    page = client.get("/oauth/register.php", params)
    client.post(
        "/oauth/register/consent/",
        {"request": page.context["blob"], "action": "register"},
        secure=True,  # over plain HTTP a forwarded (not loopback) client is refused TLS-less
        **extra,
    )


def test_register_php_audit_row_has_the_address_the_proxy_saw(client, demo, settings):
    from apps_registry.models import AuditEvent

    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    register_through(client, demo, HTTP_X_FORWARDED_FOR="198.51.100.23")
    assert AuditEvent.objects.get().ip_address == "198.51.100.23"


def test_a_spoofed_forwarded_for_does_not_forge_the_audit_trail(client, demo):
    """With the default settings (no trusted proxy) a client's X-Forwarded-For is ignored."""
    from apps_registry.models import AuditEvent

    register_through(client, demo, HTTP_X_FORWARDED_FOR="198.51.100.23", REMOTE_ADDR="192.0.2.5")
    assert AuditEvent.objects.get().ip_address == "192.0.2.5"
