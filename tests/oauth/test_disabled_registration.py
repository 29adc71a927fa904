"""An App its owner disabled does not change under its registrant (issue 27, item 11): RFC 7592
PUT answers 403 and writes nothing (RFC 7592 2.2), GET still reads it, DELETE still removes it;
once the owner enables it again, PUT works as before. A metadata document's disabled App is not
fetched again meanwhile (tests/oauth/client_metadata/test_documents.py)."""

from __future__ import annotations

import pytest

from apps_registry.models import App, AuditAction, AuditEvent
from apps_registry.services import COMMAND_LINE, app_set_enabled
from tests.oauth.test_client_configuration import call, metadata, registered  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("public", [False, True], ids=["initial access token", "open registration"])
def test_put_on_an_app_its_owner_disabled_is_403_and_changes_nothing(client, registered, public):  # noqa: F811
    info, app = registered(public=public)
    app_set_enabled(actor=app.owner, app=app, enabled=False, origin=COMMAND_LINE)
    changes = metadata(client_id=info["client_id"], client_name="URGENT: verify your account")
    if public:
        changes |= {"token_endpoint_auth_method": "none", "redirect_uris": ["http://127.0.0.1:4000/cb"]}

    response = call(client, "put", info, changes)

    assert response.status_code == 403
    assert response.json()["error"] == "access_denied"
    assert "disabled by the account that owns it" in response.json()["error_description"]
    kept = App.objects.get(pk=app.pk)
    assert (kept.name, kept.enabled) == ("Calendar Sync", False)
    assert not AuditEvent.objects.filter(action=AuditAction.UPDATE).exists()

    assert call(client, "get", info).status_code == 200  # reading changes nothing
    app_set_enabled(actor=app.owner, app=kept, enabled=True, origin=COMMAND_LINE)
    assert call(client, "put", info, changes).status_code == 200
    assert App.objects.get(pk=app.pk).name == "URGENT: verify your account"


def test_delete_still_removes_a_disabled_app(client, registered):  # noqa: F811
    info, app = registered()
    app_set_enabled(actor=app.owner, app=app, enabled=False, origin=COMMAND_LINE)
    assert call(client, "delete", info).status_code == 204
    assert not App.objects.filter(pk=app.pk).exists()
