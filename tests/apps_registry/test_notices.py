"""design §3: the e-mail notices of App changes. A secret regenerated, the App disabled, enabled
or removed tells the App's admin e-mail and its owner account's e-mail, whatever the entry point,
once the change commits; never with a secret in it; and a mail server that fails never fails
the change. (Adding and removing a secret come with secret rotation: their wording is checked
here, their end-to-end notices with the services that write them.)"""

import email
import email.policy
import io
import logging
import socket
import threading

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps_registry import notices, services
from apps_registry.models import App, AppSecret, AuditAction, AuditEvent
from portal.audit import COMMAND_LINE
from tests.factories import AdministratorFactory, AppFactory
from tests.helpers import free_port, secrets_inline

APP_EMAIL = "dev@calendar.example"
OWNER_EMAIL = "user@demo.example"  # the demo `user` account's (seed_demo)

# Each action that sends a notice, and the portal page that does it.
PORTAL = {
    AuditAction.REGENERATE_SECRET: "apps_registry:regenerate_secret",
    AuditAction.DISABLE: "apps_registry:disable",
    AuditAction.ENABLE: "apps_registry:enable",
    AuditAction.REMOVE: "apps_registry:remove",
}
TITLES = {
    AuditAction.REGENERATE_SECRET: "Secret regenerated",
    AuditAction.DISABLE: "App disabled",
    AuditAction.ENABLE: "App enabled",
    AuditAction.REMOVE: "App removed",
}


@pytest.fixture(autouse=True)
def _mail_server_not_failed_recently(monkeypatch):
    """Each test starts as a fresh process does: no recent failure of the mail server."""
    monkeypatch.setattr(notices, "_quiet_until", 0.0)


@pytest.fixture
def app(demo):
    """The demo `user` account's App, with an admin e-mail of its own."""
    return AppFactory(owner=demo["user"], name="Calendar Sync", email=APP_EMAIL)


def app_for(action: str, demo) -> App:
    return AppFactory(
        owner=demo["user"], name="Calendar Sync", email=APP_EMAIL, enabled=action != AuditAction.ENABLE
    )


def text(message: mail.EmailMessage) -> str:
    """Everything a recipient gets: the headers and the body, as sent."""
    return message.message().as_string()


def body_lines(message: mail.EmailMessage) -> dict[str, str]:
    """The `Label: value` lines of the body."""
    pairs = (line.split(":", 1) for line in message.body.splitlines() if ":" in line)
    return {label.strip(): value.strip() for label, value in pairs}


# --- through the portal ---------------------------------------------------------------------


@pytest.mark.parametrize("action", list(PORTAL))
def test_each_action_in_the_portal_sends_one_notice_to_each_address(
    action, demo, client, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.PORTAL_BASE_URL = "https://portal.example.com/"
    app = app_for(action, demo)
    secret, pk, client_id = app.client_secret, app.pk, app.client_id
    client.force_login(demo["organization"])
    with django_capture_on_commit_callbacks(execute=True):
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


def test_a_bulk_action_of_the_changelist_sends_one_notice_per_app(
    demo, client, mailoutbox, django_capture_on_commit_callbacks
):
    apps = [AppFactory(owner=demo["user"], email=APP_EMAIL) for _ in range(3)]
    client.force_login(demo["user"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("apps_registry:bulk_action", args=[demo["user"].pk]),
            {"action": "disable", "app": [app.pk for app in apps], "confirmed": "yes"},
        )
    assert response.status_code == 302
    assert sorted(m.subject for m in mailoutbox) == sorted(
        f"App disabled: {a.name}" for a in apps for _ in "12"
    )


def test_without_portal_base_url_there_is_no_link_not_even_from_the_requests_host(
    app, demo, client, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.PORTAL_BASE_URL = ""
    client.force_login(demo["user"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("apps_registry:disable", args=[app.pk]), HTTP_HOST="localhost")
    assert len(mailoutbox) == 2
    for message in mailoutbox:
        assert "The App's page" not in message.body
        assert "localhost" not in message.body and f"/apps/{app.pk}/" not in message.body


def test_the_app_name_is_written_as_is_not_html_escaped(
    demo, client, mailoutbox, django_capture_on_commit_callbacks
):
    app = AppFactory(owner=demo["user"], name="Sales & <Leads>", email=APP_EMAIL)
    client.force_login(demo["user"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("apps_registry:disable", args=[app.pk]))
    assert mailoutbox[0].subject == "App disabled: Sales & <Leads>"
    assert body_lines(mailoutbox[0])["App"] == "Sales & <Leads>"


def test_the_same_address_twice_gets_one_message(
    demo, client, mailoutbox, django_capture_on_commit_callbacks
):
    app = AppFactory(owner=demo["user"], email=OWNER_EMAIL.upper())
    client.force_login(demo["user"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("apps_registry:disable", args=[app.pk]))
    assert [message.to for message in mailoutbox] == [[OWNER_EMAIL.upper()]]


def test_an_owner_without_an_address_leaves_only_the_apps(
    app, demo, mailoutbox, django_capture_on_commit_callbacks
):
    type(demo["user"]).objects.filter(pk=demo["user"].pk).update(email="")
    app = App.objects.get(pk=app.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.app_set_enabled(actor=demo["admin"], app=app, enabled=False, origin=COMMAND_LINE)
    assert [message.to for message in mailoutbox] == [[APP_EMAIL]]


def test_recipients_skip_empty_addresses_and_repeats():
    assert notices.recipients("A@x.example", "", "a@X.example", " b@x.example ") == (
        "A@x.example",
        "b@x.example",
    )
    assert notices.recipients("", "") == ()


# --- through the Django admin and the command line -------------------------------------------

ADMIN_ACTIONS = {
    AuditAction.REGENERATE_SECRET: "regenerate_secrets",
    AuditAction.DISABLE: "disable_selected",
    AuditAction.ENABLE: "enable_selected",
    AuditAction.REMOVE: "remove_selected",
}


@pytest.mark.parametrize("action", list(ADMIN_ACTIONS))
def test_each_admin_action_sends_the_notice(
    action, demo, client, mailoutbox, django_capture_on_commit_callbacks
):
    app = app_for(action, demo)
    secret = app.client_secret
    client.force_login(demo["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:apps_registry_app_changelist"),
            {"action": ADMIN_ACTIONS[action], "_selected_action": [app.pk]},
        )
    assert response.status_code == 302
    assert sorted(message.to[0] for message in mailoutbox) == sorted([APP_EMAIL, OWNER_EMAIL])
    for message in mailoutbox:
        assert message.subject == f"{TITLES[action]}: Calendar Sync"
        assert (body_lines(message)["Done by"], body_lines(message)["Through"]) == ("admin", "Django admin")
        assert secret not in text(message)


def test_the_admins_change_form_and_delete_page_send_their_notices(
    app, demo, client, mailoutbox, django_capture_on_commit_callbacks
):
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
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("admin:apps_registry_app_change", args=[app.pk]), form).status_code == 302
    assert [m.subject for m in mailoutbox] == ["App disabled: Calendar Sync"] * 2
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:apps_registry_app_delete", args=[app.pk]), {"post": "yes"})
    assert response.status_code == 302 and not App.objects.exists()
    assert [m.subject for m in mailoutbox[2:]] == ["App removed: Calendar Sync"] * 2


def test_the_command_line_sends_the_notice(demo, mailoutbox, django_capture_on_commit_callbacks):
    """seed_demo adds each account's demo Apps and disables one, through the services."""
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--force", "--password", "demo", stdout=io.StringIO())
    disabled = App.objects.filter(enabled=False).select_related("owner")
    assert disabled  # the demo has a disabled App per account
    assert sorted((m.subject, m.to[0]) for m in mailoutbox) == sorted(
        (f"App disabled: {app.name}", address) for app in disabled for address in (app.email, app.owner.email)
    )
    lines = body_lines(mailoutbox[0])
    assert (lines["Through"], lines["From address"]) == ("Command line", "none recorded")


# --- nothing sent ------------------------------------------------------------------------------


def test_the_other_changes_send_nothing(app, demo, client, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(demo["user"])
    actor = demo["user"]
    with django_capture_on_commit_callbacks(execute=True):
        services.app_update(actor=actor, app=app, origin=COMMAND_LINE, name="Renamed")
        services.app_reveal_secret(actor=actor, app=app, origin=COMMAND_LINE)
        services.app_revoke_tokens(actor=actor, app=app, origin=COMMAND_LINE)
        services.app_set_enabled(actor=actor, app=app, enabled=True, origin=COMMAND_LINE)  # already on
    assert AuditEvent.objects.count() == 3
    assert mailoutbox == []


def test_a_refused_action_sends_nothing(app, demo, client, mailoutbox, django_capture_on_commit_callbacks):
    outsider = AdministratorFactory()
    client.force_login(demo["organization2"])  # out of reach: a 404
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("apps_registry:disable", args=[app.pk])).status_code == 404
        with pytest.raises(PermissionDenied):
            services.app_regenerate_secret(actor=outsider, app=app, origin=COMMAND_LINE)
        with pytest.raises(PermissionDenied):
            services.app_remove(actor=outsider, app=app, origin=COMMAND_LINE)
    assert mailoutbox == [] and not AuditEvent.objects.exists()


@pytest.mark.parametrize("action", list(PORTAL))
def test_an_app_removed_meanwhile_sends_nothing(action, demo, mailoutbox, django_capture_on_commit_callbacks):
    app = app_for(action, demo)
    App.objects.filter(pk=app.pk).delete()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(App.DoesNotExist):
        if action == AuditAction.REGENERATE_SECRET:
            services.app_regenerate_secret(actor=demo["user"], app=app, origin=COMMAND_LINE)
        elif action == AuditAction.REMOVE:
            services.app_remove(actor=demo["user"], app=app, origin=COMMAND_LINE)
        else:
            enabled = action == AuditAction.ENABLE
            services.app_set_enabled(actor=demo["user"], app=app, enabled=enabled, origin=COMMAND_LINE)
    assert mailoutbox == []


def test_a_change_rolled_back_with_the_transaction_around_it_sends_nothing(
    app, demo, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        services.app_set_enabled(actor=demo["user"], app=app, enabled=False, origin=COMMAND_LINE)
        assert mailoutbox == []  # not before the commit
        raise RuntimeError("something after the change failed")
    assert App.objects.get(pk=app.pk).enabled
    assert mailoutbox == []


@pytest.mark.django_db(transaction=True)
def test_the_notice_leaves_only_when_the_change_is_committed(mailoutbox):
    """With real commits (no test transaction around them)."""
    app = AppFactory(email=APP_EMAIL)
    actor = app.owner
    with pytest.raises(RuntimeError), transaction.atomic():
        services.app_regenerate_secret(actor=actor, app=app, origin=COMMAND_LINE)
        raise RuntimeError("rolled back")
    assert mailoutbox == []
    with transaction.atomic():
        services.app_regenerate_secret(actor=actor, app=app, origin=COMMAND_LINE)
        assert mailoutbox == []
    assert [m.subject for m in mailoutbox] == [f"Secret regenerated: {app.name}"] * 2


# --- the actions of secret rotation -------------------------------------------------------------


def test_every_notice_is_worded_including_adding_and_removing_a_secret():
    """The two secret-rotation actions are keyed by the values their AuditAction members take."""
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
            recipients=(APP_EMAIL,),
            app_name="Calendar Sync",
            app_client_id="K" * 32,
            app_url="https://portal.example.com/apps/7/",
            account_name="Demo User",
            account_username="user",
            actor_username="organization",
            source="Portal",
            ip_address="192.0.2.1",
            when=timezone.now(),
        )
        [message] = notices.messages(notice)
        title = {"add_secret": "Secret added", "remove_secret": "Secret removed"}[action]
        assert message.subject == f"{title}: Calendar Sync"
        assert message.body.startswith(notices.NOTICES[action].what)
        assert body_lines(message)["The App's page"] == "https://portal.example.com/apps/7/"


# --- a mail server that fails -------------------------------------------------------------------


def closed_port() -> int:
    """A loopback port nothing listens on: connecting is refused at once."""
    return free_port()


def test_a_dead_mail_server_is_logged_in_one_line_and_the_change_stands(
    app, demo, client, settings, caplog, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    client.force_login(demo["user"])
    with caplog.at_level(logging.ERROR, logger="apps_registry.notices"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("apps_registry:disable", args=[app.pk]))
        assert response.status_code == 302
        assert not App.objects.get(pk=app.pk).enabled
        [record] = [r for r in caplog.records if r.name == "apps_registry.notices"]
        line = record.getMessage()
        assert "\n" not in line and record.exc_info is None
        assert line.startswith(f"Notice disable of App {app.client_id} not sent (0 of 2 message(s) sent): ")
        assert "ConnectionRefusedError" in line
        assert app.client_secret not in line and "Calendar Sync" not in line and APP_EMAIL not in line

        # The next notice within the minute is not tried (no wait on the dead server), but logged.
        caplog.clear()
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("apps_registry:enable", args=[app.pk]))
        assert App.objects.get(pk=app.pk).enabled
        [record] = [r for r in caplog.records if r.name == "apps_registry.notices"]
        assert "not tried: the mail server failed less than a minute ago" in record.getMessage()


def test_a_mail_server_that_never_answers_costs_one_email_timeout(
    app, demo, settings, caplog, django_capture_on_commit_callbacks
):
    """It accepts the connection and says nothing: EMAIL_TIMEOUT ends the wait."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = silent.getsockname()
        settings.EMAIL_TIMEOUT = 0.5
        with (
            caplog.at_level(logging.ERROR, logger="apps_registry.notices"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            services.app_remove(actor=demo["user"], app=app, origin=COMMAND_LINE)
    assert not App.objects.exists()
    [record] = [r for r in caplog.records if r.name == "apps_registry.notices"]
    assert "timed out" in record.getMessage()


def test_a_recipient_the_server_refuses_leaves_the_others_theirs(
    app, demo, settings, caplog, django_capture_on_commit_callbacks
):
    server = SMTPServer(refuse=APP_EMAIL)
    with (
        server.running(settings),
        caplog.at_level(logging.ERROR, logger="apps_registry.notices"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.app_set_enabled(actor=demo["user"], app=app, enabled=False, origin=COMMAND_LINE)
    assert [envelope.rcpt_tos for envelope in server.received] == [[OWNER_EMAIL]]
    [record] = [r for r in caplog.records if r.name == "apps_registry.notices"]
    assert "SMTPRecipientsRefused" in record.getMessage()
    assert notices._quiet_until == 0.0  # the server answered: the next notice is tried as usual


# --- a real SMTP server on loopback -------------------------------------------------------------


class SMTPServer:
    """aiosmtpd on a free loopback port, keeping what it receives; it refuses `refuse`."""

    def __init__(self, refuse: str = ""):
        self.received = []
        self.refuse = refuse
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received.append(envelope)
        return "250 Message accepted"

    def running(self, settings):
        controller = Controller(self, hostname="127.0.0.1", port=free_port())
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = controller.hostname, controller.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        return _Running(controller)


class _Running:
    def __init__(self, controller):
        self.controller = controller

    def __enter__(self):
        self.controller.start()

    def __exit__(self, *exc):
        self.controller.stop()


def test_the_notice_goes_through_a_real_smtp_server(
    app, demo, client, settings, django_capture_on_commit_callbacks
):
    settings.DEFAULT_FROM_EMAIL = "portal@portal.example.com"
    settings.PORTAL_BASE_URL = "https://portal.example.com"
    secret = app.client_secret
    server = SMTPServer()
    client.force_login(demo["organization"])
    with server.running(settings), django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("apps_registry:regenerate_secret", args=[app.pk]))
    assert response.status_code == 200
    new_secret = App.objects.get(pk=app.pk).client_secret
    assert sorted(envelope.rcpt_tos[0] for envelope in server.received) == sorted([APP_EMAIL, OWNER_EMAIL])
    for envelope in server.received:
        assert envelope.mail_from == "portal@portal.example.com" and len(envelope.rcpt_tos) == 1
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert message["To"] == envelope.rcpt_tos[0]
        assert message["From"] == "portal@portal.example.com"
        assert message["Subject"] == "Secret regenerated: Calendar Sync"
        assert message["Auto-Submitted"] == "auto-generated"
        assert message.get_content_type() == "text/plain"
        body = message.get_content()
        assert body.startswith(notices.NOTICES[AuditAction.REGENERATE_SECRET].what)
        assert f"App ID/key:   {app.client_id}" in body
        assert f"The App's page: https://portal.example.com/apps/{app.pk}/" in body
        assert "Done by:      organization" in body and "Through:      Portal" in body
        raw = envelope.original_content.decode()
        assert secret not in raw and new_secret not in raw


# --- rotation: a secret added or removed, through every entry point ---------------------------


def _secret_notices(mailoutbox) -> list[tuple[str, str]]:
    return sorted((message.subject, message.to[0]) for message in mailoutbox)


def _assert_no_secret(mailoutbox, *secrets: str) -> None:
    for message in mailoutbox:
        for value in secrets:
            assert value not in text(message)


def test_adding_and_removing_a_secret_in_the_portal_send_their_notices(
    app, demo, client, mailoutbox, django_capture_on_commit_callbacks
):
    first = app.client_secret
    client.force_login(demo["organization"])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("apps_registry:add_secret", args=[app.pk])).status_code in (200, 302)
    assert _secret_notices(mailoutbox) == [
        ("Secret added: Calendar Sync", APP_EMAIL),
        ("Secret added: Calendar Sync", OWNER_EMAIL),
    ]
    old, new = AppSecret.objects.live().filter(app=app).order_by("created", "pk")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("apps_registry:remove_secret", args=[app.pk, old.pk]))
    assert response.status_code in (200, 302)
    assert _secret_notices(mailoutbox[2:]) == [
        ("Secret removed: Calendar Sync", APP_EMAIL),
        ("Secret removed: Calendar Sync", OWNER_EMAIL),
    ]
    assert body_lines(mailoutbox[2])["Through"] == "Portal"
    _assert_no_secret(mailoutbox, first, new.secret)


def test_adding_a_secret_in_the_admin_and_removing_it_on_the_change_form_send_their_notices(
    app, demo, client, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(demo["admin"])
    changelist = reverse("admin:apps_registry_app_changelist")
    with django_capture_on_commit_callbacks(execute=True):
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
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("admin:apps_registry_app_change", args=[app.pk]), form).status_code == 302
    assert [m.subject for m in mailoutbox[2:]] == ["Secret removed: Calendar Sync"] * 2
    assert body_lines(mailoutbox[2])["Through"] == "Django admin"


def test_adding_and_removing_a_secret_on_the_command_line_send_their_notices(
    app, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("app_secret", "add", "--", app.client_id, stdout=io.StringIO())
    old = AppSecret.objects.live().filter(app=app).order_by("created", "pk").first()
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "app_secret", "remove", "--secret-id", str(old.pk), "--", app.client_id, stdout=io.StringIO()
        )
    assert [m.subject for m in mailoutbox] == ["Secret added: Calendar Sync"] * 2 + [
        "Secret removed: Calendar Sync"
    ] * 2
    assert body_lines(mailoutbox[-1])["Through"] == "Command line"
