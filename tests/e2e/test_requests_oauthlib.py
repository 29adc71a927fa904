"""design §6 through requests-oauthlib (oauthlib's client side), as an App developer uses it."""

import pytest
import requests
from oauthlib.oauth2 import BackendApplicationClient
from oauthlib.oauth2.rfc6749.errors import OAuth2Error
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from apps_registry.models import AccessToken
from tests.helpers import REDIRECT, query
from tests.live_session import TIMEOUT, authorize, me

pytestmark = pytest.mark.django_db(transaction=True)


def start(live: str, app, **session_options) -> tuple[OAuth2Session, str, str]:
    """A requests-oauthlib session for `app`, and the URL and state it sends the user to."""
    oauth = OAuth2Session(app.client_id, redirect_uri=app.redirect_uri, **session_options)
    url, state = oauth.authorization_url(f"{live}/oauth/authorize.php")
    return oauth, url, state


def test_authorization_code_flow_gives_a_token_that_sees_the_user_refreshes_and_revokes(
    live, browser, web_app
):
    oauth, url, state = start(live, web_app)
    location = authorize(browser, url, username="user")
    assert location.startswith(REDIRECT + "?")
    assert query(location)["state"] == [state]

    # Default shape: the library sends the key and secret with HTTP Basic.
    token = oauth.fetch_token(
        f"{live}/oauth/token.php", authorization_response=location, client_secret=web_app.client_secret
    )
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 3600
    assert token["refresh_token"]

    answer = oauth.get(f"{live}/uapi/@me", timeout=TIMEOUT)
    assert answer.status_code == 200, answer.text
    assert answer.json()["username"] == "user"
    assert answer.json()["app"]["client_id"] == web_app.client_id

    refreshed = oauth.refresh_token(
        f"{live}/oauth/token.php", auth=HTTPBasicAuth(web_app.client_id, web_app.client_secret)
    )
    assert refreshed["access_token"] != token["access_token"]
    assert refreshed["refresh_token"] != token["refresh_token"]
    assert oauth.get(f"{live}/uapi/@me", timeout=TIMEOUT).json()["username"] == "user"

    revoked = requests.post(
        f"{live}/oauth/revoke",
        data={"token": refreshed["access_token"], "token_type_hint": "access_token"},
        auth=(web_app.client_id, web_app.client_secret),
        timeout=TIMEOUT,
    )
    assert revoked.status_code == 200, revoked.text
    gone = oauth.get(f"{live}/uapi/@me", timeout=TIMEOUT)
    assert gone.status_code == 401
    assert gone.json()["error"]["code"]


def test_code_exchange_with_key_and_secret_in_the_body(live, browser, web_app):
    oauth, url, _state = start(live, web_app)
    location = authorize(browser, url, username="organization")

    token = oauth.fetch_token(
        f"{live}/oauth/token.php",
        authorization_response=location,
        include_client_id=True,
        client_secret=web_app.client_secret,
    )

    assert me(live, token["access_token"]).json()["username"] == "organization"


def test_a_code_is_redeemed_once_only(live, browser, web_app):
    oauth, url, _state = start(live, web_app)
    location = authorize(browser, url)
    secret = web_app.client_secret
    token = oauth.fetch_token(
        f"{live}/oauth/token.php", authorization_response=location, client_secret=secret
    )

    with pytest.raises(OAuth2Error) as replay:
        OAuth2Session(web_app.client_id, redirect_uri=REDIRECT).fetch_token(
            f"{live}/oauth/token.php", authorization_response=location, client_secret=secret
        )

    assert replay.value.error == "invalid_grant"
    # The replay also revokes what the first exchange issued (design §6).
    assert me(live, token["access_token"]).status_code == 401


def test_user_who_denies_sends_the_app_access_denied(live, browser, web_app):
    oauth, url, state = start(live, web_app)
    location = authorize(browser, url, username=None, action="deny")

    assert query(location)["error"] == ["access_denied"]
    assert query(location)["state"] == [state]
    with pytest.raises(OAuth2Error) as denied:
        oauth.fetch_token(
            f"{live}/oauth/token.php", authorization_response=location, client_secret=web_app.client_secret
        )
    assert denied.value.error == "access_denied"
    assert not AccessToken.objects.exists()


def test_trusted_app_gets_a_token_with_client_credentials_acting_as_its_owner(live, trusted_app):
    oauth = OAuth2Session(client=BackendApplicationClient(client_id=trusted_app.client_id))

    token = oauth.fetch_token(
        f"{live}/oauth/token.php", client_id=trusted_app.client_id, client_secret=trusted_app.client_secret
    )

    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 3600
    assert "refresh_token" not in token
    answer = oauth.get(f"{live}/uapi/@me", timeout=TIMEOUT)
    assert answer.status_code == 200, answer.text
    assert answer.json()["username"] == "organization"


def test_untrusted_app_gets_unauthorized_client_for_client_credentials(live, web_app):
    oauth = OAuth2Session(client=BackendApplicationClient(client_id=web_app.client_id))

    with pytest.raises(OAuth2Error) as refused:
        oauth.fetch_token(
            f"{live}/oauth/token.php", client_id=web_app.client_id, client_secret=web_app.client_secret
        )

    assert refused.value.error == "unauthorized_client"
    assert refused.value.description
    assert not AccessToken.objects.exists()


@pytest.mark.parametrize("include_client_id", [None, True], ids=["basic", "body"])
def test_wrong_secret_is_invalid_client(live, trusted_app, include_client_id):
    oauth = OAuth2Session(client=BackendApplicationClient(client_id=trusted_app.client_id))

    with pytest.raises(OAuth2Error) as refused:
        oauth.fetch_token(
            f"{live}/oauth/token.php",
            client_id=trusted_app.client_id,
            client_secret="x" * 32,
            include_client_id=include_client_id,
        )

    assert refused.value.error == "invalid_client"
    assert refused.value.status_code == 401


def test_pkce_s256_round_trip(live, browser, web_app):
    oauth, url, _state = start(live, web_app, pkce="S256")
    assert query(url)["code_challenge_method"] == ["S256"]
    location = authorize(browser, url)

    token = oauth.fetch_token(
        f"{live}/oauth/token.php", authorization_response=location, client_secret=web_app.client_secret
    )

    assert me(live, token["access_token"]).json()["username"] == "user"


@pytest.mark.parametrize("verifier", ["w" * 43, None], ids=["wrong-verifier", "no-verifier"])
def test_pkce_code_needs_the_right_verifier(live, browser, web_app, verifier):
    _oauth, url, _state = start(live, web_app, pkce="S256")
    location = authorize(browser, url)
    # A session that did not start the flow, so it holds no verifier of its own.
    thief = OAuth2Session(web_app.client_id, redirect_uri=web_app.redirect_uri)
    extra = {"code_verifier": verifier} if verifier else {}

    with pytest.raises(OAuth2Error) as refused:
        thief.fetch_token(
            f"{live}/oauth/token.php",
            authorization_response=location,
            client_secret=web_app.client_secret,
            **extra,
        )

    assert refused.value.error in {"invalid_grant", "invalid_request"}
    assert not AccessToken.objects.exists()
