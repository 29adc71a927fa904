"""/oauth/register.php end to end over HTTP (design §5): the App sends the browser, the user acts
on the consent page, the App receives its key, secret and code and redeems the code."""

from urllib.parse import urlencode, urlsplit

import pytest
import requests
from requests_oauthlib import OAuth2Session

from apps_registry.models import App
from tests.helpers import query, query_pairs
from tests.live_session import TIMEOUT, consent_form, me, submit

pytestmark = pytest.mark.django_db(transaction=True)

CALLBACK = "https://app.example/cb?tenant=7"


def registration(**overrides: str) -> dict[str, str]:
    """What an App sends, an unknown parameter included (it must come back untouched)."""
    params = {
        "name": "Fake CRM",
        "description": "Syncs contacts",
        "homepage": "https://app.example/",
        "email": "dev@app.example",
        "phone": "+1 555 0100",
        "redirect_uri": CALLBACK,
        "api": "unifiedapi",
        "state": "s t/a&t=e",
        "lang": "en",
    }
    return {**params, **overrides}


def sign_in(session: requests.Session, live: str, username: str) -> None:
    page = session.get(f"{live}/accounts/login/", timeout=TIMEOUT)
    token = session.cookies["csrftoken"]
    data = {"username": username, "password": "demo", "csrfmiddlewaretoken": token}
    answer = session.post(page.url, data=data, allow_redirects=False, timeout=TIMEOUT)
    assert answer.status_code == 302, answer.text[:2000]


def assert_carries_everything(location: str, sent: dict[str, str]) -> dict[str, str]:
    """The redirect goes to the registered URL, keeps its own query first, then every parameter
    as received, then client_id, client_secret and (maybe) code. Returns those last ones."""
    parts = urlsplit(location)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "app.example", "/cb")
    pairs = query_pairs(location)
    assert pairs[0] == ("tenant", "7")
    for pair in sent.items():
        assert pair in pairs, (pair, pairs)
    ours = {key: value for key, value in pairs if key in {"client_id", "client_secret", "code"}}
    assert [key for key, _ in pairs].count("client_id") == 1
    assert [key for key, _ in pairs].count("state") == 1
    return ours


def test_register_by_get_signing_in_on_the_consent_page_then_redeem_the_code(live, browser, demo):
    sent = registration()
    page = browser.get(f"{live}/oauth/register.php?{urlencode(sent)}", timeout=TIMEOUT)
    form = consent_form(page)
    assert "Fake CRM" in page.text
    assert {"username", "password", "grant_access"} <= set(form.inputs)

    answer = submit(browser, form, "register", username="organization", password="demo", grant_access="on")

    assert answer.status_code == 302, answer.text[:2000]
    assert "no-store" in answer.headers["Cache-Control"]
    ours = assert_carries_everything(answer.headers["Location"], sent)
    app = App.objects.get(client_id=ours["client_id"])
    assert app.owner == demo["organization"]
    assert app.client_secret == ours["client_secret"]
    assert (app.name, app.api, app.redirect_uri, app.trusted) == ("Fake CRM", "unifiedapi", CALLBACK, False)

    # The App redeems the code as any OAuth client would, sending the redirect_uri it registered.
    oauth = OAuth2Session(ours["client_id"], redirect_uri=CALLBACK)
    token = oauth.fetch_token(
        f"{live}/oauth/token.php", code=ours["code"], client_secret=ours["client_secret"]
    )
    assert oauth.get(f"{live}/uapi/@me", timeout=TIMEOUT).json()["username"] == "organization"
    assert token["refresh_token"]


def test_register_by_post_with_the_current_session_then_redeem_the_code(live, browser, demo):
    sign_in(browser, live, "user")
    sent = registration(state="42")
    page = browser.post(f"{live}/oauth/register.php", data=sent, timeout=TIMEOUT)
    form = consent_form(page)
    assert "password" not in form.inputs
    assert ("action", "switch") in form.buttons

    answer = submit(browser, form, "register", grant_access="on")

    assert answer.status_code == 302, answer.text[:2000]
    ours = assert_carries_everything(answer.headers["Location"], sent)
    assert App.objects.get(client_id=ours["client_id"]).owner == demo["user"]
    # A PHP client redeeming the code with the bare fields, and no redirect_uri.
    redeemed = requests.post(
        f"{live}/oauth/token.php",
        data={
            "grant_type": "authorization_code",
            "code": ours["code"],
            "client_id": ours["client_id"],
            "client_secret": ours["client_secret"],
        },
        timeout=TIMEOUT,
    )
    assert redeemed.status_code == 200, redeemed.text
    assert me(live, redeemed.json()["access_token"]).json()["username"] == "user"


def test_register_without_grant_access_gives_key_and_secret_but_no_code(live, browser, demo):
    sent = registration()
    form = consent_form(browser.get(f"{live}/oauth/register.php", params=sent, timeout=TIMEOUT))

    answer = submit(browser, form, "register", username="organization", password="demo")

    assert answer.status_code == 302, answer.text[:2000]
    ours = assert_carries_everything(answer.headers["Location"], sent)
    assert set(ours) == {"client_id", "client_secret"}
    assert App.objects.filter(client_id=ours["client_id"], owner=demo["organization"]).exists()


def test_deny_redirects_with_access_denied_and_the_state_and_creates_nothing(live, browser, demo):
    form = consent_form(browser.get(f"{live}/oauth/register.php", params=registration(), timeout=TIMEOUT))

    answer = submit(browser, form, "deny")

    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith("https://app.example/cb?tenant=7&")
    assert query(location)["error"] == ["access_denied"]
    assert query(location)["error_description"][0]
    assert query(location)["state"] == ["s t/a&t=e"]
    assert "client_secret" not in query(location)
    assert not App.objects.exists()


def test_service_provider_asking_for_unifiedapi_is_sent_back_with_access_denied(live, browser, demo):
    form = consent_form(browser.get(f"{live}/oauth/register.php", params=registration(), timeout=TIMEOUT))

    answer = submit(browser, form, "register", username="provider", password="demo", grant_access="on")

    assert answer.status_code == 302, answer.text[:2000]
    assert query(answer.headers["Location"])["error"] == ["access_denied"]
    assert query(answer.headers["Location"])["state"] == ["s t/a&t=e"]
    assert not App.objects.exists()


@pytest.mark.parametrize(
    "redirect_uri",
    ["http://app.example/cb", "", "https://app.example/cb#frag"],
    ids=["http", "missing", "fragment"],
)
def test_bad_redirect_uri_gets_an_error_page_and_no_redirect(live, browser, demo, redirect_uri):
    params = registration(redirect_uri=redirect_uri)

    page = browser.get(f"{live}/oauth/register.php", params=params, allow_redirects=False, timeout=TIMEOUT)

    assert page.status_code == 400
    assert "Location" not in page.headers
    assert "redirect_uri" in page.text
    assert not App.objects.exists()


def test_a_consent_page_registers_once_only(live, browser, demo):
    """A double click, or the Back button and Register again: one App, and the second answer
    says why. (Signed in first: signing in on the page rotates the CSRF token it carries.)"""
    sign_in(browser, live, "organization")
    form = consent_form(browser.get(f"{live}/oauth/register.php", params=registration(), timeout=TIMEOUT))
    first = submit(browser, form, "register")
    assert first.status_code == 302

    again = submit(browser, form, "register")

    assert again.status_code == 409
    assert App.objects.count() == 1


def test_wrong_password_on_the_consent_page_creates_nothing(live, browser, demo):
    form = consent_form(browser.get(f"{live}/oauth/register.php", params=registration(), timeout=TIMEOUT))

    answer = submit(browser, form, "register", username="organization", password="wrong", grant_access="on")

    assert answer.status_code == 400
    assert "Please enter a correct username and password" in answer.text
    assert not App.objects.exists()
