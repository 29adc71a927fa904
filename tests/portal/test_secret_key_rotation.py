"""SECRET_KEY rotation (docs/deployment.md): with the old key in SECRET_KEY_FALLBACKS, sessions
and open consent pages signed with it still work; once it is dropped they no longer do."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

NEW_KEY = "a-new-secret-key-for-the-rotation-test-0123456789-abcdefghijklmnop"


def test_sessions_survive_the_rotation_while_the_old_key_is_a_fallback(client, demo, settings):
    """A session used while the old key is a fallback is re-signed with the new key; one that
    waits until the old key is dropped is signed out."""
    client.force_login(demo["organization"])
    idle = Client()
    idle.force_login(demo["user"])
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = NEW_KEY
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert client.get("/accounts/me/")["Location"] == demo["organization"].get_absolute_url()

    settings.SECRET_KEY_FALLBACKS = []
    assert client.get("/accounts/me/")["Location"] == demo["organization"].get_absolute_url()
    assert idle.get("/accounts/me/")["Location"].startswith("/accounts/login/")


def test_an_open_consent_page_survives_the_rotation_while_the_old_key_is_a_fallback(
    client, demo_apps, settings
):
    app = demo_apps["organization"]
    params = {"response_type": "code", "client_id": app.client_id, "redirect_uri": app.redirect_uri}
    blob = client.get("/oauth/authorize.php", params).context["blob"]
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = NEW_KEY
    settings.SECRET_KEY_FALLBACKS = [old_key]
    fields = {"request": blob, "action": "allow", "username": "organization", "password": "demo"}
    assert client.post("/oauth/authorize.php", fields).status_code == 302

    settings.SECRET_KEY_FALLBACKS = []
    client.logout()
    refused = client.post("/oauth/authorize.php", fields)
    assert refused.status_code == 400
    assert "cannot be used" in refused.content.decode()
