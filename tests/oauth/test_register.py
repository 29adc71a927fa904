"""/oauth/register.php (design §5): the consent page, Register and Deny, and every error path."""

from urllib.parse import urlsplit

import pytest
from django.test import override_settings

from apps_registry.models import AccessToken, Api, App, AuditEvent, AuditSource
from tests.helpers import TOKEN_URL, query

pytestmark = pytest.mark.django_db

REGISTER = "/oauth/register.php"
CONSENT = "/oauth/register/consent/"

PARAMS = {
    "name": "Google Apps",
    "description": "Calendar sync",
    "homepage": "https://apps.example/",
    "image_uri": "https://apps.example/logo.png",
    "email": "dev@apps.example",
    "phone": "+1 (555) 010-9999",
    "redirect_uri": "https://apps.example/cb?tenant=7",
    "state": "xyz-123",
}


def start(client, method="get", **changes):
    params = {key: value for key, value in {**PARAMS, **changes}.items() if value is not None}
    return getattr(client, method)(REGISTER, params)


def decide(client, page, action="register", **fields):
    return client.post(CONSENT, {"request": page.context["blob"], "action": action, **fields})


@pytest.mark.parametrize("method", ["get", "post"])
def test_consent_page_shows_the_app_and_the_account(client, demo, method):
    client.force_login(demo["organization"])
    page = start(client, method)

    assert page.status_code == 200
    html = page.content.decode()
    for shown in ["Google Apps", "https://apps.example/", "https://apps.example/logo.png", "UnifiedAPI"]:
        assert shown in html
    assert 'id="consent-account">organization<' in html
    assert "Use another account" in html
    assert page["Cache-Control"].count("no-store") == 1
    # same-origin: with no-referrer, browsers send the page's own form with Origin: null.
    assert page["Referrer-Policy"] == "same-origin"
    assert page["X-Frame-Options"] == "DENY"
    assert not App.objects.exists()


def test_consent_page_asks_for_credentials_without_a_session(client, demo):
    page = start(client)
    assert page.status_code == 200
    assert 'name="password"' in page.content.decode()


@pytest.mark.parametrize("method", ["get", "post"])
def test_register_with_grant_access_redirects_with_credentials_code_and_every_parameter(client, demo, method):
    client.force_login(demo["organization"])
    page = start(client, method, extra="kept")
    response = decide(client, page, grant_access="on")

    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("https://apps.example/cb?tenant=7&")
    got = query(location)
    app = App.objects.get()
    assert app.owner == demo["organization"]
    assert app.api == Api.UNIFIEDAPI
    assert not app.trusted
    assert got["client_id"] == [app.client_id]
    assert got["client_secret"] == [app.client_secret]
    assert got["state"] == ["xyz-123"]
    assert got["extra"] == ["kept"]
    assert got["tenant"] == ["7"]
    for key in ["name", "description", "homepage", "image_uri", "email", "phone", "redirect_uri"]:
        assert got[key] == [PARAMS[key]]
    assert response["Cache-Control"].count("no-store") == 1
    assert response["Referrer-Policy"] == "no-referrer"
    event = AuditEvent.objects.get()
    assert event.source == AuditSource.REGISTER and event.app == app

    # The code is a normal authorization code for this user and App.
    client.logout()
    token = client.post(
        TOKEN_URL,
        {
            "grant_type": "authorization_code",
            "code": got["code"][0],
            "client_id": app.client_id,
            "client_secret": app.client_secret,
        },
    )
    assert token.status_code == 200, token.content
    assert AccessToken.objects.get().user == demo["organization"]


def test_register_without_grant_access_sends_no_code(client, demo):
    client.force_login(demo["user"])
    response = decide(client, start(client, api="systemapi"))
    got = query(response["Location"])
    assert "code" not in got
    assert App.objects.get().api == Api.SYSTEMAPI
    assert App.objects.get().owner == demo["user"]


def test_user_signs_in_on_the_consent_page(client, demo):
    page = start(client)
    response = decide(client, page, username="user", password="demo")
    assert response.status_code == 302
    assert App.objects.get().owner == demo["user"]


def test_wrong_password_on_the_consent_page_creates_nothing(client, demo):
    page = start(client)
    response = decide(client, page, username="user", password="wrong")
    assert response.status_code == 400
    assert "Please enter a correct username and password" in response.content.decode()
    assert not App.objects.exists()


def test_switch_account_signs_out_and_keeps_the_request(client, demo):
    client.force_login(demo["organization"])
    page = start(client)
    switched = decide(client, page, action="switch")
    assert switched.status_code == 200
    assert 'name="password"' in switched.content.decode()
    response = decide(client, switched, username="user", password="demo")
    assert App.objects.get().owner == demo["user"]
    assert response.status_code == 302


def test_deny_redirects_with_access_denied_and_state_and_creates_nothing(client, demo):
    client.force_login(demo["organization"])
    response = decide(client, start(client), action="deny")
    got = query(response["Location"])
    assert got["error"] == ["access_denied"]
    assert got["error_description"][0]
    assert got["state"] == ["xyz-123"]
    assert got["tenant"] == ["7"]
    assert "client_id" not in got
    assert not App.objects.exists()


def test_service_provider_asking_for_unifiedapi_is_refused_by_redirect(client, demo):
    client.force_login(demo["provider"])
    page = start(client)
    assert "Service Provider accounts cannot register UnifiedAPI Apps" in page.content.decode()
    got = query(decide(client, page)["Location"])
    assert got["error"] == ["access_denied"]
    assert "Service Provider" in got["error_description"][0]
    assert got["state"] == ["xyz-123"]
    assert not App.objects.exists()


def test_app_limit_reached_is_refused_by_redirect(client, demo):
    client.force_login(demo["organization"])
    page = start(client)
    with override_settings(APP_LIMIT_PER_ACCOUNT=0):
        response = decide(client, page, grant_access="on")
    got = query(response["Location"])
    assert got["error"] == ["access_denied"]
    assert "1000" not in got["error_description"][0] and "0 Apps" in got["error_description"][0]
    assert not App.objects.exists()


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"redirect_uri": None}, "redirect_uri"),
        ({"redirect_uri": "http://apps.example/cb"}, "redirect_uri"),
        ({"redirect_uri": "https://apps.example/cb#frag"}, "redirect_uri"),
        ({"redirect_uri": "not a url"}, "redirect_uri"),
        ({"name": None}, "name"),
        ({"homepage": None}, "homepage"),
        ({"homepage": "javascript:alert(1)"}, "homepage"),
        ({"email": None}, "email"),
        ({"email": "not-an-email"}, "email"),
        ({"api": "otherapi"}, "api"),
        ({"phone": "call me"}, "phone"),
        ({"name": "x" * 256}, "name"),
        ({"image_uri": "ftp://apps.example/logo.png"}, "image_uri"),
    ],
)
def test_invalid_parameters_get_an_error_page_and_no_redirect(client, demo, changes, named):
    client.force_login(demo["organization"])
    response = start(client, **changes)
    assert response.status_code == 400
    assert "Location" not in response
    assert f"{named}:" in response.content.decode()
    assert not App.objects.exists()


def test_duplicated_redirect_uri_is_an_error(client, demo):
    response = client.get(
        REGISTER
        + "?"
        + "&".join(
            [
                "name=A",
                "homepage=https://a.example/",
                "email=a@a.example",
                "redirect_uri=https://a.example/cb",
                "redirect_uri=https://evil.example/cb",
            ]
        )
    )
    assert response.status_code == 400
    assert "given more than once" in response.content.decode()


def test_tampered_request_is_refused_and_creates_nothing(client, demo):
    client.force_login(demo["organization"])
    page = start(client)
    blob = page.context["blob"]
    tampered = blob[:-3] + ("AAA" if blob[-3:] != "AAA" else "BBB")
    response = client.post(CONSENT, {"request": tampered, "action": "register"})
    assert response.status_code == 400
    assert "Location" not in response
    assert not App.objects.exists()


def test_replayed_consent_creates_no_second_app(client, demo):
    client.force_login(demo["organization"])
    page = start(client)
    assert decide(client, page).status_code == 302
    replay = decide(client, page)
    assert replay.status_code == 409
    assert App.objects.count() == 1


def test_consent_submit_needs_the_csrf_token(demo):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(demo["organization"])
    page = start(csrf_client)
    response = csrf_client.post(CONSENT, {"request": page.context["blob"], "action": "register"})
    assert response.status_code == 403
    assert not App.objects.exists()


def test_a_consent_page_sent_after_its_csrf_token_changed_gets_a_plain_explanation(demo):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    page = start(csrf_client)
    response = csrf_client.post(CONSENT, {"request": page.context["blob"], "action": "register"})
    assert response.status_code == 403
    assert b"This page has expired" in response.content
    assert response["Cache-Control"] == "no-store"


def test_the_app_may_post_to_register_php_from_its_own_site(demo):
    from django.test import Client

    cross_site = Client(enforce_csrf_checks=True)
    response = start(cross_site, "post")
    assert response.status_code == 200


def test_nothing_is_redirected_to_an_unregistered_uri_before_the_user_acts(client, demo):
    client.force_login(demo["organization"])
    response = start(client, redirect_uri="https://apps.example/cb", name="")
    assert response.status_code == 400
    assert urlsplit(response.get("Location", "")).netloc == ""


def test_a_consent_page_left_open_too_long_is_refused(client, demo, monkeypatch):
    from datetime import timedelta

    from oauth.views import _consent

    client.force_login(demo["organization"])
    page = start(client)
    monkeypatch.setattr(_consent, "CONSENT_MAX_AGE", timedelta(seconds=-1))
    response = decide(client, page)
    assert response.status_code == 400
    assert b"expired" in response.content
    assert not App.objects.exists()
