"""Security headers on every HTML page; error pages that give nothing away; a wrong Host is a 400."""

import pytest
from django.contrib.auth.decorators import login_not_required
from django.test import Client, override_settings
from django.urls import include, path

pytestmark = pytest.mark.django_db

EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' https: data:",
    "connect-src": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
    "object-src": "'none'",
}


def csp(response) -> dict[str, str]:
    directives = (part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    return {name: value for name, *rest in directives if name for value in [rest[0] if rest else ""]}


def assert_security_headers(response, referrer_policy="same-origin"):
    policy = csp(response)
    for directive, value in EXPECTED_CSP.items():
        assert policy[directive] == value, (directive, policy)
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "form-action" not in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == referrer_policy
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_headers_on_the_pages_of_a_signed_out_visitor(client, demo):
    for url in ["/accounts/login/", "/admin/login/", "/no-such-page/"]:
        response = client.get(url)
        assert response["Content-Type"].startswith("text/html")
        assert_security_headers(response)


def test_headers_on_the_pages_of_a_signed_in_account(login, demo, demo_apps):
    client = login(demo["admin"])
    app = demo_apps["organization"]
    account = demo["organization"]
    urls = [
        f"/accounts/{account.pk}/",
        f"/accounts/{account.pk}/apps/?api=systemapi",
        f"/accounts/{account.pk}/apps/add/?api=systemapi",
        f"/apps/{app.pk}/",
        f"/accounts/{account.pk}/audit/",
        "/admin/",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_security_headers(response)


def test_headers_on_the_consent_and_oauth_error_pages(client, demo, demo_apps):
    app = demo_apps["organization"]
    consent = client.get(
        "/oauth/authorize.php",
        {"response_type": "code", "client_id": app.client_id, "redirect_uri": app.redirect_uri},
    )
    assert consent.status_code == 200
    assert_security_headers(consent)
    error = client.get("/oauth/register.php", {"name": "x"})
    assert error.status_code == 400
    assert_security_headers(error, referrer_policy="no-referrer")


# --- error pages (DEBUG is off in the test suite, as in production) ---------------------


@login_not_required
def boom(request):
    raise RuntimeError("SECRET-DETAIL in the exception message")


urlpatterns = [
    path("boom/", boom),
    path("", include("config.urls")),
]

GIVEAWAYS = ["Traceback", "SECRET-DETAIL", "SECRET_KEY", "DATABASES", "settings", "RuntimeError", "boom"]


def assert_gives_nothing_away(html: str):
    for giveaway in GIVEAWAYS:
        assert giveaway not in html, giveaway


def test_404_page_is_the_portals_and_shows_no_debug_details(login, demo):
    client = login(demo["organization"])
    response = client.get("/accounts/999999/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found (404)" in html
    assert "App registration portal" in html
    assert_gives_nothing_away(html)
    assert "accounts/999999" not in html  # Django's debug page would list the URL patterns tried


@pytest.mark.urls(__name__)
def test_a_view_that_raises_gives_the_500_page_and_no_traceback(db):
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Server error (500)" in html
    assert_gives_nothing_away(html)
    assert_security_headers(response)


def test_a_wrong_host_header_is_a_400(client, demo):
    response = client.get("/accounts/login/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Bad request (400)" in html
    assert "evil.example" not in html
    assert client.get("/accounts/login/").status_code == 200


@override_settings(ALLOWED_HOSTS=["portal.example.com"])
def test_only_the_configured_host_is_served(client, demo):
    assert client.get("/accounts/login/", HTTP_HOST="portal.example.com").status_code == 200
    for host in ["portal.example.com.evil.example", "evil.example", "127.0.0.1", "portal.example.com@evil"]:
        assert client.get("/accounts/login/", HTTP_HOST=host).status_code == 400, host
