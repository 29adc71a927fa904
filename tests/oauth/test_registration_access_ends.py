"""Regenerate and a secret's removal end the App's RFC 7592 registration access token (issue
27, design §6.1): whoever holds the old one read the new secret with GET
/oauth/register/<client_id>. Ended, not replaced: the token answers 401 to every method, the
audit row says so, and the portal's confirmation says it first."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps_registry.models import App, AppSecret, AuditAction, AuditEvent
from apps_registry.selectors import registration_access_live
from apps_registry.services import COMMAND_LINE, app_add_secret, app_regenerate_secret, app_remove_secret
from apps_registry.views.audit import details_text
from tests.oauth.test_client_configuration import call, metadata, registered  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def assert_ended(client, info: dict, app: App) -> None:
    for method, body in (("get", None), ("put", metadata(client_id=info["client_id"])), ("delete", None)):
        response = call(client, method, info, body)
        assert response.status_code == 401, (method, response.content)
        assert app.client_secret not in response.content.decode()
    assert App.objects.filter(pk=app.pk).exists() and not registration_access_live(app)


def test_regenerate_ends_the_registration_access_token(client, registered, demo):  # noqa: F811
    info, app = registered()
    assert call(client, "get", info).status_code == 200

    app_regenerate_secret(actor=demo["user"], app=app, origin=COMMAND_LINE)

    assert_ended(client, info, App.objects.get(pk=app.pk))
    event = AuditEvent.objects.get(action=AuditAction.REGENERATE_SECRET)
    assert event.details["registration_access_token"] == "revoked"
    assert "registration access token: revoked" in details_text(event)


def test_removing_a_secret_ends_it_and_adding_one_does_not(client, registered, demo):  # noqa: F811
    info, app = registered()
    app, _ = app_add_secret(actor=demo["user"], app=app, origin=COMMAND_LINE)
    assert call(client, "get", info).status_code == 200  # adding ends nothing

    old = AppSecret.objects.live().filter(app=app).order_by("created", "pk").first()
    app_remove_secret(actor=demo["user"], app=app, secret_id=old.pk, origin=COMMAND_LINE)

    assert_ended(client, info, App.objects.get(pk=app.pk))
    assert AuditEvent.objects.get(action=AuditAction.REMOVE_SECRET).details["registration_access_token"] == (
        "revoked"
    )


def test_the_portal_says_so_before_and_ends_it(client, registered, demo):  # noqa: F811
    info, app = registered()
    client.force_login(demo["user"])
    page = client.get(reverse("apps_registry:regenerate_secret", args=[app.pk])).content.decode()
    assert "RFC 7592 registration access token stops working too" in page

    client.post(reverse("apps_registry:regenerate_secret", args=[app.pk]))

    assert_ended(client, info, App.objects.get(pk=app.pk))
    page = client.get(reverse("apps_registry:regenerate_secret", args=[app.pk])).content.decode()
    assert "registration access token" not in page  # nothing left to end


def test_an_app_that_did_not_register_itself_is_regenerated_as_before(demo):
    from tests.factories import AppFactory

    app = AppFactory(owner=demo["user"])
    app_regenerate_secret(actor=demo["user"], app=app, origin=COMMAND_LINE)
    assert (
        "registration_access_token"
        not in AuditEvent.objects.get(action=AuditAction.REGENERATE_SECRET).details
    )
