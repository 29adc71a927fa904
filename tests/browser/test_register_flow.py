"""/oauth/register.php in a real browser (design §5): a fake App's page sends the user to the
portal, the user signs in on the consent page and registers the App, and the App's https
callback receives its key, secret and code."""

from html import escape
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from playwright.sync_api import expect

from apps_registry.models import App

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FAKE_APP = "https://fake-app.example"
CALLBACK = f"{FAKE_APP}/cb"


def registration(state: str) -> dict[str, str]:
    return {
        "name": "Fake App",
        "homepage": f"{FAKE_APP}/",
        "email": "dev@fake-app.example",
        "redirect_uri": CALLBACK,
        "state": state,
    }


@pytest.fixture
def fake_app(page, live_server):
    """Serve the fake App's pages from page.route; return the URLs its callback was called with."""
    register = f"{live_server.url}/oauth/register.php"
    params = registration(state="st-123")
    link = f"{register}?{urlencode(registration(state='st-456'))}"
    hidden = "".join(
        f'<input type="hidden" name="{escape(key)}" value="{escape(value)}">' for key, value in params.items()
    )
    start = (
        "<!doctype html><title>Fake App</title><h1>Fake App</h1>"
        f'<form method="post" action="{escape(register)}">{hidden}'
        "<button>Connect to VoipNow</button></form>"
        f'<a href="{escape(link)}">Connect with a link</a>'
    )
    calls: list[str] = []

    def serve_start(route):
        route.fulfill(status=200, content_type="text/html", body=start)

    def serve_callback(route):
        calls.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<!doctype html><h1>Fake App callback</h1>")

    page.route(f"{FAKE_APP}/start", serve_start)
    page.route(f"{CALLBACK}**", serve_callback)
    return calls


def test_user_registers_an_app_from_its_page_and_the_app_redeems_the_code(page, demo, live_server, fake_app):
    page.goto(f"{FAKE_APP}/start")
    page.get_by_role("button", name="Connect to VoipNow").click()

    expect(page.locator("#app-name")).to_have_text("Fake App")
    # The cross-site POST arrives without the portal's session: the user signs in on the page.
    page.get_by_label("Username").fill("organization")
    page.get_by_label("Password").fill("demo")
    page.get_by_label("Grant access").check()
    page.get_by_role("button", name="Register").click()

    expect(page.get_by_role("heading", name="Fake App callback")).to_be_visible()
    assert len(fake_app) == 1
    received = parse_qs(urlsplit(fake_app[0]).query)
    assert received["state"] == ["st-123"]
    assert received["name"] == ["Fake App"]
    client_id, secret, code = received["client_id"][0], received["client_secret"][0], received["code"][0]

    app = App.objects.get(client_id=client_id)
    assert app.owner == demo["organization"]
    assert app.client_secret == secret
    assert app.redirect_uri == CALLBACK

    token = requests.post(
        f"{live_server.url}/oauth/token.php",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK},
        auth=(client_id, secret),
        timeout=10,
    )
    assert token.status_code == 200, token.text
    me = requests.get(
        f"{live_server.url}/uapi/@me",
        headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        timeout=10,
    )
    assert me.json()["username"] == "organization"


def test_user_who_denies_is_sent_back_with_access_denied_and_nothing_is_created(page, demo, fake_app):
    page.goto(f"{FAKE_APP}/start")
    page.get_by_role("link", name="Connect with a link").click()

    expect(page.locator("#app-name")).to_have_text("Fake App")
    page.get_by_role("button", name="Deny").click()

    expect(page.get_by_role("heading", name="Fake App callback")).to_be_visible()
    received = parse_qs(urlsplit(fake_app[0]).query)
    assert received["error"] == ["access_denied"]
    assert received["state"] == ["st-456"]
    assert "client_id" not in received
    assert not App.objects.exists()
