"""The endpoints programs call skip what only pages need (portal.speedups.page_middleware): no session
is read or written for them, even when a browser's cookie comes along, while every guard and
security header stays; pages keep their sessions; the cached Content-Security-Policy is
django-csp's own, and follows the settings."""

import pytest
from csp.utils import build_policy
from django.contrib.sessions.models import Session
from django.test import override_settings

from tests.helpers import TOKEN_URL, basic

pytestmark = pytest.mark.django_db


def signed_in(client, account):
    client.force_login(account)
    return client.cookies["sessionid"].value


def test_a_token_request_with_a_session_cookie_neither_reads_nor_touches_the_session(
    client, trusted_app, demo
):
    key = signed_in(client, demo["admin"])
    before = Session.objects.get(session_key=key).expire_date
    response = client.post(
        TOKEN_URL,
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(trusted_app.client_id, trusted_app.client_secret),
    )
    assert response.status_code == 200
    assert "sessionid" not in response.cookies
    assert "Cookie" not in response.get("Vary", "")
    assert Session.objects.get(session_key=key).expire_date == before
    for header in ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options"):
        assert response.has_header(header), header


def test_uapi_me_acts_for_the_tokens_account_never_for_the_signed_in_browser(client, trusted_app, demo):
    signed_in(client, demo["admin"])
    response = client.post(
        TOKEN_URL,
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(trusted_app.client_id, trusted_app.client_secret),
    )
    token = response.json()["access_token"]
    me = client.get("/uapi/@me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert me.json()["username"] == trusted_app.owner.username != demo["admin"].username
    # Without a token the signed-in browser is nobody here.
    assert client.get("/uapi/@me").status_code == 401


def test_pages_still_have_their_session(client, demo):
    signed_in(client, demo["admin"])
    response = client.get("/")
    assert response.status_code in (200, 302)
    assert response.wsgi_request.user == demo["admin"]
    assert "Cookie" in response.get("Vary", "")


def test_the_cached_policy_is_django_csps_own_and_follows_the_settings(client):
    response = client.get("/accounts/login/")
    assert response["Content-Security-Policy"] == build_policy()
    policy = {"DIRECTIVES": {"default-src": ["'none'"]}}
    with override_settings(CONTENT_SECURITY_POLICY=policy, CONTENT_SECURITY_POLICY_REPORT_ONLY=policy):
        response = client.get("/accounts/login/")
        assert response["Content-Security-Policy"] == "default-src 'none'"
        assert response["Content-Security-Policy-Report-Only"] == "default-src 'none'"
    assert client.get("/accounts/login/")["Content-Security-Policy"] == build_policy()
    assert "Content-Security-Policy-Report-Only" not in client.get("/accounts/login/")


def test_excluded_prefixes_still_go_without_the_header(client):
    policy = {"DIRECTIVES": {"default-src": ["'self'"]}, "EXCLUDE_URL_PREFIXES": ["/accounts/"]}
    with override_settings(CONTENT_SECURITY_POLICY=policy):
        assert "Content-Security-Policy" not in client.get("/accounts/login/")
        assert client.get("/healthz")["Content-Security-Policy"] == "default-src 'self'"


def test_a_view_that_needs_no_sign_in_never_loads_the_signed_in_user(client, demo, django_assert_num_queries):
    """The liveness probe, with a signed-in browser's cookie: the session is never read (no
    query, no `Vary: Cookie`), so a probe costs nothing of the sign-in."""
    signed_in(client, demo["admin"])
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert "Cookie" not in response.get("Vary", "")


def test_a_view_that_needs_no_sign_in_still_sees_who_signed_in_when_it_asks(client, demo):
    """The sign-in page (no sign-in needed) sends a signed-in account on, as before."""
    signed_in(client, demo["admin"])
    response = client.get("/accounts/login/")
    assert response.status_code == 302
    assert response.wsgi_request.user == demo["admin"]
    assert "Cookie" in response.get("Vary", "")


def test_a_page_that_needs_a_sign_in_still_sends_a_stranger_to_sign_in(client, demo):
    response = client.get(f"/accounts/{demo['admin'].pk}/apps/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
