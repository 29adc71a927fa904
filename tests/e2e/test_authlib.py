"""design §6 through Authlib's requests client, as an App developer uses it."""

import pytest
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from apps_registry.models import AccessToken
from tests.helpers import query
from tests.live_session import TIMEOUT, authorize, me

pytestmark = pytest.mark.django_db(transaction=True)


def session_for(app, **options) -> OAuth2Session:
    return OAuth2Session(
        app.client_id, app.client_secret, redirect_uri=app.redirect_uri, timeout=TIMEOUT, **options
    )


@pytest.mark.parametrize("auth_method", ["client_secret_basic", "client_secret_post"])
def test_authorization_code_flow_refresh_and_revoke(live, browser, web_app, auth_method):
    oauth = session_for(
        web_app, token_endpoint_auth_method=auth_method, revocation_endpoint_auth_method=auth_method
    )
    url, state = oauth.create_authorization_url(f"{live}/oauth/authorize.php")
    location = authorize(browser, url, username="user")
    assert query(location)["state"] == [state]

    token = oauth.fetch_token(f"{live}/oauth/token.php", authorization_response=location, state=state)

    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 3600
    assert not token.is_expired()
    answer = oauth.get(f"{live}/uapi/@me")
    assert answer.status_code == 200, answer.text
    assert answer.json()["username"] == "user"

    refreshed = oauth.refresh_token(f"{live}/oauth/token.php")
    assert refreshed["access_token"] != token["access_token"]
    assert oauth.get(f"{live}/unifiedapi/@me").json()["username"] == "user"

    revoked = oauth.revoke_token(f"{live}/oauth/revoke", token=refreshed["access_token"])
    assert revoked.status_code == 200, revoked.text
    assert oauth.get(f"{live}/uapi/@me").status_code == 401


def test_revoked_refresh_token_cannot_refresh(live, browser, web_app):
    oauth = session_for(web_app)
    url, _state = oauth.create_authorization_url(f"{live}/oauth/authorize.php")
    token = oauth.fetch_token(f"{live}/oauth/token.php", authorization_response=authorize(browser, url))

    answer = oauth.revoke_token(
        f"{live}/oauth/revoke", token=token["refresh_token"], token_type_hint="refresh_token"
    )
    assert answer.status_code == 200, answer.text

    with pytest.raises(OAuthError) as refused:
        oauth.refresh_token(f"{live}/oauth/token.php", refresh_token=token["refresh_token"])
    assert refused.value.error == "invalid_grant"


def test_pkce_code_is_refused_with_a_wrong_verifier(live, browser, web_app):
    oauth = session_for(web_app, code_challenge_method="S256")
    verifier = generate_token(48)
    url, _state = oauth.create_authorization_url(f"{live}/oauth/authorize.php", code_verifier=verifier)
    assert query(url)["code_challenge_method"] == ["S256"]
    location = authorize(browser, url, username="organization")

    with pytest.raises(OAuthError) as refused:
        session_for(web_app).fetch_token(
            f"{live}/oauth/token.php", authorization_response=location, code_verifier=generate_token(48)
        )
    assert refused.value.error == "invalid_grant"
    assert not AccessToken.objects.exists()


def test_pkce_s256_flow_with_the_right_verifier(live, browser, web_app):
    oauth = session_for(web_app, code_challenge_method="S256")
    verifier = generate_token(48)
    url, _state = oauth.create_authorization_url(f"{live}/oauth/authorize.php", code_verifier=verifier)
    location = authorize(browser, url, username="organization")

    token = oauth.fetch_token(
        f"{live}/oauth/token.php", authorization_response=location, code_verifier=verifier
    )

    assert me(live, token["access_token"]).json()["username"] == "organization"


def test_client_credentials_for_a_trusted_app(live, trusted_app):
    oauth = OAuth2Session(trusted_app.client_id, trusted_app.client_secret, timeout=TIMEOUT)

    token = oauth.fetch_token(f"{live}/oauth/token.php", grant_type="client_credentials")

    assert token["expires_in"] == 3600
    assert "refresh_token" not in token
    answer = oauth.get(f"{live}/uapi/@me")
    assert answer.status_code == 200, answer.text
    assert answer.json()["username"] == "organization"


def test_client_credentials_refused_to_an_untrusted_app(live, web_app):
    oauth = session_for(web_app)

    with pytest.raises(OAuthError) as refused:
        oauth.fetch_token(f"{live}/oauth/token.php", grant_type="client_credentials")

    assert refused.value.error == "unauthorized_client"


def test_introspect_own_token_names_the_api_and_the_account(live, trusted_app):
    oauth = OAuth2Session(trusted_app.client_id, trusted_app.client_secret, timeout=TIMEOUT)
    token = oauth.fetch_token(f"{live}/oauth/token.php", grant_type="client_credentials")

    answer = oauth.introspect_token(f"{live}/oauth/introspect", token=token["access_token"])

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["active"] is True
    assert body["client_id"] == trusted_app.client_id
    assert body["username"] == "organization"
    assert body["api"] == "unifiedapi"
    assert body["account"]["username"] == "organization"
    assert body["exp"] > 0


def test_untrusted_app_cannot_introspect_another_apps_token(live, trusted_app, web_app):
    token = OAuth2Session(trusted_app.client_id, trusted_app.client_secret, timeout=TIMEOUT).fetch_token(
        f"{live}/oauth/token.php", grant_type="client_credentials"
    )

    answer = session_for(web_app).introspect_token(f"{live}/oauth/introspect", token=token["access_token"])

    assert answer.status_code == 200
    assert answer.json() == {"active": False}
