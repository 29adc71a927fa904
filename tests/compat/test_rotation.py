"""Rotation without downtime run by a real client library (requests-oauthlib) over HTTPS to the
portal served by gunicorn (the `portal` fixture): the App gets a second secret, holds tokens
from each, the old secret is removed; its tokens get 401 at /uapi/@me and the new one's 200."""

from __future__ import annotations

import pytest
import requests
from oauthlib.oauth2 import BackendApplicationClient
from oauthlib.oauth2.rfc6749.errors import InvalidClientError
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from apps_registry import services
from apps_registry.models import Api
from tests.factories import AppFactory

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 30


def fetch(portal, app, secret: str) -> dict:
    """client_credentials as the library does it: the key and secret in HTTP Basic."""
    with OAuth2Session(client=BackendApplicationClient(client_id=app.client_id)) as oauth:
        return oauth.fetch_token(
            f"{portal.url}/oauth/token.php",
            auth=HTTPBasicAuth(app.client_id, secret),
            verify=str(portal.ca),
            timeout=TIMEOUT,
        )


def me(portal, token: dict) -> int:
    with OAuth2Session(token=token) as oauth:
        return oauth.get(f"{portal.url}/uapi/@me", verify=str(portal.ca), timeout=TIMEOUT).status_code


def test_a_client_rotates_its_secret_without_downtime(portal, demo):
    app = AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, trusted=True, name="Rotating client")
    old = app.client_secret
    with_old = [fetch(portal, app, old) for _ in range(2)]

    app, new = services.app_add_secret(actor=demo["organization"], app=app, origin=services.COMMAND_LINE)
    with_new = fetch(portal, app, new)
    also_old = fetch(portal, app, old)  # both secrets work while the App moves

    assert [me(portal, token) for token in [*with_old, also_old, with_new]] == [200, 200, 200, 200]

    services.app_remove_secret(
        actor=demo["organization"], app=app, secret_id=app.live_secrets[0].pk, origin=services.COMMAND_LINE
    )

    assert [me(portal, token) for token in [*with_old, also_old]] == [401, 401, 401]
    assert me(portal, with_new) == 200
    with pytest.raises(InvalidClientError):
        fetch(portal, app, old)
    assert me(portal, fetch(portal, app, new)) == 200
    answer = requests.get(
        f"{portal.url}/uapi/@me",
        headers={"Authorization": f"Bearer {with_old[0]['access_token']}"},
        verify=str(portal.ca),
        timeout=TIMEOUT,
    )
    assert answer.json()["error"]["code"] == "invalid_token"
