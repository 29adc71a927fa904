"""What OAuth registration and code exchange remember (design §5, §6): the codes redeemed, the
register.php consents acted on, RFC 7591 initial access tokens and client registrations."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Account
from accounts.validators import validate_single_line

from .app import App


class RedeemedCode(models.Model):
    """An authorization code that was exchanged, and the tokens the exchange issued.

    design §6: a replayed code also revokes what it issued. django-oauth-toolkit deletes a
    code once it is used, so this row is what remembers, for as long as the code could have
    lived, which tokens to revoke when it comes back.
    """

    code_checksum = models.CharField(max_length=64, unique=True)
    application = models.ForeignKey(App, on_delete=models.CASCADE, related_name="+")
    access_token_id = models.BigIntegerField(null=True)
    token_family = models.UUIDField(null=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"code {self.code_checksum[:8]}… of {self.application_id}"


class ConsumedRegistration(models.Model):
    """A /oauth/register.php consent that was acted on: the same consent submitted twice
    cannot create a second App (the unique nonce makes the second insert fail)."""

    nonce = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return self.nonce


class InitialAccessToken(models.Model):
    """An RFC 7591 initial access token: whoever holds it may register Apps to `account`
    through /oauth/register, until it expires, is used up or is revoked. Only its SHA-256
    checksum is kept; the token itself is shown once, when it is created (oauth.services)."""

    account = models.ForeignKey(
        Account, verbose_name="account", on_delete=models.CASCADE, related_name="initial_access_tokens"
    )
    name = models.CharField("name", max_length=100, validators=[validate_single_line])
    token_checksum = models.CharField("token checksum", max_length=64, unique=True, editable=False)
    created = models.DateTimeField("created", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="created by",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    expires = models.DateTimeField("expires")
    max_uses = models.PositiveIntegerField("registrations allowed")
    uses = models.PositiveIntegerField("registrations made", default=0)
    revoked = models.DateTimeField("revoked", null=True, blank=True)

    class Meta:
        verbose_name = "initial access token"
        verbose_name_plural = "initial access tokens"
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return self.name

    def state(self, now=None) -> str:
        """usable, revoked, expired or used up: what the token list shows."""
        if self.revoked is not None:
            return "revoked"
        if self.expires <= (now or timezone.now()):
            return "expired"
        if self.uses >= self.max_uses:
            return "used up"
        return "usable"


class ClientRegistration(models.Model):
    """How an App came through RFC 7591 registration: the RFC 7592 registration access token
    (its SHA-256 checksum), the client metadata as registered, and, for the open registration
    rate limit, the address it came from. Kept after the App is removed (app is then empty)
    until the rate-limit window has passed (oauth.housekeeping)."""

    # An access token that Regenerate or a secret's removal ended has a checksum beginning with
    # this, which no SHA-256 checksum (64 hexadecimal digits) does (apps_registry.services).
    ENDED = "revoked-"

    app = models.OneToOneField(
        App, verbose_name="App", null=True, blank=True, on_delete=models.SET_NULL, related_name="registration"
    )
    access_token_checksum = models.CharField(
        "registration access token checksum", max_length=64, unique=True, editable=False
    )
    metadata = models.JSONField("client metadata", default=dict, blank=True)
    open_registration = models.BooleanField("open registration", default=False)
    initial_access_token = models.ForeignKey(
        InitialAccessToken,
        verbose_name="initial access token",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="registrations",
    )
    ip_address = models.GenericIPAddressField("from address", null=True, blank=True)
    created = models.DateTimeField("registered", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "client registration"
        verbose_name_plural = "client registrations"
        indexes = [
            models.Index(fields=["ip_address", "created"], name="registration_ip_created"),
        ]

    def __str__(self) -> str:
        return f"registration of {self.app_id}"


class MetadataFetch(models.Model):
    """One fetch of a Client ID Metadata Document (oauth/client_metadata.py), by the host it
    went to: what OAUTH_CLIENT_METADATA_FETCHES_PER_HOST counts, in the database, so every
    process shares the count. Forgotten after an hour (oauth.housekeeping)."""

    host = models.CharField("host", max_length=255)
    created = models.DateTimeField("fetched", auto_now_add=True)

    class Meta:
        verbose_name = "metadata document fetch"
        verbose_name_plural = "metadata document fetches"
        indexes = [models.Index(fields=["host", "created"], name="metadata_fetch_host_created")]

    def __str__(self) -> str:
        return f"{self.host} at {self.created}"


class RefusedMetadataHost(models.Model):
    """A host whose Client ID Metadata Documents the owning account refuses: none of them is
    fetched, and the Apps made from them get no code or token (oauth/client_metadata.py)."""

    account = models.ForeignKey(
        Account, verbose_name="account", on_delete=models.CASCADE, related_name="refused_metadata_hosts"
    )
    host = models.CharField("host", max_length=255)
    created = models.DateTimeField("refused", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="refused by",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "refused metadata document host"
        verbose_name_plural = "refused metadata document hosts"
        ordering = ["host"]
        constraints = [models.UniqueConstraint(fields=["account", "host"], name="refused_host_once")]

    def __str__(self) -> str:
        return self.host
