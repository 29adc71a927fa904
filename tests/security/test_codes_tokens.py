"""Codes and tokens (RFC 9700 2.2 and 4.14, RFC 6819 5.2.2.3): what the existing suites in
tests/oauth and tests/e2e do not already cover. A rotated refresh token that comes back
revokes its whole family, so whoever holds the family's live tokens loses them."""

import pytest

from apps_registry.models import AccessToken, Api, RefreshToken
from tests.factories import AppFactory
from tests.helpers import TOKEN_URL, basic, get_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def app(demo):
    return AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, redirect_uri="https://app.example/cb")


def redeem(client, app, code) -> dict:
    response = client.post(
        TOKEN_URL,
        {"grant_type": "authorization_code", "code": code, "redirect_uri": app.redirect_uri},
        HTTP_AUTHORIZATION=basic(app.client_id, app.client_secret),
    )
    assert response.status_code == 200, response.content
    return response.json()


def refresh(client, app, refresh_token: str):
    return client.post(
        TOKEN_URL,
        {"grant_type": "refresh_token", "refresh_token": refresh_token},
        HTTP_AUTHORIZATION=basic(app.client_id, app.client_secret),
    )


def me(client, access_token: str) -> int:
    return client.get("/uapi/@me", HTTP_AUTHORIZATION=f"Bearer {access_token}").status_code


def test_a_replayed_rotated_refresh_token_revokes_its_family_and_the_familys_access_tokens(client, app, demo):
    first = redeem(client, app, get_code(client, app, demo["user"]))
    second = refresh(client, app, first["refresh_token"]).json()
    third = refresh(client, app, second["refresh_token"]).json()
    assert me(client, third["access_token"]) == 200
    # Another grant of the same App, the same user: a family of its own.
    other = redeem(client, app, get_code(client, app, demo["user"]))

    replay = refresh(client, app, first["refresh_token"])

    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    # The thief's (or the App's) latest pair is dead too ...
    assert refresh(client, app, third["refresh_token"]).status_code == 400
    assert me(client, third["access_token"]) == 401
    # ... and the other family is untouched.
    assert me(client, other["access_token"]) == 200
    assert refresh(client, app, other["refresh_token"]).status_code == 200


def test_a_refresh_token_cannot_be_used_by_another_app(client, app, demo):
    other_app = AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI)
    tokens = redeem(client, app, get_code(client, app, demo["user"]))

    response = refresh(client, other_app, tokens["refresh_token"])

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert not AccessToken.objects.filter(application=other_app).exists()
    assert refresh(client, app, tokens["refresh_token"]).status_code == 200


def test_a_replayed_code_kills_the_access_token_refreshed_from_its_first_use(client, app, demo):
    code = get_code(client, app, demo["user"])
    refreshed = refresh(client, app, redeem(client, app, code)["refresh_token"]).json()
    assert me(client, refreshed["access_token"]) == 200

    replay = client.post(
        TOKEN_URL,
        {"grant_type": "authorization_code", "code": code, "redirect_uri": app.redirect_uri},
        HTTP_AUTHORIZATION=basic(app.client_id, app.client_secret),
    )

    assert replay.status_code == 400
    assert me(client, refreshed["access_token"]) == 401
    assert refresh(client, app, refreshed["refresh_token"]).status_code == 400
    assert not RefreshToken.objects.filter(application=app, revoked__isnull=True).exists()
