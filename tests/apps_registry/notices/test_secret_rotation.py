"""design §3: the e-mail notices of App changes. The wording of every notice, adding and
removing a secret included, and the notices of a secret added or removed through every entry
point, never with a secret in them."""

import io
from dataclasses import asdict

from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from apps_registry import notices
from apps_registry.models import AppSecret
from apps_registry.notices import send_letters
from tests.apps_registry.notices.helpers import APP_EMAIL, OWNER_EMAIL, body_lines, text
from tests.helpers import delivered, secrets_inline

# --- the actions of secret rotation -------------------------------------------------------------


def test_every_notice_is_worded_including_adding_and_removing_a_secret():
    """The two secret-rotation actions are keyed by the values their AuditAction members take;
    each wording says what happened to one App and to several (a bulk action's digest)."""
    assert set(notices.NOTICES) == {
        "add_secret",
        "remove_secret",
        "regenerate_secret",
        "disable",
        "enable",
        "remove",
    }
    for action in ("add_secret", "remove_secret"):
        notice = notices.Notice(
            action=action,
            app_name="Calendar Sync",
            app_client_id="K" * 32,
            app_url="https://portal.example.com/apps/7/",
            account_name="Demo User",
            account_username="user",
            actor_username="organization",
            source="Portal",
            ip_address="192.0.2.1",
            when=timezone.now().isoformat(),
        )
        letter = {"kind": "notices", "to": APP_EMAIL, "notices": [asdict(notice)]}
        assert send_letters.call(letters=[letter])["sent"] == 1
    messages = mail.outbox
    assert [m.subject for m in messages] == ["Secret added: Calendar Sync", "Secret removed: Calendar Sync"]
    for message, action in zip(messages, ("add_secret", "remove_secret"), strict=True):
        assert message.body.startswith(notices.NOTICES[action].what)
        assert body_lines(message)["The App's page"] == "https://portal.example.com/apps/7/"
    assert all(wording.what and wording.what_many for wording in notices.NOTICES.values())


# --- rotation: a secret added or removed, through every entry point ---------------------------


def _secret_notices(mailoutbox) -> list[tuple[str, str]]:
    return sorted((message.subject, message.to[0]) for message in mailoutbox)


def _assert_no_secret(mailoutbox, *secrets: str) -> None:
    for message in mailoutbox:
        for value in secrets:
            assert value not in text(message)


def test_adding_and_removing_a_secret_in_the_portal_send_their_notices(app, demo, client, mailoutbox):
    first = app.client_secret
    client.force_login(demo["organization"])
    with delivered():
        assert client.post(reverse("apps_registry:add_secret", args=[app.pk])).status_code in (200, 302)
    assert _secret_notices(mailoutbox) == [
        ("Secret added: Calendar Sync", APP_EMAIL),
        ("Secret added: Calendar Sync", OWNER_EMAIL),
    ]
    old, new = AppSecret.objects.live().filter(app=app).order_by("created", "pk")
    with delivered():
        response = client.post(reverse("apps_registry:remove_secret", args=[app.pk, old.pk]))
    assert response.status_code in (200, 302)
    assert _secret_notices(mailoutbox[2:]) == [
        ("Secret removed: Calendar Sync", APP_EMAIL),
        ("Secret removed: Calendar Sync", OWNER_EMAIL),
    ]
    assert body_lines(mailoutbox[2])["Through"] == "Portal"
    _assert_no_secret(mailoutbox, first, new.secret)


def test_adding_a_secret_in_the_admin_and_removing_it_on_the_change_form_send_their_notices(
    app, demo, client, mailoutbox
):
    client.force_login(demo["admin"])
    changelist = reverse("admin:apps_registry_app_changelist")
    with delivered():
        client.post(changelist, {"action": "add_secrets", "_selected_action": [app.pk]})
    assert [m.subject for m in mailoutbox] == ["Secret added: Calendar Sync"] * 2
    old = AppSecret.objects.live().filter(app=app).order_by("created", "pk").first()
    form = {
        "name": app.name,
        "description": "",
        "homepage": app.homepage,
        "image_uri": "",
        "email": app.email,
        "phone": "",
        "redirect_uri": app.redirect_uri,
        "enabled": "on",
    } | secrets_inline(app, remove=old.pk)
    with delivered():
        assert client.post(reverse("admin:apps_registry_app_change", args=[app.pk]), form).status_code == 302
    assert [m.subject for m in mailoutbox[2:]] == ["Secret removed: Calendar Sync"] * 2
    assert body_lines(mailoutbox[2])["Through"] == "Django admin"


def test_adding_and_removing_a_secret_on_the_command_line_send_their_notices(app, mailoutbox):
    with delivered():
        call_command("app_secret", "add", "--", app.client_id, stdout=io.StringIO())
    old = AppSecret.objects.live().filter(app=app).order_by("created", "pk").first()
    with delivered():
        call_command(
            "app_secret", "remove", "--secret-id", str(old.pk), "--", app.client_id, stdout=io.StringIO()
        )
    assert [m.subject for m in mailoutbox] == ["Secret added: Calendar Sync"] * 2 + [
        "Secret removed: Calendar Sync"
    ] * 2
    assert body_lines(mailoutbox[-1])["Through"] == "Command line"
