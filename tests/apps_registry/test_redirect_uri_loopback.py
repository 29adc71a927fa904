"""Plain-HTTP redirect URLs: only for a loopback host, and only while OAUTH_ALLOW_LOOPBACK_HTTP
is on (development; the playground's callback). One rule, seen through every path."""

import pytest
from django.core.exceptions import ValidationError

from apps_registry import services
from apps_registry.models import Api, App, validate_redirect_uri
from tests.factories import AppFactory

LOOPBACK = ["http://127.0.0.1:8000/playground/callback/", "http://localhost/cb", "http://[::1]:8000/cb"]
NOT_LOOPBACK = [
    "http://evil.example/cb",
    "http://127.0.0.1.evil.example/cb",
    "http://localhost.evil.example/cb",
    "http://10.0.0.1/cb",
    "http://127.0.0.2/cb",
]
ORIGIN = services.Origin(source="portal")


@pytest.fixture
def loopback_on(settings):
    settings.OAUTH_ALLOW_LOOPBACK_HTTP = True


@pytest.fixture
def loopback_off(settings):
    settings.OAUTH_ALLOW_LOOPBACK_HTTP = False


@pytest.mark.parametrize("uri", LOOPBACK)
def test_http_loopback_redirect_is_accepted_while_allowed(loopback_on, uri):
    validate_redirect_uri(uri)


@pytest.mark.parametrize("uri", NOT_LOOPBACK)
def test_http_redirect_to_another_host_is_refused_even_while_loopback_is_allowed(loopback_on, uri):
    with pytest.raises(ValidationError) as error:
        validate_redirect_uri(uri)
    assert error.value.code == "invalid"


@pytest.mark.parametrize("uri", LOOPBACK + NOT_LOOPBACK)
def test_every_http_redirect_is_refused_when_loopback_is_not_allowed(loopback_off, uri):
    with pytest.raises(ValidationError):
        validate_redirect_uri(uri)


@pytest.mark.parametrize("allowed", [True, False])
def test_https_loopback_and_fragment_rules_do_not_depend_on_the_setting(settings, allowed):
    settings.OAUTH_ALLOW_LOOPBACK_HTTP = allowed
    validate_redirect_uri("https://127.0.0.1/cb")
    with pytest.raises(ValidationError) as error:
        validate_redirect_uri("http://127.0.0.1/cb#x")
    assert error.value.code == ("fragment" if allowed else "invalid")


def create(demo, redirect_uri: str) -> App:
    return services.app_create(
        actor=demo["organization"],
        owner=demo["organization"],
        origin=ORIGIN,
        api=Api.UNIFIEDAPI,
        name="Local",
        homepage="https://local.example/",
        email="dev@local.example",
        redirect_uri=redirect_uri,
    )


def test_service_follows_the_setting(demo, settings):
    settings.OAUTH_ALLOW_LOOPBACK_HTTP = True
    assert create(demo, "http://localhost:8000/cb").redirect_uri == "http://localhost:8000/cb"
    with pytest.raises(ValidationError):
        create(demo, "http://evil.example/cb")
    settings.OAUTH_ALLOW_LOOPBACK_HTTP = False
    with pytest.raises(ValidationError):
        create(demo, "http://localhost:8000/cb")
    assert App.objects.count() == 1


def register_php(client, redirect_uri: str, secure: bool = False):
    params = {"name": "Local", "homepage": "https://local.example/", "email": "dev@local.example"}
    return client.get("/oauth/register.php", {**params, "redirect_uri": redirect_uri}, secure=secure)


def test_register_php_accepts_a_loopback_callback_only_while_allowed(client, demo, settings):
    settings.OAUTH_ALLOW_LOOPBACK_HTTP = True
    assert register_php(client, "http://127.0.0.1:8000/cb").status_code == 200
    refused = register_php(client, "http://evil.example/cb")
    assert refused.status_code == 400
    assert b"https://" in refused.content
    settings.OAUTH_ALLOW_LOOPBACK_HTTP = False
    # (Over plain HTTP the TLS guard would answer first; as if behind TLS here.)
    refused = register_php(client, "http://127.0.0.1/cb", secure=True)
    assert refused.status_code == 400
    assert not App.objects.exists()


def test_authorize_php_refuses_an_http_loopback_app_once_the_allowance_is_off(client, demo, settings):
    app = AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, redirect_uri="http://localhost:8000/cb")
    client.force_login(demo["organization"])
    params = {"response_type": "code", "client_id": app.client_id, "redirect_uri": app.redirect_uri}
    settings.OAUTH_ALLOW_LOOPBACK_HTTP = True
    assert client.get("/oauth/authorize.php", params).status_code == 200
    settings.OAUTH_ALLOW_LOOPBACK_HTTP = False
    refused = client.get("/oauth/authorize.php", params, secure=True)
    assert refused.status_code == 400
    assert "Location" not in refused
