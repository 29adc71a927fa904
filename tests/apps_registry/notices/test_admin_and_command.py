"""design §3: the e-mail notices of App changes. The Django admin's actions, change form and
delete page, and the command line, send the same notices."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from apps_registry.models import App, AuditAction
from tests.apps_registry.notices.helpers import (
    APP_EMAIL,
    OWNER_EMAIL,
    TITLES,
    app_for,
    body_lines,
    text,
    to_owner,
)
from tests.helpers import delivered, secrets_inline

# --- through the Django admin and the command line -------------------------------------------

ADMIN_ACTIONS = {
    AuditAction.REGENERATE_SECRET: "regenerate_secrets",
    AuditAction.DISABLE: "disable_selected",
    AuditAction.ENABLE: "enable_selected",
    AuditAction.REMOVE: "remove_selected",
}


@pytest.mark.parametrize("action", list(ADMIN_ACTIONS))
def test_each_admin_action_sends_the_notice(action, demo, client, mailoutbox):
    app = app_for(action, demo)
    secret = app.client_secret
    client.force_login(demo["admin"])
    with delivered():
        response = client.post(
            reverse("admin:apps_registry_app_changelist"),
            {"action": ADMIN_ACTIONS[action], "_selected_action": [app.pk]},
        )
    assert response.status_code == 302
    assert sorted(message.to[0] for message in mailoutbox) == sorted([APP_EMAIL, OWNER_EMAIL])
    for message in mailoutbox:
        assert message.subject == f"{TITLES[action]}: Calendar Sync"
        assert body_lines(message)["Through"] == "Django admin"
        assert secret not in text(message)
    [owners] = to_owner(mailoutbox)
    assert body_lines(owners)["Done by"] == "admin"


def test_the_admins_change_form_and_delete_page_send_their_notices(app, demo, client, mailoutbox):
    client.force_login(demo["admin"])
    form = {
        "name": app.name,
        "description": "",
        "homepage": app.homepage,
        "image_uri": "",
        "email": app.email,
        "phone": "",
        "redirect_uri": app.redirect_uri,
        "enabled": "",
    } | secrets_inline(app)
    with delivered():
        assert client.post(reverse("admin:apps_registry_app_change", args=[app.pk]), form).status_code == 302
    assert [m.subject for m in mailoutbox] == ["App disabled: Calendar Sync"] * 2
    with delivered():
        response = client.post(reverse("admin:apps_registry_app_delete", args=[app.pk]), {"post": "yes"})
    assert response.status_code == 302 and not App.objects.exists()
    assert [m.subject for m in mailoutbox[2:]] == ["App removed: Calendar Sync"] * 2


def test_the_command_line_sends_the_notice(demo, mailoutbox):
    """seed_demo adds each account's demo Apps and disables one, through the services."""
    with delivered():
        call_command("seed_demo", "--force", "--password", "demo", stdout=io.StringIO())
    disabled = App.objects.filter(enabled=False).select_related("owner")
    assert disabled  # the demo has a disabled App per account
    # To each owner's address only: nobody confirmed the demo Apps' admin e-mails (design §3).
    assert sorted((m.subject, m.to[0]) for m in mailoutbox) == sorted(
        (f"App disabled: {app.name}", app.owner.email) for app in disabled
    )
    lines = body_lines(mailoutbox[0])
    assert (lines["Through"], lines["From address"]) == ("Command line", "none recorded")
