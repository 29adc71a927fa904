"""/oauth/token.php (design §6): the request shapes existing clients send, and every error."""

import re
from datetime import timedelta

import pytest
from django.test.client import encode_multipart
from django.utils import timezone

from apps_registry.models import AccessToken, App, RefreshToken
from apps_registry.services import COMMAND_LINE, app_regenerate_secret, app_set_enabled
from tests.helpers import REDIRECT, TOKEN_URL, basic, get_code

TOKEN_SHAPE = re.compile(r"\A[A-Za-z0-9._-]+\Z")

pytestmark = pytest.mark.django_db


def split_headers(extra: dict) -> tuple[dict, dict]:
    """Test-client keyword arguments: HTTP_* are headers, the rest are form fields."""
    headers = {key: value for key, value in extra.items() if key.startswith("HTTP_")}
    return {key: value for key, value in extra.items() if key not in headers}, headers


def client_credentials(client, app, **extra):
    data = {
        "grant_type": "client_credentials",
        "client_id": app.client_id,
        "client_secret": app.client_secret,
    }
    fields, headers = split_headers(extra)
    return client.post(TOKEN_URL, {**data, **fields}, **headers)


def test_client_credentials_with_body_credentials_gives_a_bearer_token_for_an_hour(client, trusted_app):
    response = client_credentials(client, trusted_app)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600 and isinstance(body["expires_in"], int)
    assert TOKEN_SHAPE.match(body["access_token"])
    assert "refresh_token" not in body


def test_client_credentials_token_acts_as_the_owner_and_records_the_user_agent(client, trusted_app):
    response = client_credentials(client, trusted_app, HTTP_USER_AGENT="VoipNow-PHP/2.1")
    assert response.status_code == 200
    token = AccessToken.objects.get(application=trusted_app)
    assert token.user == trusted_app.owner
    assert token.user_agent == "VoipNow-PHP/2.1"
    assert token.scope == "unifiedapi"


def test_voipnow_client_shape_with_extra_fields_is_accepted(client, trusted_app):
    """type=unifiedapi, redirect_uri and state=0 come along with client_credentials."""
    response = client_credentials(client, trusted_app, type="unifiedapi", redirect_uri=REDIRECT, state="0")
    assert response.status_code == 200
    assert set(response.json()) >= {"access_token", "expires_in"}


def test_multipart_form_data_body_is_accepted(client, trusted_app):
    data = {
        "grant_type": "client_credentials",
        "client_id": trusted_app.client_id,
        "client_secret": trusted_app.client_secret,
        "type": "unifiedapi",
    }
    response = client.post(
        TOKEN_URL,
        encode_multipart("PhpBoundary", data),
        content_type="multipart/form-data; boundary=PhpBoundary",
    )
    assert response.status_code == 200, response.content
    assert response.json()["token_type"] == "Bearer"


def test_http_basic_credentials_work(client, trusted_app):
    response = client.post(
        TOKEN_URL,
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(trusted_app.client_id, trusted_app.client_secret),
    )
    assert response.status_code == 200


@pytest.mark.parametrize("where", ["body", "basic"])
def test_wrong_secret_is_401_invalid_client_exactly(client, trusted_app, where):
    if where == "body":
        response = client_credentials(client, trusted_app, client_secret="x" * 32)
    else:
        response = client.post(
            TOKEN_URL,
            {"grant_type": "client_credentials"},
            HTTP_AUTHORIZATION=basic(trusted_app.client_id, "x"),
        )
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}
    assert not AccessToken.objects.exists()


def test_wrong_secret_with_state_0_is_still_exactly_invalid_client(client, trusted_app):
    """VoipNow clients send state=0 with client_credentials; oauthlib would echo it."""
    response = client_credentials(client, trusted_app, client_secret="x" * 32, state="0", type="unifiedapi")
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}


def test_other_errors_do_not_echo_state(client, web_app):
    response = client_credentials(client, web_app, state="0")
    assert response.status_code == 400
    assert "state" not in response.json()


def test_basic_auth_failure_challenges_with_basic_and_body_failure_with_none(client, trusted_app):
    basic_failure = client.post(
        TOKEN_URL, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=basic(trusted_app.client_id, "x")
    )
    assert basic_failure["WWW-Authenticate"].startswith("Basic ")
    body_failure = client_credentials(client, trusted_app, client_secret="x")
    assert "WWW-Authenticate" not in body_failure


def test_unknown_key_is_401_invalid_client(client, trusted_app):
    response = client.post(
        TOKEN_URL, {"grant_type": "client_credentials", "client_id": "nope", "client_secret": "nope"}
    )
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}


def test_untrusted_app_gets_unauthorized_client_for_client_credentials(client, web_app):
    response = client_credentials(client, web_app)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "unauthorized_client"
    assert body["error_description"]
    assert not AccessToken.objects.exists()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (
            {"grant_type": "password", "username": "organization", "password": "demo"},
            "unsupported_grant_type",
        ),
        (
            {"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": "x"},
            "unsupported_grant_type",
        ),
        ({"grant_type": "implicit"}, "unsupported_grant_type"),
        ({"grant_type": "urn:example:nothing"}, "unsupported_grant_type"),
        (
            {"grant_type": "authorization_code", "code": "not-a-code", "redirect_uri": REDIRECT},
            "invalid_grant",
        ),
        ({"grant_type": "refresh_token", "refresh_token": "not-a-token"}, "invalid_grant"),
        ({}, "invalid_request"),
    ],
)
def test_other_failures_follow_rfc6749_with_a_description(client, trusted_app, data, error):
    credentials = {"client_id": trusted_app.client_id, "client_secret": trusted_app.client_secret}
    response = client.post(TOKEN_URL, {**credentials, **data})
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] == error
    assert body["error_description"]
    assert not AccessToken.objects.exists()


def test_disabled_app_gets_no_token_and_enabled_again_does(client, trusted_app):
    app_set_enabled(actor=trusted_app.owner, app=trusted_app, enabled=False, origin=COMMAND_LINE)
    assert client_credentials(client, trusted_app).status_code == 401
    app_set_enabled(actor=trusted_app.owner, app=trusted_app, enabled=True, origin=COMMAND_LINE)
    assert client_credentials(client, trusted_app).status_code == 200


def test_get_is_not_allowed(client, trusted_app):
    assert client.get(TOKEN_URL).status_code == 405


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

    from oauth.validator import Validator

    validator = Validator()
    request = OAuthRequest("https://testserver/oauth/token.php")
    request.client, request.user, request.scopes = web_app, demo["user"], ["unifiedapi"]
    request.grant_type, request.code = "authorization_code", "already-deleted"
    validator.save_bearer_token(
        {"access_token": "raced-a", "refresh_token": "raced-r", "scope": "unifiedapi", "expires_in": 3600},
        request,
    )
    assert AccessToken.objects.filter(application=web_app).count() == 1

    with pytest.raises(errors.InvalidGrantError):
        validator.invalidate_authorization_code(web_app.client_id, "already-deleted", request)

    assert not AccessToken.objects.filter(application=web_app).exists()
    assert not RefreshToken.objects.filter(application=web_app).exists()


# --- what a token request costs (make bench, P1 and P2) ------------------------------------

TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "BEGIN", "COMMIT")


def statements(captured) -> list[str]:
    """The SQL a request ran, without the transaction control around it (which differs
    between SQLite and PostgreSQL and between the suite and production)."""
    return [query["sql"] for query in captured if not query["sql"].startswith(TRANSACTION_CONTROL)]


def test_client_credentials_costs_one_select_and_one_insert(client, trusted_app):
    """The App is read once (with its secrets), the token written once, and never read back
    (django-oauth-toolkit's view reads it back by its checksum for the app_authorized signal;
    ours hands it over). That the secret is still one the client proved it holds is checked
    by the database, inside the INSERT (migration 0007), not by a query of its own. The
    secret's last use was written by the first request of the minute (the warm-up)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert client_credentials(client, trusted_app).status_code == 200  # the minute's first use
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            TOKEN_URL,
            {"grant_type": "client_credentials"},
            HTTP_AUTHORIZATION=basic(trusted_app.client_id, trusted_app.client_secret),
        )

    assert response.status_code == 200
    sql = statements(captured)
    assert len(sql) == 2, sql
    assert sql[0].startswith("SELECT") and "apps_registry_app" in sql[0]
    assert sql[1].startswith("INSERT") and "apps_registry_accesstoken" in sql[1]


@pytest.mark.parametrize("where", ["body", "basic"])
def test_a_wrong_secret_costs_one_select(client, trusted_app, where):
    """No second lookup of the App (in vain, for a client_id that is not in the body) and no
    password hashing: a flood of wrong secrets costs the server what a right one does."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        if where == "body":
            response = client_credentials(client, trusted_app, client_secret="x" * 32)
        else:
            response = client.post(
                TOKEN_URL,
                {"grant_type": "client_credentials"},
                HTTP_AUTHORIZATION=basic(trusted_app.client_id, "x" * 32),
            )

    assert response.status_code == 401
    assert len(statements(captured)) == 1, statements(captured)


def test_an_unknown_key_in_basic_and_body_is_looked_up_once(client, trusted_app):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            TOKEN_URL,
            {"grant_type": "client_credentials", "client_id": "nope", "client_secret": "nope"},
            HTTP_AUTHORIZATION=basic("nope", "nope"),
        )

    assert response.status_code == 401
    assert len(statements(captured)) == 1, statements(captured)


def test_app_authorized_is_sent_with_the_issued_token(client, trusted_app):
    from oauth2_provider.signals import app_authorized

    received = []

    def receiver(sender, request, token, **kwargs):
        received.append(token)

    app_authorized.connect(receiver)
    try:
        response = client_credentials(client, trusted_app)
    finally:
        app_authorized.disconnect(receiver)

    assert response.status_code == 200
    assert len(received) == 1
    assert received[0].pk == AccessToken.objects.get().pk
    assert received[0].application_id == trusted_app.pk


def test_no_app_authorized_for_a_refused_request(client, trusted_app):
    from oauth2_provider.signals import app_authorized

    received = []
    app_authorized.connect(receiver := lambda sender, token, **kwargs: received.append(token))
    try:
        assert client_credentials(client, trusted_app, client_secret="x" * 32).status_code == 401
    finally:
        app_authorized.disconnect(receiver)
    assert received == []


def test_the_app_the_token_endpoint_loads_is_the_app_the_orm_reads(web_app, demo):
    """load_app_with_secrets reads the row with a cursor and the ORM's converters: every field
    comes back as the ORM gives it (booleans, aware datetimes, JSON lists), with the secrets."""
    from oauth.validator import load_app_with_secrets

    App.objects.filter(pk=web_app.pk).update(
        trusted=True, extra_redirect_uris=["https://other.example/cb"], last_used=timezone.now()
    )
    loaded, expected = load_app_with_secrets(web_app.client_id), App.objects.get(pk=web_app.pk)
    for field in App._meta.concrete_fields:
        value = getattr(loaded, field.attname)
        assert value == getattr(expected, field.attname), field.name
        assert type(value) is type(getattr(expected, field.attname)), field.name
    assert [secret.pk for secret in loaded.live_secrets] == [web_app.live_secrets[0].pk]
    assert loaded.matching_secret(web_app.client_secret) is not None
    assert load_app_with_secrets("no-such-app") is None
