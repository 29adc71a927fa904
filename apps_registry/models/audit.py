"""Grants and the App audit trail: which account let which App act for it
(AppAuthorization, design §8), and who did what to which App (AuditEvent)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Account
from portal.audit import AuditSource

from ..apis import Api
from .app import App


class AuditAction(models.TextChoices):
    CREATE = "create", "Created"
    UPDATE = "update", "Edited"
    REVEAL_SECRET = "reveal_secret", "Revealed the secret"
    REGENERATE_SECRET = "regenerate_secret", "Regenerated the secret"
    ADD_SECRET = "add_secret", "Added a secret"
    REMOVE_SECRET = "remove_secret", "Removed a secret"
    REVOKE_TOKENS = "revoke_tokens", "Revoked tokens"
    ENABLE = "enable", "Enabled"
    DISABLE = "disable", "Disabled"
    REMOVE = "remove", "Removed"
    REVOKE_ACCESS = "revoke_access", "Revoked access"
    # The admin e-mail (design §3): a confirmation link mailed to it, and its confirmation.
    EMAIL_LINK = "email_link", "Mailed a confirmation link to the admin e-mail"
    CONFIRM_EMAIL = "confirm_email", "Confirmed the admin e-mail"


class AppAuthorization(models.Model):
    """A live grant: `account` let `app` act for it (authorize.php's Allow, register.php's Grant
    access). While it lasts, authorize.php asks that account no more (design §8); revoking the
    access deletes it with the account's tokens and codes for the App."""

    app = models.ForeignKey(App, verbose_name="App", on_delete=models.CASCADE, related_name="authorizations")
    account = models.ForeignKey(
        Account, verbose_name="account", on_delete=models.CASCADE, related_name="app_authorizations"
    )
    api = models.CharField("API", max_length=10, choices=Api.choices)
    first_authorized = models.DateTimeField("first authorized", default=timezone.now)
    # Refreshed by the token endpoint at most once a minute (services.app_authorization_used).
    last_used = models.DateTimeField("last used", null=True, blank=True)

    class Meta:
        verbose_name = "authorized App"
        verbose_name_plural = "authorized Apps"
        ordering = ["-first_authorized", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["app", "account"], name="app_authorization_unique"),
        ]
        indexes = [models.Index(fields=["account", "-first_authorized"], name="app_authorization_account")]

    def __str__(self) -> str:
        return f"{self.app} for {self.account}"


class AuditEvent(models.Model):
    """Who did what to which App of which account, when and from where. Never a secret."""

    created = models.DateTimeField("when", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="who", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_username = models.CharField("who (username)", max_length=150)
    account = models.ForeignKey(
        Account, verbose_name="account", on_delete=models.CASCADE, related_name="audit_events"
    )
    app = models.ForeignKey(
        App, verbose_name="App", null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    app_name = models.CharField("App name", max_length=255)
    app_client_id = models.CharField("App ID/key", max_length=255)
    action = models.CharField("action", max_length=20, choices=AuditAction.choices)
    source = models.CharField("through", max_length=20, choices=AuditSource.choices)
    ip_address = models.GenericIPAddressField("from address", null=True, blank=True)
    details = models.JSONField("details", default=dict, blank=True)

    class Meta:
        verbose_name = "audit event"
        verbose_name_plural = "audit events"
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["account", "-created"], name="audit_account_created")]

    def __str__(self) -> str:
        return f"{self.actor_username} {self.get_action_display().lower()} {self.app_name}"
