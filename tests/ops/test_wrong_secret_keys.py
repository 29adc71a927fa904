"""A valid but wrong APP_SECRET_KEYS (a restore, a typo during rotation) is named where it is
made (issue 27, finding 10): /readyz is 503 and `check --deploy --database default` fails with
apps_registry.E001, rather than every token request failing later; and a fault of the server
on an endpoint a program calls is answered as JSON, never the HTML 500 page."""

from __future__ import annotations

import json

import pytest
from cryptography.fernet import Fernet
from django.core.checks import run_checks
from django.test import Client, RequestFactory

from ops import health
from tests.helpers import TOKEN_URL, basic

pytestmark = pytest.mark.django_db

ANOTHER_KEY = Fernet.generate_key().decode()


@pytest.fixture
def probe():
    """/readyz checks again on every request (its positive answer is otherwise kept 30 s)."""
    health.forget()
    yield
    health.forget()


def errors_of(databases) -> list[str]:
    return [message.id for message in run_checks(include_deployment_checks=True, databases=databases)]


def test_readyz_and_the_deploy_check_fail_when_no_stored_secret_decrypts(
    client, trusted_app, settings, probe
):
    right = list(settings.APP_SECRET_KEYS)
    assert client.get("/readyz").status_code == 200
    assert "apps_registry.E001" not in errors_of(["default"])

    settings.APP_SECRET_KEYS = [ANOTHER_KEY]
    health.forget()
    assert client.get("/readyz").status_code == 503
    assert "apps_registry.E001" in errors_of(["default"])
    assert "apps_registry.E001" not in errors_of(None)  # without a database it cannot tell

    # A rotation as the guide says: the new key first, the old ones kept after it.
    settings.APP_SECRET_KEYS = [ANOTHER_KEY, *right]
    health.forget()
    assert client.get("/readyz").status_code == 200
    assert "apps_registry.E001" not in errors_of(["default"])


def test_readyz_is_ready_with_no_app_at_all(client, db, settings, probe):
    settings.APP_SECRET_KEYS = [ANOTHER_KEY]
    assert client.get("/readyz").status_code == 200


def test_the_token_endpoint_answers_a_wrong_key_with_json_server_error(trusted_app, settings):
    settings.APP_SECRET_KEYS = [ANOTHER_KEY]
    response = Client(raise_request_exception=False).post(
        TOKEN_URL,
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(trusted_app.client_id, trusted_app.client_secret),
    )
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "server_error"
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/oauth/token.php", "oauth"),
        ("/oauth/revoke", "oauth"),
        ("/oauth/introspect", "oauth"),
        ("/oauth/register", "oauth"),
        ("/oauth/register/some-client-id", "oauth"),
        ("/.well-known/oauth-authorization-server", "oauth"),
        ("/uapi/@me", "api"),
        ("/oauth/authorize.php", "page"),
        ("/accounts/login/", "page"),
    ],
)
def test_a_server_fault_is_json_where_a_program_asks_and_the_page_elsewhere(path, kind):
    from oauth.views import server_error

    response = server_error(RequestFactory().get(path))
    assert response.status_code == 500
    if kind == "page":
        assert response["Content-Type"].startswith("text/html")
    elif kind == "api":
        assert json.loads(response.content)["error"]["code"] == "server_error"
    else:
        assert json.loads(response.content)["error"] == "server_error"
