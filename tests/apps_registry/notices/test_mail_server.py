"""design §3: the e-mail notices of App changes. A mail server that fails, never answers or
refuses a recipient never fails the change; and the notice through a real SMTP server on
loopback."""

import email
import email.policy
import logging
import socket
import threading

from aiosmtpd.controller import Controller
from django.urls import reverse

from apps_registry import notices, services
from apps_registry.models import App, AuditAction
from portal.audit import COMMAND_LINE
from tests.apps_registry.notices.helpers import APP_EMAIL, OWNER_EMAIL
from tests.served import free_port

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
