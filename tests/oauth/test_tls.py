"""design §7: plain HTTP to /oauth/* and the APIs is refused outside development."""

import pytest
from django.test import override_settings

from apps_registry.models import AccessToken
from tests.helpers import TOKEN_URL, basic

pytestmark = pytest.mark.django_db


@pytest.fixture
def strict(settings):
    settings.OAUTH_ALLOW_LOOPBACK_HTTP = False


def test_plain_http_token_request_is_refused_with_a_clear_error(client, trusted_app, strict):
    response = client.post(
        TOKEN_URL,
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(trusted_app.client_id, trusted_app.client_secret),
    )
    assert response.status_code == 403
    assert response.json()["error"] == "invalid_request"
    assert "HTTPS" in response.json()["error_description"]
    assert not AccessToken.objects.exists()


def test_plain_http_register_page_is_an_error_page_not_a_redirect(client, demo, strict):
    response = client.get("/oauth/register.php", {"name": "A"})
    assert response.status_code == 403
    assert "Location" not in response
    assert b"HTTPS" in response.content


def test_plain_http_api_call_is_refused_in_the_api_error_format(client, db, strict):
    response = client.get("/uapi/@me")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "tls_required"


def test_https_is_served(client, trusted_app, strict):
    response = client.post(
        TOKEN_URL,
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(trusted_app.client_id, trusted_app.client_secret),
        secure=True,
    )
    assert response.status_code == 200


def test_a_spoofed_forwarded_proto_from_an_untrusted_peer_gets_the_tls_403(client, trusted_app, strict):
    """The default settings trust no proxy: a client facing gunicorn cannot claim HTTPS."""
    auth = basic(trusted_app.client_id, trusted_app.client_secret)
    data = {"grant_type": "client_credentials"}
    for remote in ("127.0.0.1", "203.0.113.9"):
        response = client.post(
            TOKEN_URL, data, HTTP_AUTHORIZATION=auth, HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR=remote
        )
        assert response.status_code == 403, remote
        assert "HTTPS" in response.json()["error_description"]
    assert not AccessToken.objects.exists()


def test_forwarded_proto_counts_only_from_a_trusted_proxy(client, trusted_app, strict, settings):
    auth = basic(trusted_app.client_id, trusted_app.client_secret)
    data = {"grant_type": "client_credentials"}
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    with override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")):
        untrusted = client.post(
            TOKEN_URL, data, HTTP_AUTHORIZATION=auth, HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR="192.0.2.1"
        )
        trusted = client.post(
            TOKEN_URL, data, HTTP_AUTHORIZATION=auth, HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR="10.0.0.2"
        )
        # The proxy says the client came over plain HTTP: refused, though the proxy is trusted.
        plain = client.post(
            TOKEN_URL, data, HTTP_AUTHORIZATION=auth, HTTP_X_FORWARDED_PROTO="http", REMOTE_ADDR="10.0.0.2"
        )
    assert untrusted.status_code == 403
    assert trusted.status_code == 200
    assert plain.status_code == 403


def test_loopback_http_is_allowed_only_from_loopback(client, trusted_app):
    auth = basic(trusted_app.client_id, trusted_app.client_secret)
    data = {"grant_type": "client_credentials"}
    assert client.post(TOKEN_URL, data, HTTP_AUTHORIZATION=auth).status_code == 200
    remote = client.post(TOKEN_URL, data, HTTP_AUTHORIZATION=auth, REMOTE_ADDR="203.0.113.9")
    assert remote.status_code == 403


def test_portal_pages_are_not_affected(client, db, strict):
    assert client.get("/accounts/login/").status_code == 200


def test_deploy_check_warns_when_loopback_http_is_on_in_production(settings):
    from oauth.checks import loopback_http_is_for_development

    settings.DEBUG, settings.OAUTH_ALLOW_LOOPBACK_HTTP = False, True
    assert [w.id for w in loopback_http_is_for_development(None)] == ["apps_registry.W001"]
    settings.OAUTH_ALLOW_LOOPBACK_HTTP = False
    assert loopback_http_is_for_development(None) == []


def test_login_page_cannot_be_framed(client, db):
    assert client.get("/accounts/login/")["X-Frame-Options"] == "DENY"


def test_a_proxy_no_longer_trusted_is_no_longer_believed(client, trusted_app, strict, settings):
    """Whether a peer is a trusted proxy is remembered per address and TRUSTED_PROXIES
    (portal.middleware): the same peer, once the setting no longer names it, is a client."""
    auth = basic(trusted_app.client_id, trusted_app.client_secret)
    data = {"grant_type": "client_credentials"}
    answers = []
    with override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")):
        for proxies in (["10.0.0.0/8"], [], ["10.0.0.0/8"]):
            settings.TRUSTED_PROXIES = proxies
            response = client.post(
                TOKEN_URL,
                data,
                HTTP_AUTHORIZATION=auth,
                HTTP_X_FORWARDED_PROTO="https",
                REMOTE_ADDR="10.0.0.2",
            )
            answers.append(response.status_code)
    assert answers == [200, 403, 200]
