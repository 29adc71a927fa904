"""The client's address in the audit trail, behind the production proxy and without it."""

import pytest
from django.test import RequestFactory

from portal.middleware import client_ip


@pytest.mark.parametrize(
    ("trusted", "forwarded", "expected"),
    [
        (True, "203.0.113.7", "203.0.113.7"),
        (True, "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # the client wrote the first entry itself
        (True, "", "10.0.0.2"),
        (True, "not-an-ip", None),
        (False, "203.0.113.7", "10.0.0.2"),  # no trusted proxy: the header is anyone's
    ],
)
def test_client_ip(settings, trusted, forwarded, expected):
    settings.TRUST_X_FORWARDED_FOR = trusted
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_a_forwarded_client_is_not_loopback_for_the_http_allowance(client, demo, settings):
    settings.TRUST_X_FORWARDED_FOR = True
    response = client.get("/uapi/@me", HTTP_X_FORWARDED_FOR="198.51.100.23")
    assert response.status_code == 403


def test_register_php_audit_row_has_the_address_the_proxy_saw(client, demo, settings):
    from apps_registry.models import AuditEvent

    settings.TRUST_X_FORWARDED_FOR = True
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
        HTTP_X_FORWARDED_FOR="198.51.100.23",
        secure=True,  # over plain HTTP a forwarded (not loopback) client is refused TLS-less
    )
    assert AuditEvent.objects.get().ip_address == "198.51.100.23"
