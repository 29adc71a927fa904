"""The developer playground through the plain test client (one thread, no server: a step is
served in-process by the endpoint's own view): an existing App: authorize.php, a code pasted
by hand, client_credentials."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from apps_registry.models import Api, AuditAction, AuditEvent
from playground.views import FLOWS
from tests.factories import AppFactory
from tests.playground.helpers import follow, step

pytestmark = pytest.mark.django_db(transaction=True)


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
