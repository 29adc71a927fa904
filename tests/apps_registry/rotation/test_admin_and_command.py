"""Rotation without downtime (issue 16): two secrets at once, each token remembering its
secret, removing one revokes exactly its tokens. Through the Django admin and the
`app_secret` command."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from apps_registry.exceptions import LastSecret
from apps_registry.models import App, AppSecret, AuditAction, AuditEvent
from tests.apps_registry.rotation.helpers import rotating, token
from tests.factories import AppFactory
from tests.helpers import text

# --- the admin and the command line ---------------------------------------------------------


def test_admin_action_adds_a_second_secret_through_the_service(client, demo, trusted_app):
    full = AppFactory(owner=trusted_app.owner)
    rotating(full, demo["admin"])
    client.force_login(demo["admin"])

    response = client.post(
        reverse("admin:apps_registry_app_changelist"),
        {"action": "add_secrets", "_selected_action": [trusted_app.pk, full.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert AppSecret.objects.live().filter(app=trusted_app).count() == 2
    assert AppSecret.objects.live().filter(app=full).count() == 2
    event = AuditEvent.objects.get(action=AuditAction.ADD_SECRET, app=trusted_app)
    assert event.source == "admin"
    assert any("two secrets already" in str(message) for message in response.context["messages"])


def change_form(app: App, remove: int | None = None) -> dict:
    """The admin's change form of `app` as its page sends it, Remove ticked on secret `remove`."""
    secrets = list(app.secrets.live().order_by("created", "pk"))
    data = {
        "name": app.name,
        "description": app.description,
        "homepage": app.homepage,
        "image_uri": app.image_uri,
        "email": app.email,
        "phone": app.phone,
        "redirect_uri": app.redirect_uri,
        "trusted": "on" if app.trusted else "",
        "enabled": "on" if app.enabled else "",
        "secrets-TOTAL_FORMS": str(len(secrets)),
        "secrets-INITIAL_FORMS": str(len(secrets)),
        "secrets-MIN_NUM_FORMS": "0",
        "secrets-MAX_NUM_FORMS": "0",
    }
    for n, secret in enumerate(secrets):
        data |= {f"secrets-{n}-id": str(secret.pk), f"secrets-{n}-app": str(app.pk)}
        if secret.pk == remove:
            data[f"secrets-{n}-DELETE"] = "on"
    return data


def test_admin_removes_a_secret_ticked_in_the_inline_and_refuses_the_last(client, demo, trusted_app):
    app, old, new = rotating(trusted_app, demo["admin"])
    first, second = app.live_secrets
    client.force_login(demo["admin"])
    url = reverse("admin:apps_registry_app_change", args=[app.pk])
    page = text(client.get(url))
    assert f"…{old[-4:]}" in page and f"…{new[-4:]}" in page and old not in page and new not in page

    removed = client.post(url, change_form(app, remove=first.pk))

    assert removed.status_code == 302
    assert list(AppSecret.objects.live().filter(app=app)) == [second]
    event = AuditEvent.objects.get(action=AuditAction.REMOVE_SECRET)
    assert (event.source, event.details["secret"]) == ("admin", first.pk)

    refused = client.post(url, change_form(app, remove=second.pk), follow=True)

    assert refused.status_code == 200
    assert LastSecret().messages[0] in text(refused)
    assert list(AppSecret.objects.live().filter(app=app)) == [second]


def test_command_lists_adds_and_removes_secrets(trusted_app, client):
    app = trusted_app
    old = app.client_secret
    out = io.StringIO()

    call_command("app_secret", "add", "--", app.client_id, stdout=out)
    added = json.loads(out.getvalue())
    listed = io.StringIO()
    call_command("app_secret", "list", "--", app.client_id, stdout=listed)

    rows = listed.getvalue().strip().splitlines()
    assert len(rows) == 2 and f"…{old[-4:]}" in rows[0] and "(before rotation)" in rows[0]
    assert f"…{added['client_secret'][-4:]}" in rows[1] and app.owner.username in rows[1]
    assert old not in listed.getvalue() and added["client_secret"] not in listed.getvalue()
    token(client, app, added["client_secret"])

    first = app.live_secrets[0].pk
    removed = io.StringIO()
    call_command("app_secret", "remove", "--secret-id", str(first), "--", app.client_id, stdout=removed)
    assert f"Removed secret {first}" in removed.getvalue()
    assert [
        event.source for event in AuditEvent.objects.filter(action__in=["add_secret", "remove_secret"])
    ] == [
        "cli",
        "cli",
    ]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        # An App ID/key may begin with "-": after "--", as the command's help says.
        (["remove", "--secret-id", "{first}", "--", "{key}"], "last_secret"),
        (["remove", "--secret-id", "2147483647", "--", "{key}"], "secret_not_found"),
        (["remove", "--", "{key}"], "secret_id_required"),
        (["add", "nope"], "app_not_found"),
    ],
)
def test_command_refusals_say_why_and_write_nothing(args, code, trusted_app):
    values = {"key": trusted_app.client_id, "first": trusted_app.live_secrets[0].pk}
    with pytest.raises(CommandError, match=code):
        call_command("app_secret", *[arg.format(**values) for arg in args], stdout=io.StringIO())
    assert AppSecret.objects.live().filter(app=trusted_app).count() == 1
    assert not AuditEvent.objects.exists()
