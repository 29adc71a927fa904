"""Regenerate and "Revoke all tokens" forget the consents remembered for the App (issue 27,
design §6): each account that allowed it is asked again at authorize.php, on every entry point
(portal, Django admin, command line). Revoking some tokens, disabling and enabling keep them:
enabling brings the App back as it was, its unexpired tokens working again."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from apps_registry.models import AccessToken, AppAuthorization, AuditAction, AuditEvent
from apps_registry.services import COMMAND_LINE, app_regenerate_secret, app_revoke_tokens, app_set_enabled
from apps_registry.views.audit import details_text
from tests.oauth.test_consent_remembered import AUTHORIZE, allow, exchange, params

pytestmark = pytest.mark.django_db


def asked_again(client, app) -> bool:
    """authorize.php shows its consent page (200) instead of answering with a code (302)."""
    status = client.get(AUTHORIZE, params(app)).status_code
    assert status in (200, 302)
    return status == 200


def test_regenerate_forgets_every_consent_to_the_app(client, web_app, demo):
    allow(client, web_app, demo["user"])
    allow(client, web_app, demo["user2"])
    allow(client, web_app, demo["organization"])
    assert not asked_again(client, web_app)

    app_regenerate_secret(actor=demo["organization"], app=web_app, origin=COMMAND_LINE)

    assert not AppAuthorization.objects.filter(app=web_app).exists()
    for account in ("user", "user2", "organization"):
        client.force_login(demo[account])
        assert asked_again(client, web_app)
    event = AuditEvent.objects.get(action=AuditAction.REGENERATE_SECRET)
    assert event.details["grants"] == 3
    assert "3 remembered consents" in details_text(event)


def test_revoke_all_tokens_forgets_every_consent_to_the_app(client, web_app, demo):
    code = allow(client, web_app, demo["user"])
    exchange(client, web_app, code)

    app_revoke_tokens(actor=demo["organization"], app=web_app, origin=COMMAND_LINE)

    assert asked_again(client, web_app)
    assert AuditEvent.objects.get(action=AuditAction.REVOKE_TOKENS).details["grants"] == 1


def test_revoking_some_tokens_keeps_the_consent(client, web_app, demo):
    exchange(client, web_app, allow(client, web_app, demo["user"]))
    token = AccessToken.objects.get(application=web_app)
    app_revoke_tokens(
        actor=demo["organization"], app=web_app, origin=COMMAND_LINE, access_token_ids=[token.pk]
    )

    assert not asked_again(client, web_app)


def test_disable_and_enable_keep_the_consent(client, web_app, demo):
    allow(client, web_app, demo["user"])
    app_set_enabled(actor=demo["organization"], app=web_app, enabled=False, origin=COMMAND_LINE)
    app_set_enabled(actor=demo["organization"], app=web_app, enabled=True, origin=COMMAND_LINE)

    assert not asked_again(client, web_app)


def test_the_portals_regenerate_and_revoke_all_forget_it_too(client, web_app, demo):
    allow(client, web_app, demo["user"])
    client.force_login(demo["organization"])
    page = client.get(reverse("apps_registry:regenerate_secret", args=[web_app.pk]))
    assert "every account that allowed the App is asked again" in page.content.decode()
    client.post(reverse("apps_registry:regenerate_secret", args=[web_app.pk]))
    assert not AppAuthorization.objects.exists()

    allow(client, web_app, demo["user"])
    client.force_login(demo["organization"])
    page = client.get(reverse("apps_registry:revoke_tokens", args=[web_app.pk]))
    assert "asked again" in page.content.decode()
    client.post(reverse("apps_registry:revoke_tokens", args=[web_app.pk]), {"confirmed": "yes"})
    assert not AppAuthorization.objects.exists()


def test_the_admins_regenerate_and_the_command_lines_remove_forget_it_too(client, web_app, demo):
    allow(client, web_app, demo["user"])
    client.force_login(demo["admin"])
    client.post(
        reverse("admin:apps_registry_app_changelist"),
        {"action": "regenerate_secrets", "_selected_action": [web_app.pk]},
    )
    assert not AppAuthorization.objects.exists()
    allow(client, web_app, demo["user"])
    call_command("app_secret", "add", "--", web_app.client_id, stdout=io.StringIO())
    assert AppAuthorization.objects.exists()  # adding a secret forgets nothing
