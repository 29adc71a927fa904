"""design §3: the e-mail notices of App changes. A secret regenerated, the App disabled,
enabled or removed in the portal tells the App's admin e-mail and its owner account's
e-mail, once each."""

import pytest
from django.urls import reverse
from django.utils import timezone

from apps_registry import notices, services
from apps_registry.models import App, AuditAction, AuditEvent
from portal.audit import COMMAND_LINE
from tests.apps_registry.notices.helpers import (
    APP_EMAIL,
    OWNER_EMAIL,
    PORTAL,
    TITLES,
    app_for,
    body_lines,
    confirmed_app,
    text,
    to_owner,
)
from tests.factories import AppFactory
from tests.helpers import delivered

# --- through the portal ---------------------------------------------------------------------


@pytest.mark.parametrize("action", list(PORTAL))
def test_each_action_in_the_portal_sends_one_notice_to_each_address(
    action, demo, client, settings, mailoutbox
):
    settings.PORTAL_BASE_URL = "https://portal.example.com/"
    app = app_for(action, demo)
    secret, pk, client_id = app.client_secret, app.pk, app.client_id
    client.force_login(demo["organization"])
    with delivered():
        response = client.post(reverse(PORTAL[action], args=[pk]))
    assert response.status_code in (200, 302)
    assert AuditEvent.objects.filter(action=action).count() == 1

    # One message to each address, neither address shown to the other.
    assert sorted(message.to[0] for message in mailoutbox) == sorted([APP_EMAIL, OWNER_EMAIL])
    for message, other in zip(mailoutbox, reversed(mailoutbox), strict=True):
        assert len(message.to) == 1 and not message.cc and not message.bcc
        assert other.to[0] not in text(message)
    message = mailoutbox[0]
    assert message.subject == f"{TITLES[action]}: Calendar Sync"
    assert message.body.startswith(notices.NOTICES[action].what)
    lines = body_lines(message)
    assert lines["App"] == "Calendar Sync"
    assert lines["App ID/key"] == client_id
    assert lines["Account"] == f"{demo['user'].name} (user)"
    assert lines["Done by"] == "organization"
    assert lines["Through"] == "Portal"
    assert lines["From address"] == "127.0.0.1"
    event = AuditEvent.objects.get(action=action)
    assert lines["When"] == timezone.localtime(event.created).strftime("%Y-%m-%d %H:%M:%S +0000 (UTC)")
    if action == AuditAction.REMOVE:
        assert "The App no longer exists" in message.body and "https://" not in message.body
    else:
        assert lines["The App's page"] == f"https://portal.example.com/apps/{pk}/"
    # Never a secret: not the old one, not the new one.
    new_secret = App.objects.get(pk=pk).client_secret if action != AuditAction.REMOVE else secret
    for message in mailoutbox:
        assert secret not in text(message) and new_secret not in text(message)
        assert message.extra_headers["Auto-Submitted"] == "auto-generated"


def test_a_bulk_action_of_the_changelist_sends_one_digest_per_recipient(demo, client, mailoutbox):
    """Issue 27: three Apps disabled at once tell each recipient once, naming every App."""
    apps = [confirmed_app(owner=demo["user"], email=APP_EMAIL) for _ in range(3)]
    client.force_login(demo["organization"])
    with delivered():
        response = client.post(
            reverse("apps_registry:bulk_action", args=[demo["user"].pk]),
            {"action": "disable", "app": [app.pk for app in apps], "confirmed": "yes"},
        )
    assert response.status_code == 302
    assert sorted((m.subject, m.to[0]) for m in mailoutbox) == [
        ("App disabled: 3 Apps", APP_EMAIL),
        ("App disabled: 3 Apps", OWNER_EMAIL),
    ]
    [owners] = to_owner(mailoutbox)
    assert owners.body.startswith(notices.NOTICES[AuditAction.DISABLE].what_many)
    for app in apps:
        assert f"App:          {app.name}\nApp ID/key:   {app.client_id}\n" in owners.body
    assert owners.body.count("Done by:      organization") == 3
    [developers] = [m for m in mailoutbox if m.to == [APP_EMAIL]]
    assert "Done by" not in developers.body and "From address" not in developers.body
    assert all(app.client_id in developers.body for app in apps)


def test_a_bulk_action_mails_only_the_confirmed_admin_e_mails(demo, client, mailoutbox):
    confirmed = confirmed_app(owner=demo["user"], email="ops@calendar.example")
    unconfirmed = [AppFactory(owner=demo["user"], email=APP_EMAIL) for _ in range(2)]
    client.force_login(demo["user"])
    with delivered():
        client.post(
            reverse("apps_registry:bulk_action", args=[demo["user"].pk]),
            {"action": "disable", "app": [app.pk for app in [confirmed, *unconfirmed]], "confirmed": "yes"},
        )
    assert sorted((m.subject, m.to[0]) for m in mailoutbox) == sorted(
        [(f"App disabled: {confirmed.name}", "ops@calendar.example"), ("App disabled: 3 Apps", OWNER_EMAIL)]
    )


def test_without_portal_base_url_there_is_no_link_not_even_from_the_requests_host(
    app, demo, client, settings, mailoutbox
):
    settings.PORTAL_BASE_URL = ""
    client.force_login(demo["user"])
    with delivered():
        client.post(reverse("apps_registry:disable", args=[app.pk]), HTTP_HOST="localhost")
    assert len(mailoutbox) == 2
    for message in mailoutbox:
        assert "The App's page" not in message.body
        assert "localhost" not in message.body and f"/apps/{app.pk}/" not in message.body


def test_the_app_name_is_written_as_is_not_html_escaped(demo, client, mailoutbox):
    app = AppFactory(owner=demo["user"], name="Sales & <Leads>", email=APP_EMAIL)
    client.force_login(demo["user"])
    with delivered():
        client.post(reverse("apps_registry:disable", args=[app.pk]))
    assert mailoutbox[0].subject == "App disabled: Sales & <Leads>"
    assert body_lines(mailoutbox[0])["App"] == "Sales & <Leads>"


def test_the_same_address_twice_gets_one_message(demo, client, mailoutbox):
    app = confirmed_app(owner=demo["user"], email=OWNER_EMAIL.upper())
    client.force_login(demo["user"])
    with delivered():
        client.post(reverse("apps_registry:disable", args=[app.pk]))
    assert [message.to for message in mailoutbox] == [[OWNER_EMAIL]]  # as the owner's, every detail
    assert body_lines(mailoutbox[0])["Done by"] == "user"


def test_an_owner_without_an_address_leaves_only_the_apps(app, demo, mailoutbox):
    type(demo["user"]).objects.filter(pk=demo["user"].pk).update(email="")
    app = App.objects.get(pk=app.pk)
    with delivered():
        services.app_set_enabled(actor=demo["admin"], app=app, enabled=False, origin=COMMAND_LINE)
    assert [message.to for message in mailoutbox] == [[APP_EMAIL]]
