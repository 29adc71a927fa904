"""The exact requests today's VoipNow clients send (design §6, compatibility), over a socket."""

import secrets
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from apps_registry.models import AccessToken
from oauth.validator import checksum
from tests.helpers import REDIRECT
from tests.live_session import TIMEOUT

pytestmark = pytest.mark.django_db(transaction=True)


def voipnow_fields(app, secret: str | None = None) -> list[tuple[str, str]]:
    """The fields a VoipNow client posts, in its order, extra ones included."""
    return [
        ("grant_type", "client_credentials"),
        ("client_id", app.client_id),
        ("client_secret", secret or app.client_secret),
        ("type", "unifiedapi"),
        ("redirect_uri", REDIRECT),
        ("state", "0"),
    ]


def php_curl_multipart(fields: list[tuple[str, str]]) -> tuple[bytes, str]:
    """A body as PHP's curl builds it from an array passed to CURLOPT_POSTFIELDS."""
    boundary = "------------------------" + secrets.token_hex(8)
    lines = []
    for name, value in fields:
        lines += [f"--{boundary}", f'Content-Disposition: form-data; name="{name}"', "", value]
    lines += [f"--{boundary}--", ""]
    return "\r\n".join(lines).encode(), f"multipart/form-data; boundary={boundary}"


def post_token(live: str, fields: list[tuple[str, str]], shape: str) -> requests.Response:
    url = f"{live}/oauth/token.php"
    headers = {"User-Agent": "VoipNow-PHP", "Accept": "*/*"}
    if shape == "urlencoded":
        return requests.post(url, data=fields, headers=headers, timeout=TIMEOUT)
    if shape == "multipart":
        return requests.post(url, files=[(name, (None, value)) for name, value in fields], timeout=TIMEOUT)
    body, content_type = php_curl_multipart(fields)
    return requests.post(url, data=body, headers={**headers, "Content-Type": content_type}, timeout=TIMEOUT)


SHAPES = ["urlencoded", "multipart", "php-curl-multipart"]


def client_credentials_token(live: str, app) -> str:
    response = post_token(live, voipnow_fields(app), "urlencoded")
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


@pytest.mark.parametrize("shape", SHAPES)
def test_voipnow_client_gets_a_token(live, trusted_app, shape):
    response = post_token(live, voipnow_fields(trusted_app), shape)

    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json"
    # What the existing clients read, and nothing more.
    body = response.json()
    access_token, expires_in = body["access_token"], body["expires_in"]
    assert isinstance(expires_in, int) and expires_in == 3600
    assert set(access_token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._")
    assert body["token_type"] == "Bearer"


@pytest.mark.parametrize("shape", SHAPES)
def test_wrong_secret_is_401_invalid_client_exactly(live, trusted_app, shape):
    response = post_token(live, voipnow_fields(trusted_app, secret="0" * 32), shape)

    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}


@pytest.mark.parametrize("shape", SHAPES)
def test_wrong_secret_without_state_is_401_invalid_client_exactly(live, trusted_app, shape):
    fields = [(k, v) for k, v in voipnow_fields(trusted_app, secret="0" * 32) if k != "state"]

    response = post_token(live, fields, shape)

    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}


def test_unknown_key_is_401_invalid_client_exactly(live, trusted_app):
    fields = [(k, "k" * 32 if k == "client_id" else v) for k, v in voipnow_fields(trusted_app)]

    response = post_token(live, fields, "urlencoded")

    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}


@pytest.mark.parametrize(
    "how",
    ["header", "query", "query-bearer-%20", "query-bearer-plus"],
)
def test_unifiedapi_me_accepts_the_token_where_voipnow_clients_put_it(live, trusted_app, how):
    token = client_credentials_token(live, trusted_app)
    url = f"{live}/unifiedapi/@me"

    if how == "header":
        response = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
    elif how == "query":
        response = requests.get(f"{url}?accessRequestToken={token}", timeout=TIMEOUT)
    elif how == "query-bearer-%20":
        response = requests.get(f"{url}?accessRequestToken=Bearer%20{token}", timeout=TIMEOUT)
    else:  # PHP's http_build_query encodes the space as "+".
        response = requests.get(f"{url}?accessRequestToken=Bearer+{token}", timeout=TIMEOUT)

    assert response.status_code == 200, response.text
    assert response.json()["username"] == "organization"
    assert response.json()["app"]["api"] == "unifiedapi"


def test_me_without_a_token_is_401_with_an_error_code(live):
    response = requests.get(f"{live}/uapi/@me", timeout=TIMEOUT)

    assert response.status_code == 401
    assert set(response.json()["error"]) == {"code", "message"}


def test_systemapi_apps_token_is_refused_by_unifiedapi(live, systemapi_app):
    token = client_credentials_token(live, systemapi_app)

    response = requests.get(f"{live}/unifiedapi/@me?accessRequestToken={token}", timeout=TIMEOUT)

    assert response.status_code == 401
    assert response.json()["error"]["code"]
    assert response.json()["error"]["message"]


def test_revoked_token_is_401(live, trusted_app):
    token = client_credentials_token(live, trusted_app)
    revoke = requests.post(
        f"{live}/oauth/revoke",
        data={"token": token, "client_id": trusted_app.client_id, "client_secret": trusted_app.client_secret},
        timeout=TIMEOUT,
    )
    assert revoke.status_code == 200, revoke.text

    response = requests.get(f"{live}/unifiedapi/@me?accessRequestToken={token}", timeout=TIMEOUT)

    assert response.status_code == 401
    assert response.json()["error"]["code"]


def test_expired_token_is_401(live, trusted_app):
    token = client_credentials_token(live, trusted_app)
    AccessToken.objects.filter(token_checksum=checksum(token)).update(
        expires=timezone.now() - timedelta(seconds=1)
    )

    response = requests.get(f"{live}/unifiedapi/@me?accessRequestToken={token}", timeout=TIMEOUT)

    assert response.status_code == 401
    assert response.json()["error"]["code"]


@pytest.mark.parametrize("credentials", ["body", "basic"])
def test_introspect_reports_the_api_and_the_account(live, demo, trusted_app, systemapi_app, credentials):
    """The App itself (body credentials), and a resource server of the same tree (Basic, marked
    by the tree's Administrator) for another App's token."""
    from apps_registry.services import COMMAND_LINE, app_update

    app_update(actor=demo["admin"], app=systemapi_app, origin=COMMAND_LINE, resource_server=True)
    token = client_credentials_token(live, trusted_app)
    if credentials == "body":
        data = {
            "token": token,
            "client_id": trusted_app.client_id,
            "client_secret": trusted_app.client_secret,
        }
        response = requests.post(f"{live}/oauth/introspect", data=data, timeout=TIMEOUT)
    else:
        auth = (systemapi_app.client_id, systemapi_app.client_secret)
        response = requests.post(
            f"{live}/oauth/introspect", data={"token": token}, auth=auth, timeout=TIMEOUT
        )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["active"] is True
    assert body["api"] == "unifiedapi"
    assert body["client_id"] == trusted_app.client_id
    assert body["account"]["username"] == "organization"
    assert body["account"]["kind"]


def test_introspect_with_a_wrong_secret_is_401(live, trusted_app):
    token = client_credentials_token(live, trusted_app)

    response = requests.post(
        f"{live}/oauth/introspect",
        data={"token": token},
        auth=(trusted_app.client_id, "0" * 32),
        timeout=TIMEOUT,
    )

    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}
