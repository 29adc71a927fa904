"""The developer playground through the plain test client (one thread, no server: a step is
served in-process by the endpoint's own view): the bad steps: no CSRF token, a missing or
wrong secret or code, an unknown step, a GET."""

from __future__ import annotations

import pytest
from django.test import Client

from apps_registry.models import AccessToken, Api
from tests.factories import AppFactory
from tests.playground.helpers import no_store, step

pytestmark = pytest.mark.django_db(transaction=True)


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
