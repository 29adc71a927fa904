"""The developer playground through the plain test client (one thread, no server: a step is
served in-process by the endpoint's own view): the start page."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from apps_registry.models import Api
from tests.playground.helpers import no_store, started_state

pytestmark = pytest.mark.django_db(transaction=True)


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
