"""Consent remembered (design §8): a user who authorized an App is not asked again by
authorize.php until the access is revoked; `prompt=consent` asks anyway, `prompt=none` never
asks. The grant is recorded wherever a code is issued for a user, and the token endpoint keeps
its `last_used`."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps_registry.models import AccessToken, AppAuthorization, RefreshToken
from apps_registry.services import COMMAND_LINE, app_revoke_access, app_set_enabled
from tests.factories import AppFactory
from tests.helpers import TOKEN_URL, basic, get_code, grant_while_made, query

pytestmark = pytest.mark.django_db

AUTHORIZE = "/oauth/authorize.php"
BACKFILL = importlib.import_module("apps_registry.migrations.0008_app_authorization").backfill


def params(app, **changes):
    values = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": app.redirect_uri,
        "state": "s1",
    }
    return {key: value for key, value in {**values, **changes}.items() if value is not None}


def allow(client, app, user, **extra) -> str:
    """The consent page shown and allowed: the code."""
    client.force_login(user)
    page = client.get(AUTHORIZE, params(app, **extra))
    assert page.status_code == 200, page.content
    response = client.post(AUTHORIZE, {"request": page.context["blob"], "action": "allow"})
    return query(response["Location"])["code"][0]


def exchange(client, app, code: str) -> dict:
    response = client.post(
        TOKEN_URL,
        {"grant_type": "authorization_code", "code": code, "redirect_uri": app.redirect_uri},
        HTTP_AUTHORIZATION=basic(app.client_id, app.client_secret),
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_allow_records_the_grant(client, web_app, demo):
    allow(client, web_app, demo["user"])

    grant = AppAuthorization.objects.get()
    assert (grant.app, grant.account, grant.api) == (web_app, demo["user"], web_app.api)


def test_deny_records_nothing(client, web_app, demo):
    client.force_login(demo["user"])
    page = client.get(AUTHORIZE, params(web_app))
    client.post(AUTHORIZE, {"request": page.context["blob"], "action": "deny"})

    assert not AppAuthorization.objects.exists()


def test_the_second_authorize_answers_with_a_code_at_once(client, web_app, demo):
    allow(client, web_app, demo["user"])

    response = client.get(AUTHORIZE, params(web_app))

    assert response.status_code == 302
    assert response["Location"].startswith(web_app.redirect_uri + "?")
    got = query(response["Location"])
    assert got["state"] == ["s1"] and got["iss"][0]
    token = exchange(client, web_app, got["code"][0])
    assert AccessToken.objects.get(token_checksum__isnull=False).user == demo["user"]
    assert token["refresh_token"]
    assert AppAuthorization.objects.count() == 1


def test_another_account_is_still_asked(client, web_app, demo):
    allow(client, web_app, demo["user"])
    client.force_login(demo["user2"])

    assert client.get(AUTHORIZE, params(web_app)).status_code == 200


def test_another_app_is_still_asked(client, web_app, demo):
    allow(client, web_app, demo["user"])
    other = AppFactory(owner=web_app.owner, api=web_app.api, redirect_uri=web_app.redirect_uri)

    assert client.get(AUTHORIZE, params(other)).status_code == 200


def test_prompt_consent_shows_the_page_anyway(client, web_app, demo):
    allow(client, web_app, demo["user"])

    page = client.get(AUTHORIZE, params(web_app, prompt="consent"))

    assert page.status_code == 200
    assert "Allow" in page.content.decode()


def test_after_revoke_the_page_is_back(client, web_app, demo):
    allow(client, web_app, demo["user"])
    app_revoke_access(actor=demo["user"], account=demo["user"], apps=[web_app], origin=COMMAND_LINE)

    assert client.get(AUTHORIZE, params(web_app)).status_code == 200


def test_a_remembered_consent_still_checks_the_redirect_uri(client, web_app, demo):
    allow(client, web_app, demo["user"])

    response = client.get(AUTHORIZE, params(web_app, redirect_uri=web_app.redirect_uri + "/other"))

    assert response.status_code == 400
    assert "Location" not in response


def test_a_remembered_consent_still_refuses_plain_pkce(client, web_app, demo):
    allow(client, web_app, demo["user"])

    response = client.get(AUTHORIZE, params(web_app, code_challenge="a" * 43, code_challenge_method="plain"))

    assert query(response["Location"])["error"] == ["invalid_request"]


def test_a_disabled_app_gets_no_code_from_a_remembered_consent(client, web_app, demo):
    allow(client, web_app, demo["user"])
    app_set_enabled(actor=demo["organization"], app=web_app, enabled=False, origin=COMMAND_LINE)

    response = client.get(AUTHORIZE, params(web_app))

    assert response.status_code == 400
    assert "code" not in query(response.get("Location", ""))


def test_signed_out_the_page_is_shown(client, web_app, demo):
    allow(client, web_app, demo["user"])
    client.logout()

    assert client.get(AUTHORIZE, params(web_app)).status_code == 200


# --- prompt=none ------------------------------------------------------------------------------


def test_prompt_none_without_a_grant_answers_consent_required(client, web_app, demo):
    client.force_login(demo["user"])

    response = client.get(AUTHORIZE, params(web_app, prompt="none"))

    assert response.status_code == 302
    got = query(response["Location"])
    assert got["error"] == ["consent_required"] and got["state"] == ["s1"]
    assert response["Location"].startswith(web_app.redirect_uri + "?")


def test_prompt_none_signed_out_answers_login_required(client, web_app, demo):
    response = client.get(AUTHORIZE, params(web_app, prompt="none"))

    assert query(response["Location"])["error"] == ["login_required"]


def test_prompt_none_with_a_grant_answers_with_a_code(client, web_app, demo):
    allow(client, web_app, demo["user"])

    response = client.get(AUTHORIZE, params(web_app, prompt="none"))

    assert query(response["Location"])["code"][0]


def test_prompt_none_with_another_value_is_invalid(client, web_app, demo):
    client.force_login(demo["user"])

    response = client.get(AUTHORIZE, params(web_app, prompt="none consent"))

    assert query(response["Location"])["error"] == ["invalid_request"]


def test_prompt_none_never_redirects_to_an_unregistered_uri(client, web_app, demo):
    client.force_login(demo["user"])

    response = client.get(AUTHORIZE, params(web_app, prompt="none", redirect_uri="https://evil.example/cb"))

    assert response.status_code == 400
    assert "Location" not in response


# --- register.php's Grant access ----------------------------------------------------------------


def test_register_with_grant_access_records_the_grant_and_authorize_asks_no_more(client, demo):
    from urllib.parse import urlsplit

    client.force_login(demo["user"])
    redirect_uri = "https://apps.example/cb"
    page = client.get(
        "/oauth/register.php",
        {
            "name": "Sync",
            "homepage": "https://apps.example/",
            "email": "d@apps.example",
            "redirect_uri": redirect_uri,
        },
    )
    done = client.post(
        "/oauth/register/consent/",
        {"request": page.context["blob"], "action": "register", "grant_access": "on"},
    )
    client_id = query(done["Location"])["client_id"][0]

    grant = AppAuthorization.objects.get()
    assert (grant.app.client_id, grant.account) == (client_id, demo["user"])
    response = client.get(
        AUTHORIZE, {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri}
    )
    assert response.status_code == 302
    assert urlsplit(response["Location"]).netloc == "apps.example"
    assert query(response["Location"])["code"][0]


def test_register_without_grant_access_records_no_grant(client, demo):
    client.force_login(demo["user"])
    page = client.get(
        "/oauth/register.php",
        {
            "name": "Sync",
            "homepage": "https://apps.example/",
            "email": "d@apps.example",
            "redirect_uri": "https://apps.example/cb",
        },
    )
    client.post("/oauth/register/consent/", {"request": page.context["blob"], "action": "register"})

    assert not AppAuthorization.objects.exists()


def test_register_php_always_shows_its_page(client, demo):
    client.force_login(demo["user"])
    fields = {
        "name": "Sync",
        "homepage": "https://apps.example/",
        "email": "d@apps.example",
        "redirect_uri": "https://apps.example/cb",
    }
    page = client.get("/oauth/register.php", fields)
    client.post(
        "/oauth/register/consent/",
        {"request": page.context["blob"], "action": "register", "grant_access": "on"},
    )

    assert client.get("/oauth/register.php", fields).status_code == 200


# --- last used, and what it costs the token endpoint --------------------------------------------

TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "BEGIN", "COMMIT")


def grant_updates(captured) -> list[str]:
    return [
        query["sql"]
        for query in captured
        if "apps_registry_appauthorization" in query["sql"]
        and not query["sql"].startswith(TRANSACTION_CONTROL)
    ]


def test_exchange_and_refresh_keep_last_used_with_one_update_each(client, web_app, demo):
    code = allow(client, web_app, demo["user"])
    assert AppAuthorization.objects.get().last_used is None

    with CaptureQueriesContext(connection) as captured:
        token = exchange(client, web_app, code)
    # The grant held (read, and share-locked on PostgreSQL) before the tokens, then touched.
    assert [sql.split()[0] for sql in grant_updates(captured)] == ["SELECT", "UPDATE"]
    used = AppAuthorization.objects.get().last_used
    assert used is not None

    AppAuthorization.objects.update(last_used=used - timedelta(minutes=5))
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            TOKEN_URL,
            {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
            HTTP_AUTHORIZATION=basic(web_app.client_id, web_app.client_secret),
        )
    assert response.status_code == 200
    assert [sql.split()[0] for sql in grant_updates(captured)] == ["SELECT", "UPDATE"]
    assert AppAuthorization.objects.get().last_used > used - timedelta(minutes=1)


def test_client_credentials_touches_no_grant(client, trusted_app):
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            TOKEN_URL,
            {"grant_type": "client_credentials"},
            HTTP_AUTHORIZATION=basic(trusted_app.client_id, trusted_app.client_secret),
        )

    assert response.status_code == 200
    assert grant_updates(captured) == []
    assert not AppAuthorization.objects.exists()


def test_get_code_helper_works_with_a_remembered_consent(client, web_app, demo):
    first = get_code(client, web_app, demo["user"])
    second = get_code(client, web_app, demo["user"])

    assert first != second


# --- the data migration's backfill ------------------------------------------------------------


def test_backfill_reads_grants_from_live_tokens_and_leaves_client_credentials_out(demo, web_app, trusted_app):
    user, user2, owner = demo["user"], demo["user2"], demo["organization"]
    soon = timezone.now() + timedelta(hours=1)
    # The code flow: an access token with its refresh token.
    access = AccessToken.objects.create(user=user, application=web_app, token="a1", expires=soon)
    with grant_while_made(web_app, user):
        RefreshToken.objects.create(user=user, application=web_app, token="r1", access_token=access)
    # Another account's live access token alone (its refresh token revoked or gone).
    AccessToken.objects.create(user=user2, application=trusted_app, token="a2", expires=soon)
    # client_credentials: the owner's token, no refresh token. Not a grant.
    AccessToken.objects.create(user=owner, application=trusted_app, token="a3", expires=soon)
    # A revoked refresh token and an expired token: no live grant.
    with grant_while_made(web_app, user2):
        RefreshToken.objects.create(user=user2, application=web_app, token="r2", revoked=timezone.now())
    AccessToken.objects.create(user=user2, application=web_app, token="a4", expires=timezone.now())

    BACKFILL(django_apps, None)

    found = set(AppAuthorization.objects.values_list("app__name", "account__username", "api"))
    assert found == {("Web App", "user", web_app.api), ("Trusted", "user2", trusted_app.api)}
