"""design §3: the e-mail notices of App changes. The change never waits for a mail server: the
outbox's worker sends, and one that fails, never answers, refuses a recipient or asks to try
later is logged in one line and retried (or not) as it should; the notice through a real SMTP
server on loopback."""

import email
import email.policy
import logging
import socket

from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from apps_registry import notices, services
from apps_registry.models import App, AuditAction
from portal.audit import COMMAND_LINE
from tests.apps_registry.notices.helpers import APP_EMAIL, OWNER_EMAIL
from tests.helpers import deliver_outbox, delivered
from tests.served import SMTPServer, free_port

# --- a mail server that fails -------------------------------------------------------------------


def closed_port() -> int:
    """A loopback port nothing listens on: connecting is refused at once."""
    return free_port()


def _due_now() -> None:
    """Move every deferred task of the outbox to now (as if its retry delay had passed)."""
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())


def test_a_dead_mail_server_defers_the_letters_in_one_log_line_and_the_change_stands(
    app, demo, client, settings, caplog
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    client.force_login(demo["user"])
    with caplog.at_level(logging.ERROR, logger="apps_registry.notices"):
        response = client.post(reverse("apps_registry:disable", args=[app.pk]))
        assert response.status_code == 302  # answered before any mail server is asked
        assert not App.objects.get(pk=app.pk).enabled
        [returned] = deliver_outbox()
        assert returned == {"sent": 0, "dropped": 0, "deferred": 2, "attempt": 1}
        [record] = [r for r in caplog.records if r.name == "apps_registry.notices"]
        line = record.getMessage()
        assert "\n" not in line and record.exc_info is None
        assert line.startswith(
            f"Letter (notice disable of App {app.client_id}) deferred with 1 other letter(s): "
        )
        assert "ConnectionRefusedError" in line
        assert app.client_secret not in line and "Calendar Sync" not in line and APP_EMAIL not in line

    # The letters wait in the outbox for a minute, then for longer after each failure.
    [waiting] = DBTaskResult.objects.filter(status="READY")
    assert 55 <= (waiting.run_after - timezone.now()).total_seconds() <= 60
    assert waiting.args_kwargs["kwargs"]["attempt"] == 2
    assert deliver_outbox() == []  # not due yet


def test_letters_deferred_are_sent_once_the_server_is_back(app, demo, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    services.app_set_enabled(actor=demo["user"], app=app, enabled=False, origin=COMMAND_LINE)
    deliver_outbox()
    server = SMTPServer()
    with server.running(settings):
        _due_now()
        [returned] = deliver_outbox()
    assert returned == {"sent": 2, "dropped": 0, "deferred": 0, "attempt": 2}
    assert sorted(envelope.rcpt_tos[0] for envelope in server.received) == sorted([APP_EMAIL, OWNER_EMAIL])


def test_letters_are_given_up_after_the_last_attempt_in_one_log_line_each(app, demo, settings, caplog):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    services.app_set_enabled(actor=demo["user"], app=app, enabled=False, origin=COMMAND_LINE)
    with caplog.at_level(logging.ERROR, logger="apps_registry.notices"):
        for _ in range(notices.MAX_ATTEMPTS):
            _due_now()
            deliver_outbox()
    assert not DBTaskResult.objects.filter(status="READY").exists()
    given_up = [r.getMessage() for r in caplog.records if "not sent after" in r.getMessage()]
    assert given_up == [f"Letter (notice disable of App {app.client_id}) not sent after 6 attempts"] * 2


def test_a_mail_server_that_never_answers_costs_one_email_timeout(app, demo, settings, caplog):
    """It accepts the connection and says nothing: EMAIL_TIMEOUT ends the wait."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = silent.getsockname()
        settings.EMAIL_TIMEOUT = 0.5
        with (
            caplog.at_level(logging.ERROR, logger="apps_registry.notices"),
            delivered(),
        ):
            services.app_remove(actor=demo["user"], app=app, origin=COMMAND_LINE)
    assert not App.objects.exists()
    [record] = [r for r in caplog.records if r.name == "apps_registry.notices"]
    assert "timed out" in record.getMessage()


def test_a_recipient_the_server_refuses_leaves_the_others_theirs(app, demo, settings, caplog):
    server = SMTPServer(refuse=APP_EMAIL)
    with (
        server.running(settings),
        caplog.at_level(logging.ERROR, logger="apps_registry.notices"),
        delivered(),
    ):
        services.app_set_enabled(actor=demo["user"], app=app, enabled=False, origin=COMMAND_LINE)
    assert [envelope.rcpt_tos for envelope in server.received] == [[OWNER_EMAIL]]
    [record] = [r for r in caplog.records if r.name == "apps_registry.notices"]
    assert (
        record.getMessage()
        == f"Letter (notice disable of App {app.client_id}) refused: SMTPRecipientsRefused: 550"
    )
    assert not DBTaskResult.objects.filter(status="READY").exists()  # refused for good: not retried


def test_a_recipient_the_server_asks_to_try_later_is_retried(app, demo, settings):
    server = SMTPServer(refuse=APP_EMAIL, answer="451 4.3.0 Try again later")
    with server.running(settings):
        services.app_set_enabled(actor=demo["user"], app=app, enabled=False, origin=COMMAND_LINE)
        [returned] = deliver_outbox()
        assert returned == {"sent": 1, "dropped": 0, "deferred": 1, "attempt": 1}
        server.refuse = ""
        _due_now()
        deliver_outbox()
    assert sorted(envelope.rcpt_tos[0] for envelope in server.received) == sorted([OWNER_EMAIL, APP_EMAIL])


# --- a real SMTP server on loopback -------------------------------------------------------------


def test_the_notice_goes_through_a_real_smtp_server(app, demo, client, settings):
    settings.DEFAULT_FROM_EMAIL = "portal@portal.example.com"
    settings.PORTAL_BASE_URL = "https://portal.example.com"
    secret = app.client_secret
    server = SMTPServer()
    client.force_login(demo["organization"])
    with server.running(settings), delivered():
        response = client.post(reverse("apps_registry:regenerate_secret", args=[app.pk]))
    owners = [e for e in server.received if e.rcpt_tos == [OWNER_EMAIL]]
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
        assert "Through:      Portal" in body
        # Who did it, and from where: to the owner's address only (issue 27).
        assert ("Done by:      organization" in body) == (envelope in owners)
        assert ("From address: 127.0.0.1" in body) == (envelope in owners)
        raw = envelope.original_content.decode()
        assert secret not in raw and new_secret not in raw
