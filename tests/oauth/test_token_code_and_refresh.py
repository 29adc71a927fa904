"""/oauth/token.php (design §6): the request shapes existing clients send, and every error:
authorization_code and refresh_token."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps_registry.models import AccessToken, RefreshToken
from apps_registry.services import COMMAND_LINE, app_regenerate_secret
from tests.helpers import TOKEN_URL, basic, get_code
from tests.oauth.helpers import TOKEN_SHAPE, split_headers

pytestmark = pytest.mark.django_db


# --- authorization_code and refresh_token -------------------------------------------------


def exchange(client, app, code, **extra):
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": app.redirect_uri,
        "client_id": app.client_id,
        "client_secret": app.client_secret,
    }
    fields, headers = split_headers(extra)
    return client.post(TOKEN_URL, {**data, **fields}, **headers)


def test_code_exchange_gives_access_and_refresh_token_for_the_user(client, web_app, demo):
    code = get_code(client, web_app, demo["user"])
    client.logout()
    response = exchange(client, web_app, code, HTTP_USER_AGENT="curl/8")

    assert response.status_code == 200, response.content
    body = response.json()
    assert {"access_token", "refresh_token", "expires_in", "token_type"} <= set(body)
    assert TOKEN_SHAPE.match(body["access_token"]) and TOKEN_SHAPE.match(body["refresh_token"])
    token = AccessToken.objects.get(application=web_app)
    assert token.user == demo["user"]
    assert token.user_agent == "curl/8"


def test_code_exchange_without_redirect_uri_works_when_it_was_not_sent(client, web_app, demo):
    client.force_login(demo["user"])
    page = client.get("/oauth/authorize.php", {"response_type": "code", "client_id": web_app.client_id})
    answer = client.post("/oauth/authorize.php", {"request": page.context["blob"], "action": "allow"})
    code = answer["Location"].split("code=")[1].split("&")[0]
    data = {"grant_type": "authorization_code", "code": code}
    response = client.post(
        TOKEN_URL, data, HTTP_AUTHORIZATION=basic(web_app.client_id, web_app.client_secret)
    )
    assert response.status_code == 200, response.content


def test_code_is_single_use_and_a_replay_revokes_what_it_issued(client, web_app, demo):
    code = get_code(client, web_app, demo["user"])
    first = exchange(client, web_app, code)
    assert first.status_code == 200
    refreshed = client.post(
        TOKEN_URL,
        {
            "grant_type": "refresh_token",
            "refresh_token": first.json()["refresh_token"],
            "client_id": web_app.client_id,
            "client_secret": web_app.client_secret,
        },
    )
    assert refreshed.status_code == 200
    assert AccessToken.objects.filter(application=web_app).count() == 1

    replay = exchange(client, web_app, code)

    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert not AccessToken.objects.filter(application=web_app).exists()
    assert not RefreshToken.objects.filter(application=web_app, revoked__isnull=True).exists()


def test_code_cannot_be_redeemed_by_another_app(client, web_app, trusted_app, demo):
    code = get_code(client, web_app, demo["user"])
    response = exchange(client, trusted_app, code, redirect_uri=web_app.redirect_uri)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert exchange(client, web_app, code).status_code == 200


def test_code_cannot_be_redeemed_with_another_redirect_uri(client, web_app, demo):
    code = get_code(client, web_app, demo["user"])
    response = exchange(client, web_app, code, redirect_uri="https://app.example/other")
    assert response.status_code == 400
    assert not AccessToken.objects.exists()


def test_expired_code_is_refused(client, web_app, demo):
    from oauth2_provider.models import Grant

    code = get_code(client, web_app, demo["user"])
    Grant.objects.filter(code=code).update(expires=timezone.now() - timedelta(seconds=1))
    response = exchange(client, web_app, code)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_refresh_rotates_and_a_replayed_refresh_token_is_refused(client, web_app, demo):
    code = get_code(client, web_app, demo["user"])
    tokens = exchange(client, web_app, code).json()
    data = {
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
        "client_id": web_app.client_id,
        "client_secret": web_app.client_secret,
    }
    second = client.post(TOKEN_URL, data)
    assert second.status_code == 200
    assert second.json()["refresh_token"] != tokens["refresh_token"]
    assert second.json()["expires_in"] == 3600

    replay = client.post(TOKEN_URL, data)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"


def test_regenerate_kills_the_old_secret_tokens_refresh_tokens_and_unused_codes(client, web_app, demo):
    used = get_code(client, web_app, demo["user"])
    tokens = exchange(client, web_app, used).json()
    unused = get_code(client, web_app, demo["user"])
    old_secret = web_app.client_secret

    app_regenerate_secret(actor=web_app.owner, app=web_app, origin=COMMAND_LINE)
    web_app.refresh_from_db()

    assert exchange(client, web_app, unused, client_secret=old_secret).status_code == 401
    assert exchange(client, web_app, unused).status_code == 400
    refresh = {
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
        "client_id": web_app.client_id,
        "client_secret": web_app.client_secret,
    }
    assert client.post(TOKEN_URL, refresh).status_code == 400
    me = client.get("/uapi/@me", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert me.status_code == 401


def test_an_exchange_that_loses_a_race_for_its_code_keeps_no_token(web_app, demo):
    """Two exchanges of one code at once: the one whose code was deleted under it fails, and
    the tokens it had saved (never handed out) are dropped."""
    from oauthlib.common import Request as OAuthRequest
    from oauthlib.oauth2.rfc6749 import errors

    from apps_registry.services import app_authorization_grant
    from oauth.validator import Validator

    validator = Validator()
    request = OAuthRequest("https://testserver/oauth/token.php")
    request.client, request.user, request.scopes = web_app, demo["user"], ["unifiedapi"]
    request.grant_type, request.code = "authorization_code", "already-deleted"
    # The grant the code was issued on (authorize.php's Allow records it).
    app_authorization_grant(app=web_app, account=demo["user"])
    validator.save_bearer_token(
        {"access_token": "raced-a", "refresh_token": "raced-r", "scope": "unifiedapi", "expires_in": 3600},
        request,
    )
    assert AccessToken.objects.filter(application=web_app).count() == 1

    with pytest.raises(errors.InvalidGrantError):
        validator.invalidate_authorization_code(web_app.client_id, "already-deleted", request)

    assert not AccessToken.objects.filter(application=web_app).exists()
    assert not RefreshToken.objects.filter(application=web_app).exists()
