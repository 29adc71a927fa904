"""What the notice tests share: the addresses, each action with its portal page and its
title, an App for an action, what a recipient gets."""

from django.core import mail
from django.utils import timezone

from apps_registry.models import App, AuditAction
from tests.factories import AppFactory

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


def confirmed_app(**fields) -> App:
    """An App whose admin e-mail its reader confirmed (design §3), so that it gets notices."""
    return AppFactory(email_confirmed=timezone.now(), **fields)


def app_for(action: str, demo) -> App:
    return confirmed_app(
        owner=demo["user"], name="Calendar Sync", email=APP_EMAIL, enabled=action != AuditAction.ENABLE
    )


def to_owner(mailoutbox) -> list[mail.EmailMessage]:
    """The messages to the owning account's address (every detail)."""
    return [message for message in mailoutbox if message.to == [OWNER_EMAIL]]


def text(message: mail.EmailMessage) -> str:
    """Everything a recipient gets: the headers and the body, as sent."""
    return message.message().as_string()


def body_lines(message: mail.EmailMessage) -> dict[str, str]:
    """The `Label: value` lines of the body."""
    pairs = (line.split(":", 1) for line in message.body.splitlines() if ":" in line)
    return {label.strip(): value.strip() for label, value in pairs}
