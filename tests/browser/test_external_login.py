"""Signing in with an external OpenID Connect provider in Chromium: the owner links an
identity from their account page, signs out, and registers an App through register.php
signing in with that identity instead of a password (a real provider, oidc-provider-mock, on
loopback; the App's https pages are served by page.route)."""

from html import escape
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount
from playwright.sync_api import expect

from apps_registry.models import App
from tests import external_idp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

_idp_server, idp = external_idp._idp_server, external_idp.idp

FAKE_APP = "https://idp-fake-app.example"
CALLBACK = f"{FAKE_APP}/cb"


@pytest.fixture
def fake_app(page, live_server):
    """The App's page (a form POSTing to register.php) and its callback, which records calls."""
    params = {
        "name": "IdP Fake App",
        "homepage": f"{FAKE_APP}/",
        "email": "dev@idp-fake-app.example",
        "redirect_uri": CALLBACK,
        "state": "st-idp",
    }
    hidden = "".join(
        f'<input type="hidden" name="{escape(key)}" value="{escape(value)}">' for key, value in params.items()
    )
    start = (
        "<!doctype html><title>IdP Fake App</title>"
        f'<form method="post" action="{escape(live_server.url)}/oauth/register.php">{hidden}'
        "<button>Connect to VoipNow</button></form>"
    )
    calls: list[str] = []

    def serve_callback(route):
        calls.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<!doctype html><h1>Fake App callback</h1>")

    def serve_start(route):
        route.fulfill(status=200, content_type="text/html", body=start)

    page.route(f"{FAKE_APP}/start", serve_start)
    page.route(f"{CALLBACK}**", serve_callback)
    # The provider's pages link a stylesheet on a CDN; there is no Internet here.
    page.route("https://cdn.jsdelivr.net/**", lambda route: route.abort())
    return calls


def authorize_at_idp(page, idp, sub: str) -> None:
    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()
    assert page.url.startswith(idp.url)
    page.get_by_placeholder("sub").fill(sub)
    page.get_by_role("button", name="Authorize").click()


def test_owner_links_an_identity_then_registers_an_app_signing_in_with_it(page, demo, idp, fake_app):
    organization = demo["organization"]
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("organization")
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Sign in", exact=True).click()

    page.get_by_role("button", name=f"Link {idp.name}").click()
    authorize_at_idp(page, idp, "org-owner@idp")
    identities = page.locator("#external-identities")
    expect(identities).to_contain_text("org-owner@idp")
    expect(page.get_by_role("alert")).to_contain_text(f"Your {idp.name} identity is now linked")
    assert SocialAccount.objects.get().user == organization
    page.get_by_role("button", name="Sign out").click()

    page.goto(f"{FAKE_APP}/start")
    page.get_by_role("button", name="Connect to VoipNow").click()
    expect(page.locator("#app-name")).to_have_text("IdP Fake App")
    page.get_by_role("button", name=f"Sign in with {idp.name}").click()
    authorize_at_idp(page, idp, "org-owner@idp")

    # Back on the same consent page, signed in, without a password typed.
    expect(page.locator("#consent-account")).to_have_text("organization")
    expect(page.locator("#app-name")).to_have_text("IdP Fake App")
    page.get_by_label("Grant access").check()
    page.get_by_role("button", name="Register").click()

    expect(page.get_by_role("heading", name="Fake App callback")).to_be_visible()
    assert len(fake_app) == 1
    received = parse_qs(urlsplit(fake_app[0]).query)
    assert received["state"] == ["st-idp"]
    assert received["code"][0]
    app = App.objects.get(client_id=received["client_id"][0])
    assert app.owner == organization
    assert app.client_secret == received["client_secret"][0]


def test_unlinked_identity_is_refused_on_the_consent_page(page, demo, idp, fake_app):
    page.goto(f"{FAKE_APP}/start")
    page.get_by_role("button", name="Connect to VoipNow").click()
    page.get_by_role("button", name=f"Sign in with {idp.name}").click()
    authorize_at_idp(page, idp, "stranger@idp")

    expect(page.get_by_role("alert")).to_contain_text(f"This {idp.name} identity is not linked")
    expect(page.locator("#app-name")).to_have_text("IdP Fake App")
    expect(page.get_by_label("Username")).to_be_visible()
    assert not App.objects.exists()
