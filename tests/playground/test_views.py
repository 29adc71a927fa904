"""The developer playground: each page and step through the plain test client (one thread,
no server: a step is served in-process by the endpoint's own view), and the bad paths."""

from __future__ import annotations

import logging
import socket
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.http import HttpResponse
from django.test import Client

from apps_registry.models import AccessToken, Api, App, AuditAction, AuditEvent
from playground.client import MAX_RESPONSE_BYTES, response_text
from playground.views import FLOW_MAX_AGE, FLOWS
from portal.logging import RedactSecretQueries
from tests.factories import AppFactory

pytestmark = pytest.mark.django_db(transaction=True)

REGISTRATION = {
    "name": "Playground App",
    "homepage": "https://playground.example/",
    "email": "dev@playground.example",
}


@pytest.fixture
def base(settings) -> str:
    """The portal's public address: a loopback URL (so register.php takes the callback with
    OAUTH_ALLOW_LOOPBACK_HTTP on) where nothing listens: the playground never connects to it."""
    settings.PORTAL_BASE_URL = "http://127.0.0.1:9"
    return settings.PORTAL_BASE_URL


@pytest.fixture
def callback(base) -> str:
    return f"{base}/playground/callback/"


@pytest.fixture
def org(demo, client):
    client.force_login(demo["organization"])
    return client


def no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def started_state(client) -> str:
    """The state of the flow the last playground page started."""
    flows = client.session[FLOWS]
    return max(flows.items(), key=lambda item: item[1]["started"])[0]


def register(client, callback: str, state: str, grant: bool = True) -> str:
    """Go through register.php and its consent page as the signed-in user; return the Location."""
    page = client.get("/oauth/register.php", {**REGISTRATION, "redirect_uri": callback, "state": state})
    assert page.status_code == 200, page.content
    data = {"request": page.context["blob"], "action": "register"}
    if grant:
        data["grant_access"] = "on"
    answer = client.post("/oauth/register/consent/", data)
    assert answer.status_code == 302, answer.content
    return answer["Location"]


def follow(client, location: str):
    parts = urlsplit(location)
    return client.get(parts.path, parse_qs(parts.query, keep_blank_values=True))


def step(client, carry: dict, name: str, *, meta: dict | None = None, **extra):
    """Press a step's button with `carry` (and `extra`) as the form; `meta`: the request's
    environ (Host, address, https)."""
    data = {key: value for key, value in carry.items() if value}
    return client.post("/playground/step/", {**data, **extra, "step": name}, **(meta or {}))


# --- The start page ----------------------------------------------------------------------


def test_start_page_prefills_register_php_with_the_playground_callback_and_a_fresh_state(org, callback):
    response = org.get("/playground/")
    assert response.status_code == 200
    assert no_store(response)
    html = response.content.decode()
    assert f'value="{callback}"' in html
    assert 'action="' + callback.replace("/playground/callback/", "/oauth/register.php") + '"' in html
    state = started_state(org)
    assert f'value="{state}"' in html
    assert "callback-problem" not in html


def test_start_page_shows_the_same_request_as_a_link_that_works(org, callback):
    response = org.get("/playground/")
    link = response.context["register_link"]
    sent = parse_qs(urlsplit(link).query)
    assert sent["redirect_uri"] == [callback]
    assert sent["state"] == [started_state(org)]
    assert sent["name"] == ["Playground App"]
    consent = org.get(urlsplit(link).path, sent)
    assert consent.status_code == 200
    assert consent.context["app"]["redirect_uri"] == callback


def test_start_page_is_for_signed_in_users_only(client, demo):
    response = client.get("/playground/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_start_page_warns_when_the_callback_would_be_refused(org, settings):
    settings.PORTAL_BASE_URL = "http://portal.example"
    response = org.get("/playground/")
    assert "plain HTTP" in response.context["callback_problem"]


def test_service_provider_is_offered_systemapi(client, demo, base):
    client.force_login(demo["provider"])
    assert client.get("/playground/").context["api"] == Api.SYSTEMAPI


def test_playground_is_linked_from_home_app_list_and_app_page(org, demo_apps):
    account = org.get("/", follow=True)
    assert b'href="/playground/"' in account.content
    pk = demo_apps["organization"].owner_id
    assert b'href="/playground/"' in org.get(f"/accounts/{pk}/apps/").content
    app = demo_apps["organization"]
    assert f'href="/playground/apps/{app.pk}/"'.encode() in org.get(f"/apps/{app.pk}/").content


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


# --- An existing App: authorize.php, a code by hand, client_credentials ------------------


def test_authorize_an_existing_app_with_pkce_and_the_apps_revealed_secret(org, demo, callback):
    app = AppFactory(owner=demo["user"], api=Api.UNIFIEDAPI, redirect_uri=callback)
    page = org.get(f"/playground/apps/{app.pk}/")
    assert page.status_code == 200
    assert page.context["intercepted"] is True

    start = org.post(f"/playground/apps/{app.pk}/authorize/", {"pkce": "on"})
    assert start.status_code == 302
    sent = parse_qs(urlsplit(start["Location"]).query)
    assert urlsplit(start["Location"]).path == "/oauth/authorize.php"
    assert sent["code_challenge_method"] == ["S256"]
    assert sent["redirect_uri"] == [callback]
    consent = org.get(start["Location"])
    answer = org.post("/oauth/authorize.php", {"request": consent.context["blob"], "action": "allow"})
    assert answer.status_code == 302
    shown = follow(org, answer["Location"])
    assert shown.context["state_check"] == "match"
    carry = shown.context["carry"]
    assert carry["code_verifier"]
    assert "client_secret" not in carry
    assert shown.context["needs_secret"] is True
    assert app.client_secret not in shown.content.decode()

    exchanged = step(org, carry, "token", use_app_secret="on")
    assert exchanged.context["exchange"].status == 200, exchanged.context["exchange"].response_text
    assert "code_verifier=" in exchanged.context["exchange"].request_text
    assert AuditEvent.objects.filter(app=app, action=AuditAction.REVEAL_SECRET).count() == 1
    assert step(org, exchanged.context["carry"], "me").context["account"] == "organization"


def test_authorize_without_pkce_and_a_pasted_secret(org, demo, callback):
    app = AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, redirect_uri=callback)
    start = org.post(f"/playground/apps/{app.pk}/authorize/")
    assert "code_challenge" not in parse_qs(urlsplit(start["Location"]).query)
    consent = org.get(start["Location"])
    answer = org.post("/oauth/authorize.php", {"request": consent.context["blob"], "action": "allow"})
    carry = follow(org, answer["Location"]).context["carry"]
    exchanged = step(org, carry, "token", client_secret=app.client_secret)
    assert exchanged.context["exchange"].status == 200
    assert not AuditEvent.objects.filter(action=AuditAction.REVEAL_SECRET).exists()


def test_app_whose_redirect_is_elsewhere_explains_where_the_code_goes(org, demo, base):
    app = AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI)
    page = org.get(f"/playground/apps/{app.pk}/")
    assert page.context["intercepted"] is False
    assert b'id="not-intercepted"' in page.content
    start = org.post(f"/playground/apps/{app.pk}/authorize/")
    assert parse_qs(urlsplit(start["Location"]).query)["redirect_uri"] == [app.redirect_uri]


def test_code_pasted_by_hand_is_exchanged(org, demo, base):
    app = AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, redirect_uri="https://app.example/cb")
    params = {"response_type": "code", "client_id": app.client_id, "redirect_uri": app.redirect_uri}
    consent = org.get("/oauth/authorize.php", params)
    answer = org.post("/oauth/authorize.php", {"request": consent.context["blob"], "action": "allow"})
    code = parse_qs(urlsplit(answer["Location"]).query)["code"][0]
    carry = org.get(f"/playground/apps/{app.pk}/").context["carry"]
    exchanged = step(org, carry, "token", code=code, client_secret=app.client_secret)
    assert exchanged.context["exchange"].status == 200


def test_client_credentials_for_a_trusted_app(org, demo, base):
    app = AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, trusted=True)
    carry = org.get(f"/playground/apps/{app.pk}/").context["carry"]
    response = step(org, carry, "client_credentials", client_secret=app.client_secret)
    assert response.context["exchange"].status == 200
    assert "grant_type=client_credentials" in response.context["exchange"].request_text
    assert step(org, response.context["carry"], "me").context["account"] == "organization"


def test_client_credentials_for_an_untrusted_app_shows_the_refusal(org, demo, base):
    app = AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI)
    page = org.get(f"/playground/apps/{app.pk}/")
    assert b'id="cc-untrusted"' in page.content
    response = step(org, page.context["carry"], "client_credentials", client_secret=app.client_secret)
    assert response.context["exchange"].status == 400
    assert '"unauthorized_client"' in response.context["exchange"].response_text


def test_someone_elses_app_is_a_404_everywhere(org, demo, base):
    app = AppFactory(owner=demo["organization2"], api=Api.UNIFIEDAPI, trusted=True)
    assert org.get(f"/playground/apps/{app.pk}/").status_code == 404
    assert org.post(f"/playground/apps/{app.pk}/authorize/").status_code == 404
    carry = {"client_id": app.client_id, "app": str(app.pk)}
    assert step(org, carry, "client_credentials", use_app_secret="on").status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.REVEAL_SECRET).exists()
    assert FLOWS not in org.session


# --- Bad steps ---------------------------------------------------------------------------


def test_steps_and_authorize_need_the_csrf_token(demo, base):
    client = Client(enforce_csrf_checks=True)
    client.force_login(demo["organization"])
    app = AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, trusted=True)
    carry = {"client_id": app.client_id, "client_secret": app.client_secret}
    assert step(client, carry, "client_credentials").status_code == 403
    assert client.post(f"/playground/apps/{app.pk}/authorize/").status_code == 403
    assert not AccessToken.objects.exists()


def test_app_page_is_not_cached(org, demo, base):
    app = AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI)
    assert no_store(org.get(f"/playground/apps/{app.pk}/"))


def test_missing_secret_asks_for_it_again(org, demo, base):
    app = AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI)
    response = step(org, {"client_id": app.client_id, "app": str(app.pk), "code": "c"}, "token")
    assert response.status_code == 400
    assert response.context["needs_secret"] is True
    assert b'id="pg-secret"' in response.content


def test_wrong_code_shows_invalid_grant(org, demo, base):
    app = AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI)
    carry = {"client_id": app.client_id, "client_secret": app.client_secret}
    response = step(org, carry, "token", code="not-a-code")
    assert response.status_code == 200
    assert response.context["exchange"].status == 400
    assert '"invalid_grant"' in response.context["exchange"].response_text
    assert response.context["next_steps"] == []


def test_wrong_secret_shows_invalid_client(org, demo, base):
    app = AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, trusted=True)
    response = step(org, {"client_id": app.client_id, "client_secret": "wrong"}, "client_credentials")
    assert response.context["exchange"].status == 401
    assert not AccessToken.objects.exists()


@pytest.mark.parametrize(
    ("name", "carry", "problem"),
    [
        ("token", {"client_id": "k", "client_secret": "s"}, "There is no authorization code to exchange."),
        ("token", {"code": "c", "client_id": "k"}, "The App secret is missing"),
        ("refresh", {"client_id": "k", "client_secret": "s"}, "There is no refresh token."),
        ("me", {}, "There is no access token."),
        ("revoke", {"access_token": "t", "client_secret": "s"}, "The App ID/key is missing."),
    ],
)
def test_a_step_missing_what_it_needs_sends_nothing(org, base, name, carry, problem):
    response = step(org, carry, name)
    assert response.status_code == 400
    assert "exchange" not in response.context
    assert any(problem in line for line in response.context["problems"])


def test_unknown_step_is_refused(org, base):
    response = org.post("/playground/step/", {"step": "password"})
    assert response.status_code == 400
    assert b"Nothing was sent" in response.content


def test_step_is_post_only(org, base):
    assert org.get("/playground/step/").status_code == 405


@pytest.fixture
def no_connections(monkeypatch):
    """Any attempt to open a network connection from here on fails the test."""

    def refuse(*args, **kwargs):
        pytest.fail(f"a connection was attempted: {args}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


def test_a_host_header_with_any_port_makes_the_portal_connect_nowhere(org, demo, settings, no_connections):
    """The finding: with PORTAL_BASE_URL unset, `Host: localhost:<port>` passes ALLOWED_HOSTS
    and the step (with the App's revealed secret) went to that port. Now the step is served
    in-process: nothing listening there is reached, and the step still works."""
    settings.PORTAL_BASE_URL = ""
    app = AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, trusted=True)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.setblocking(False)
        port = listener.getsockname()[1]
        carry = {"client_id": app.client_id, "app": str(app.pk)}
        response = step(
            org, carry, "client_credentials", use_app_secret="on", meta={"HTTP_HOST": f"localhost:{port}"}
        )
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody knocked
    exchange = response.context["exchange"]
    assert exchange.status == 200, exchange.response_text
    assert response.context["carry"]["access_token"]
    assert AccessToken.objects.filter(application=app).count() == 1
    # The port is only displayed, as the address the user reached the portal at.
    assert f"Host: localhost:{port}" in exchange.request_text
    assert f"curl -sS -i http://localhost:{port}/oauth/token.php" in exchange.curl


def test_every_step_is_served_in_process(org, demo, base, no_connections):
    app = AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, trusted=True)
    carry = step(org, {"client_id": app.client_id, "client_secret": app.client_secret}, "client_credentials")
    carry = carry.context["carry"]
    for name, status in [("me", 200), ("me_query", 200), ("introspect", 200), ("revoke", 200), ("me", 401)]:
        assert step(org, carry, name).context["exchange"].status == status, name


def test_the_endpoint_gets_the_transport_of_the_page_so_plain_http_is_refused_as_for_an_app(org, demo, base):
    """The step's request comes over the transport the playground page came over: from a
    non-loopback address over plain HTTP the token endpoint refuses it (403), exactly as it
    refuses an App; over HTTPS it answers."""
    app = AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, trusted=True)
    carry = {"client_id": app.client_id, "client_secret": app.client_secret}
    plain = step(org, carry, "client_credentials", meta={"REMOTE_ADDR": "203.0.113.7"})
    assert plain.context["exchange"].status == 403
    assert "must be called over HTTPS" in plain.context["exchange"].response_text
    assert not AccessToken.objects.exists()
    secure = step(org, carry, "client_credentials", meta={"REMOTE_ADDR": "203.0.113.7", "secure": True})
    assert secure.context["exchange"].status == 200


def test_the_step_request_carries_no_cookie_and_no_session(org, demo, base):
    app = AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, trusted=True)
    carry = {"client_id": app.client_id, "client_secret": app.client_secret}
    exchange = step(org, carry, "client_credentials").context["exchange"]
    assert "Cookie" not in exchange.request_text
    assert "sessionid" not in exchange.response_text


def test_a_long_answer_is_cut():
    shown, body = response_text(HttpResponse(b"z" * (MAX_RESPONSE_BYTES + 1000), content_type="text/plain"))
    assert f"cut at {MAX_RESPONSE_BYTES} bytes" in shown
    assert shown.count("z") == MAX_RESPONSE_BYTES
    assert body == {}
    long_json = HttpResponse(b'{"a": "' + b"y" * MAX_RESPONSE_BYTES + b'"}', content_type="application/json")
    shown, body = response_text(long_json)
    assert body == {}
    assert "cut at" in shown


def test_the_access_log_keeps_no_callback_query():
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        ("GET /playground/callback/?client_secret=s3cret&code=c0de HTTP/1.1", "200", "512"),
        None,
    )
    assert RedactSecretQueries().filter(record)
    assert "s3cret" not in record.getMessage()
    assert "c0de" not in record.getMessage()
    assert "/playground/callback/?[redacted]" in record.getMessage()
