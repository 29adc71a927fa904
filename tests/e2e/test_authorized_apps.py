"""design §8 through requests-oauthlib: the user authorizes once, the next authorization needs
no page, the account revokes the App's access on the portal, the App's token gets 401 and the
next authorization shows the consent page again."""

import pytest
from requests_oauthlib import OAuth2Session

from tests.helpers import REDIRECT, query
from tests.live_session import TIMEOUT, authorize, consent_form, me

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(session, live: str, username: str) -> None:
    page = session.get(f"{live}/accounts/login/", timeout=TIMEOUT)
    token = page.text.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    answer = session.post(
        f"{live}/accounts/login/",
        data={"csrfmiddlewaretoken": token, "username": username, "password": "demo"},
        headers={"Referer": f"{live}/accounts/login/"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert answer.status_code == 302, answer.text[:2000]


def test_consent_is_remembered_until_the_account_revokes_it(live, browser, web_app, demo):
    oauth = OAuth2Session(web_app.client_id, redirect_uri=web_app.redirect_uri)
    url, state = oauth.authorization_url(f"{live}/oauth/authorize.php")
    location = authorize(browser, url, username="user")
    token = oauth.fetch_token(
        f"{live}/oauth/token.php", authorization_response=location, client_secret=web_app.client_secret
    )
    assert oauth.get(f"{live}/uapi/@me", timeout=TIMEOUT).json()["username"] == "user"

    # The second time: no page, the code at once.
    again = OAuth2Session(web_app.client_id, redirect_uri=web_app.redirect_uri)
    url, state = again.authorization_url(f"{live}/oauth/authorize.php")
    answer = browser.get(url, allow_redirects=False, timeout=TIMEOUT)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith(REDIRECT + "?")
    assert query(answer.headers["Location"])["state"] == [state]
    second = again.fetch_token(
        f"{live}/oauth/token.php",
        authorization_response=answer.headers["Location"],
        client_secret=web_app.client_secret,
    )
    assert me(live, second["access_token"]).status_code == 200

    # The account revokes the App's access on the portal (a page and a POST, no JavaScript).
    sign_in(browser, live, "user")
    revoke = f"{live}/accounts/{demo['user'].pk}/authorized-apps/revoke/"
    confirm = browser.get(revoke, params={"app": web_app.pk}, timeout=TIMEOUT)
    assert "Revoke the access of “Web App”?" in confirm.text
    csrf = confirm.text.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    done = browser.post(
        revoke,
        data={"csrfmiddlewaretoken": csrf, "app": web_app.pk, "confirmed": "yes"},
        headers={"Referer": revoke},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert done.status_code == 302, done.text[:2000]

    for access_token in (token["access_token"], second["access_token"]):
        assert me(live, access_token).status_code == 401
    refused = browser.post(
        f"{live}/oauth/token.php",
        data={"grant_type": "refresh_token", "refresh_token": second["refresh_token"]},
        auth=(web_app.client_id, web_app.client_secret),
        timeout=TIMEOUT,
    )
    assert refused.json()["error"] == "invalid_grant"

    # The App must ask again: the consent page is back.
    url, _state = OAuth2Session(web_app.client_id, redirect_uri=web_app.redirect_uri).authorization_url(
        f"{live}/oauth/authorize.php"
    )
    assert consent_form(browser.get(url, allow_redirects=False, timeout=TIMEOUT)).buttons
