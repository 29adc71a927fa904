"""External sign-in, in process: providers from the environment, the pages with and without
providers, allauth's own pages out of reach, linking and unlinking one's own identities only.
The round trips through a real provider are in tests/e2e/test_external_login.py."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from allauth.core import context
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialAccount
from django.core.exceptions import ImproperlyConfigured
from django.urls import NoReverseMatch, reverse

from config import environment
from tests.external_idp import PROVIDER_ID, PROVIDER_NAME, provider_settings
from tests.factories import AppFactory

REDIRECT = "https://app.example/callback"
REGISTER = {
    "name": "Some App",
    "homepage": "https://some.example/",
    "email": "dev@some.example",
    "redirect_uri": REDIRECT,
    "state": "xyz",
}


@pytest.fixture
def configured(settings):
    settings.SOCIALACCOUNT_PROVIDERS = provider_settings("https://idp.example")


def identity(account, uid="subject-1", provider=PROVIDER_ID) -> SocialAccount:
    return SocialAccount.objects.create(user=account, provider=provider, uid=uid, extra_data={})


def authorize_url(app) -> str:
    params = {"response_type": "code", "client_id": app.client_id, "redirect_uri": app.redirect_uri}
    return f"/oauth/authorize.php?{urlencode(params)}"


# --- Providers from the environment --------------------------------------------------------


def test_no_provider_in_the_environment_configures_none(monkeypatch):
    for name in ("GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET", "OIDC_PROVIDERS"):
        monkeypatch.delenv(name, raising=False)
    providers = environment.external_providers()
    assert "APPS" not in providers["google"]
    assert providers["openid_connect"]["APPS"] == []


def test_google_and_oidc_providers_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("GOOGLE_CLIENT_ID", "g-id")
    monkeypatch.setenv("GOOGLE_CLIENT_SECRET", "g-secret")
    monkeypatch.setenv("OIDC_PROVIDERS", "corp,other-idp")
    monkeypatch.setenv("OIDC_CORP_NAME", "Corp SSO")
    monkeypatch.setenv("OIDC_CORP_SERVER_URL", "https://sso.corp.example/realms/main")
    monkeypatch.setenv("OIDC_CORP_CLIENT_ID", "portal")
    monkeypatch.setenv("OIDC_CORP_SECRET", "s3cret")
    monkeypatch.setenv("OIDC_OTHER_IDP_SERVER_URL", "https://other.example/.well-known/openid-configuration")
    monkeypatch.setenv("OIDC_OTHER_IDP_CLIENT_ID", "portal-2")
    providers = environment.external_providers()

    assert providers["google"]["APPS"] == [{"client_id": "g-id", "secret": "g-secret", "key": ""}]
    corp, other = providers["openid_connect"]["APPS"]
    assert corp == {
        "provider_id": "corp",
        "name": "Corp SSO",
        "client_id": "portal",
        "secret": "s3cret",
        "settings": {"server_url": "https://sso.corp.example/realms/main"},
    }
    assert other["provider_id"] == "other-idp"
    assert other["name"] == "other-idp"
    assert other["settings"]["server_url"].endswith("/.well-known/openid-configuration")


@pytest.mark.parametrize("missing", ["OIDC_CORP_SERVER_URL", "OIDC_CORP_CLIENT_ID"])
def test_oidc_provider_without_its_url_or_client_id_stops_the_start(monkeypatch, missing):
    monkeypatch.setenv("OIDC_PROVIDERS", "corp")
    monkeypatch.setenv("OIDC_CORP_SERVER_URL", "https://sso.corp.example")
    monkeypatch.setenv("OIDC_CORP_CLIENT_ID", "portal")
    monkeypatch.delenv(missing)
    with pytest.raises(ImproperlyConfigured, match=missing):
        environment.external_providers()


@pytest.mark.parametrize("provider_id", ["google", "openid_connect", "bad/id"])
def test_oidc_provider_id_that_would_clash_or_break_urls_stops_the_start(monkeypatch, provider_id):
    monkeypatch.setenv("OIDC_PROVIDERS", provider_id)
    prefix = f"OIDC_{provider_id.upper().replace('-', '_')}_"
    monkeypatch.setenv(prefix + "SERVER_URL", "https://sso.corp.example")
    monkeypatch.setenv(prefix + "CLIENT_ID", "portal")
    with pytest.raises(ImproperlyConfigured, match=provider_id):
        environment.external_providers()


# --- None configured: the pages as before ---------------------------------------------------


def test_without_providers_no_page_shows_an_external_sign_in(client, demo):
    app = AppFactory(owner=demo["organization"], redirect_uri=REDIRECT)
    pages = [
        client.get("/accounts/login/"),
        client.get("/oauth/register.php", REGISTER),
        client.get(authorize_url(app)),
    ]
    client.force_login(demo["organization"])
    pages.append(client.get(f"/accounts/{demo['organization'].pk}/"))
    for page in pages:
        assert page.status_code == 200
        html = page.content.decode()
        assert "/accounts/external/" not in html
        assert "Sign in with" not in html
        assert "Sign-in identities" not in html


# --- Configured: buttons on the login page and both consent pages ---------------------------


def test_login_page_has_a_button_per_provider_posting_with_csrf(client, demo, configured):
    page = client.get("/accounts/login/?next=/accounts/me/")
    html = page.content.decode()
    assert f"Sign in with {PROVIDER_NAME}" in html
    assert f'action="/accounts/external/oidc/{PROVIDER_ID}/login/"' in html
    assert html.count('name="csrfmiddlewaretoken"') == 2
    assert 'name="next" value="/accounts/me/"' in html


def test_register_php_page_offers_the_provider_and_comes_back_to_itself(client, demo, configured):
    page = client.post("/oauth/register.php", REGISTER)  # an App's page may POST it
    html = page.content.decode()
    assert f"Sign in with {PROVIDER_NAME}" in html
    assert f'form="external-login-{PROVIDER_ID}"' in html
    back = page.context["external_return"]
    assert back.startswith("/oauth/register/resume/?request=")

    resumed = client.get(back)
    assert resumed.status_code == 200
    assert resumed.context["app"] == page.context["app"]
    assert resumed.context["blob"] == page.context["blob"]
    assert resumed["Cache-Control"].count("no-store") == 1


def test_authorize_php_page_offers_the_provider_and_comes_back_to_itself(client, demo, configured):
    app = AppFactory(owner=demo["organization"], redirect_uri=REDIRECT)
    page = client.get(authorize_url(app))
    assert f"Sign in with {PROVIDER_NAME}" in page.content.decode()
    back = page.context["external_return"]
    assert back.startswith("/oauth/authorize/resume/?request=")
    client.force_login(demo["user"])
    resumed = client.get(back)
    assert resumed.status_code == 200
    assert resumed.context["app"] == app
    allowed = client.post("/oauth/authorize.php", {"request": resumed.context["blob"], "action": "allow"})
    assert allowed.status_code == 302
    assert "code=" in allowed["Location"]


def test_signed_in_consent_page_shows_no_sign_in_buttons(client, demo, configured):
    client.force_login(demo["organization"])
    html = client.get("/oauth/register.php", REGISTER).content.decode()
    assert "Sign in with" not in html
    assert "/accounts/external/" not in html


@pytest.mark.parametrize("path", ["/oauth/register/resume/", "/oauth/authorize/resume/"])
def test_resume_with_an_edited_or_missing_request_is_an_error_page(client, demo, configured, path):
    page = client.get("/oauth/register.php", REGISTER)
    for blob in ["", "nonsense", page.context["blob"] + "x"]:
        response = client.get(path, {"request": blob})
        assert response.status_code == 400
        assert b"cannot be used" in response.content


def test_register_resume_blob_does_not_open_the_authorize_page(client, demo, configured):
    blob = client.get("/oauth/register.php", REGISTER).context["blob"]
    assert client.get("/oauth/authorize/resume/", {"request": blob}).status_code == 400


# --- allauth's own pages are not a way in ---------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/signup/",
        "/accounts/external/signup/",
        "/accounts/3rdparty/",
        "/accounts/3rdparty/signup/",
        "/accounts/password/reset/",
        "/accounts/email/",
        "/accounts/external/",
        "/accounts/external/google/login/token/",
    ],
)
def test_allauth_account_pages_are_not_mounted(client, demo, configured, path):
    assert client.get(path).status_code in {302, 404}  # anonymous: the login page, or nothing
    client.force_login(demo["user"])
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("name", ["account_signup", "account_login", "account_reset_password"])
def test_allauth_account_url_names_do_not_resolve(name):
    with pytest.raises(NoReverseMatch):
        reverse(name)


def test_starting_a_sign_in_needs_post(client, demo, configured):
    assert client.get(f"/accounts/external/oidc/{PROVIDER_ID}/login/").status_code == 405


def test_unconfigured_provider_is_not_found(client, demo, configured):
    assert client.post("/accounts/external/oidc/elsewhere/login/").status_code == 404
    assert client.post("/accounts/external/google/login/").status_code == 404


def test_starting_a_sign_in_without_the_csrf_token_is_refused(demo, configured):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(f"/accounts/external/oidc/{PROVIDER_ID}/login/", {"process": "login"})
    assert response.status_code == 403


def test_sign_in_state_keeps_a_nonce_and_no_next_or_origin_on_another_host(rf, db, configured):
    request = rf.post(
        f"/accounts/external/oidc/{PROVIDER_ID}/login/",
        {"next": "https://evil.example/", "origin": "//evil.example/x"},
    )
    with context.request_context(request):
        provider = get_adapter().get_provider(request, PROVIDER_ID)
        kwargs = provider.get_redirect_from_request_kwargs(request)
    assert "next_url" not in kwargs
    assert kwargs["origin"] == "/accounts/login/"
    assert len(kwargs["nonce"]) >= 32
    assert kwargs["auth_params"]["nonce"] == kwargs["nonce"]


def test_sign_in_state_keeps_a_next_and_origin_on_this_site(rf, db, configured):
    back = "/oauth/register/resume/?request=abc"
    request = rf.post(f"/accounts/external/oidc/{PROVIDER_ID}/login/", {"next": back, "origin": back})
    with context.request_context(request):
        kwargs = get_adapter().get_provider(request, PROVIDER_ID).get_redirect_from_request_kwargs(request)
    assert kwargs["next_url"] == back
    assert kwargs["origin"] == back


# --- Linking and unlinking: one's own account page only ------------------------------------


def test_own_account_page_lists_identities_and_link_buttons(client, demo, configured):
    organization = demo["organization"]
    linked = identity(organization, uid="org-sub")
    client.force_login(organization)
    html = client.get(f"/accounts/{organization.pk}/").content.decode()
    assert "Sign-in identities" in html
    assert "org-sub" in html
    assert f"Link {PROVIDER_NAME}" in html
    assert 'name="process" value="connect"' in html
    assert f"/accounts/{organization.pk}/identities/{linked.pk}/unlink/" in html


def test_another_accounts_page_shows_no_identities_even_to_its_parent(client, demo, configured):
    identity(demo["user"], uid="user-sub")
    client.force_login(demo["organization"])
    html = client.get(f"/accounts/{demo['user'].pk}/").content.decode()
    assert "Sign-in identities" not in html
    assert "user-sub" not in html
    assert "Link " not in html


def test_identities_stay_listed_for_unlinking_when_their_provider_is_gone(client, demo):
    linked = identity(demo["user"], uid="old-sub", provider="retired")
    client.force_login(demo["user"])
    html = client.get(f"/accounts/{demo['user'].pk}/").content.decode()
    assert "old-sub" in html
    assert f"/identities/{linked.pk}/unlink/" in html


def test_unlink_asks_first_then_removes_on_post(client, demo, configured):
    user = demo["user"]
    linked = identity(user)
    client.force_login(user)
    url = f"/accounts/{user.pk}/identities/{linked.pk}/unlink/"
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert f"Unlink the {PROVIDER_NAME} identity?" in confirm.content.decode()
    assert SocialAccount.objects.filter(pk=linked.pk).exists()
    assert client.post(url).status_code == 200  # no confirmation: asks again
    assert SocialAccount.objects.filter(pk=linked.pk).exists()

    done = client.post(url, {"confirmed": "yes"}, follow=True)
    assert done.redirect_chain[-1][0] == f"/accounts/{user.pk}/"
    assert "was unlinked" in done.content.decode()
    assert not SocialAccount.objects.filter(pk=linked.pk).exists()
    assert client.post(url, {"confirmed": "yes"}).status_code == 404


@pytest.mark.parametrize("acting", ["admin", "organization", "user2"])
def test_nobody_unlinks_someone_elses_identity(client, demo, acting):
    linked = identity(demo["user"])
    client.force_login(demo[acting])
    for url in [
        f"/accounts/{demo['user'].pk}/identities/{linked.pk}/unlink/",
        f"/accounts/{demo[acting].pk}/identities/{linked.pk}/unlink/",
    ]:
        assert client.get(url).status_code == 404
        assert client.post(url, {"confirmed": "yes"}).status_code == 404
    assert SocialAccount.objects.filter(pk=linked.pk).exists()


def test_unlink_needs_the_csrf_token(demo):
    from django.test import Client

    linked = identity(demo["user"])
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(demo["user"])
    url = f"/accounts/{demo['user'].pk}/identities/{linked.pk}/unlink/"
    assert strict.post(url, {"confirmed": "yes"}).status_code == 403
    assert SocialAccount.objects.filter(pk=linked.pk).exists()


def test_google_sign_in_sends_nonce_state_and_pkce_to_google(client, demo, settings):
    providers = provider_settings("https://idp.example")
    providers["google"] = {**providers["google"], "APPS": [{"client_id": "g-id", "secret": "g-s", "key": ""}]}
    settings.SOCIALACCOUNT_PROVIDERS = providers
    assert "Sign in with Google" in client.get("/accounts/login/").content.decode()

    response = client.post("/accounts/external/google/login/", {"process": "login", "next": "/accounts/me/"})
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("https://accounts.google.com/o/oauth2/v2/auth?")
    sent = parse_qs(urlsplit(location).query)
    assert sent["client_id"] == ["g-id"]
    assert set(sent["scope"][0].split()) == {"openid", "profile", "email"}
    assert sent["nonce"][0] and sent["state"][0]
    assert sent["code_challenge_method"] == ["S256"]
    assert sent["redirect_uri"] == ["http://testserver/accounts/external/google/login/callback/"]


@pytest.mark.parametrize("model", ["socialaccount", "socialapp", "socialtoken", "emailaddress"])
def test_allauth_models_are_not_in_the_admin(client, demo, model):
    client.force_login(demo["admin"])
    app = "account" if model == "emailaddress" else "socialaccount"
    assert client.get(f"/admin/{app}/{model}/").status_code == 404
