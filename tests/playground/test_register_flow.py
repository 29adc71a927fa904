"""The developer playground through the plain test client (one thread, no server: a step is
served in-process by the endpoint's own view): register.php to the callback then every step,
and the bad paths at the callback."""

from __future__ import annotations

import time

import pytest

from apps_registry.models import AccessToken, App
from playground.views import FLOW_MAX_AGE, FLOWS
from tests.playground.helpers import REGISTRATION, follow, no_store, register, started_state, step

pytestmark = pytest.mark.django_db(transaction=True)


# --- register.php to the callback, then every step ---------------------------------------


def test_register_then_every_step_through_the_real_endpoints(org, demo, callback):
    org.get("/playground/")
    state = started_state(org)
    location = register(org, callback, state)
    assert location.startswith(callback)

    page = follow(org, location)
    assert page.status_code == 200
    assert no_store(page)
    # Links and forms on it never send the callback's query (secret, code) as Referer.
    assert page["Referrer-Policy"] == "strict-origin"
    assert page.context["state_check"] == "match"
    received = dict(page.context["received"])
    app = App.objects.get(client_id=received["client_id"])
    assert app.owner == demo["organization"]
    assert received["client_secret"] == app.client_secret
    assert received["state"] == state
    assert received["name"] == "Playground App"
    assert page.context["next_steps"] == [("token", "Exchange the code at /oauth/token.php")]
    # The flow is over: nothing of it stays in the session.
    assert FLOWS not in org.session

    exchanged = step(org, page.context["carry"], "token")
    assert exchanged.status_code == 200
    assert no_store(exchanged)
    exchange = exchanged.context["exchange"]
    assert exchange.status == 200, exchange.response_text
    assert exchange.request_text.startswith("POST /oauth/token.php HTTP/1.1")
    assert "grant_type=authorization_code" in exchange.request_text
    assert exchange.curl.startswith("curl ")
    assert "--data-urlencode grant_type=authorization_code" in exchange.curl
    carry = exchanged.context["carry"]
    assert AccessToken.objects.filter(application=app, user=demo["organization"]).count() == 1
    assert carry["code"] == ""
    assert {name for name, _ in exchanged.context["next_steps"]} == {
        "refresh",
        "me",
        "me_query",
        "introspect",
        "revoke",
    }

    me = step(org, carry, "me")
    assert me.context["exchange"].status == 200
    assert me.context["account"] == "organization"
    assert f"Authorization: Bearer {carry['access_token']}" in me.context["exchange"].request_text
    assert "-H 'Authorization: Bearer " in me.context["exchange"].curl

    by_query = step(org, carry, "me_query")
    assert by_query.context["account"] == "organization"
    assert "GET /uapi/@me?accessRequestToken=" in by_query.context["exchange"].request_text

    introspected = step(org, carry, "introspect")
    assert introspected.context["active"] is True

    refreshed = step(org, carry, "refresh")
    assert refreshed.context["exchange"].status == 200
    new = refreshed.context["carry"]
    assert new["access_token"] != carry["access_token"]
    assert step(org, new, "me").context["account"] == "organization"

    revoked = step(org, new, "revoke")
    assert revoked.context["exchange"].status == 200
    after = step(org, revoked.context["carry"], "me")
    assert after.context["exchange"].status == 401
    assert after.context["account"] is None
    assert '"invalid_token"' in after.context["exchange"].response_text
    assert step(org, revoked.context["carry"], "introspect").context["active"] is False
    # Nothing of the flow, no secret and no token, is left in the session: only the sign-in.
    assert set(org.session.keys()) == {"_auth_user_id", "_auth_user_backend", "_auth_user_hash"}


def test_register_with_post_works_the_same(org, callback):
    org.get("/playground/")
    state = started_state(org)
    page = org.post("/oauth/register.php", {**REGISTRATION, "redirect_uri": callback, "state": state})
    assert page.status_code == 200
    consent = {"request": page.context["blob"], "action": "register", "grant_access": "on"}
    answer = org.post("/oauth/register/consent/", consent)
    assert follow(org, answer["Location"]).context["state_check"] == "match"


def test_registration_without_grant_access_has_no_code_and_offers_authorize(org, callback):
    org.get("/playground/")
    page = follow(org, register(org, callback, started_state(org), grant=False))
    assert page.context["state_check"] == "match"
    assert page.context["next_steps"] == []
    html = page.content.decode()
    assert 'id="no-code"' in html
    assert f"/playground/apps/{page.context['app'].pk}/" in html


# --- Bad paths at the callback -----------------------------------------------------------


def test_callback_with_a_state_nobody_sent_says_so_and_offers_no_exchange(org, callback):
    org.get("/playground/")
    location = register(org, callback, "forged-state")
    page = follow(org, location)
    assert page.context["state_check"] == "mismatch"
    assert page.context["next_steps"] == []
    assert b"state does not match" in page.content


def test_callback_with_no_state(org, base):
    page = org.get("/playground/callback/", {"code": "abc"})
    assert page.context["state_check"] == "missing"
    assert page.context["next_steps"] == []


def test_callback_of_an_expired_flow(org, callback):
    org.get("/playground/")
    state = started_state(org)
    session = org.session
    session[FLOWS][state]["started"] = time.time() - FLOW_MAX_AGE - 1
    session.save()
    page = follow(org, register(org, callback, state))
    assert page.context["state_check"] == "expired"
    assert page.context["next_steps"] == []
    assert FLOWS not in org.session


def test_a_state_is_good_once(org, callback):
    org.get("/playground/")
    location = register(org, callback, started_state(org))
    assert follow(org, location).context["state_check"] == "match"
    assert follow(org, location).context["state_check"] == "mismatch"


def test_error_callback_shows_error_and_description(org, callback):
    org.get("/playground/")
    state = started_state(org)
    page = org.get(
        "/playground/callback/",
        {"error": "access_denied", "error_description": "The user denied the registration.", "state": state},
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "access_denied" in html
    assert "The user denied the registration." in html
    assert page.context["state_check"] == "match"
    assert page.context["next_steps"] == []


def test_deny_on_register_php_reaches_the_callback_with_access_denied(org, callback):
    org.get("/playground/")
    state = started_state(org)
    page = org.get("/oauth/register.php", {**REGISTRATION, "redirect_uri": callback, "state": state})
    answer = org.post("/oauth/register/consent/", {"request": page.context["blob"], "action": "deny"})
    shown = follow(org, answer["Location"])
    assert shown.context["error"] == "access_denied"
    assert not App.objects.exists()


def test_parameters_are_escaped_on_the_callback_page(org, base):
    page = org.get("/playground/callback/", {"name": "<script>alert(1)</script>"})
    assert b"<script>alert(1)" not in page.content
    assert b"&lt;script&gt;alert(1)" in page.content
