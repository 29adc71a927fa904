"""An App's secrets (design §3): stored only encrypted, two while the App rotates."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from ..crypto import decrypt_secret, encrypt_secret
from .app import App

# How many secrets an App holds at once: two while it rotates, one otherwise (design §3).
MAX_SECRETS = 2


class AppSecretQuerySet(models.QuerySet):
    def live(self) -> AppSecretQuerySet:
        return self.filter(removed__isnull=True)


class AppSecret(models.Model):
    """One secret of an App, stored only encrypted. An App holds one, or two while it rotates.

    Each token remembers the secret its client authenticated with (`secret` on the tokens).
    Removing a secret (or Regenerate, which removes every one) only marks it `removed` and
    forgets its ciphertext: from that moment its tokens are refused at every read (the
    tokens' default manager, /uapi/@me's query) and a database trigger refuses new ones
    (migration 0009); the rows go later, in bounded batches (`services.purge_removed_secrets`),
    and the secret's row with its last token.
    """

    app = models.ForeignKey(App, verbose_name="App", on_delete=models.CASCADE, related_name="secrets")
    encrypted_secret = models.TextField("encrypted secret", editable=False)
    created = models.DateTimeField("added", default=timezone.now, editable=False)
    # Empty for the secret every App had before rotation existed (migration 0009).
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="added by",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    added_by_username = models.CharField("added by (username)", max_length=150, blank=True)
    # Written at most once a minute per secret, by the request that finds it older (never
    # once per token request): oauth.validator.
    last_used = models.DateTimeField("last used", null=True, blank=True, editable=False)
    removed = models.DateTimeField("removed", null=True, blank=True, editable=False)

    objects = AppSecretQuerySet.as_manager()

    class Meta:
        verbose_name = "App secret"
        verbose_name_plural = "App secrets"
        ordering = ["created", "pk"]

    def __str__(self) -> str:
        return f"{self.masked} of {self.app_id}"

    @property
    def secret(self) -> str:
        """The secret in clear ("" once removed), decrypted once per instance."""
        if not self.encrypted_secret:
            return ""
        if self._clear is None or self._clear[0] != self.encrypted_secret:
            self._clear = (self.encrypted_secret, decrypt_secret(self.encrypted_secret))
        return self._clear[1]

    @secret.setter
    def secret(self, value: str) -> None:
        self.encrypted_secret = encrypt_secret(value)
        self._clear = (self.encrypted_secret, value)

    _clear: tuple[str, str] | None = None

    @property
    def masked(self) -> str:
        """The secret as the portal lists it: its last 4 characters only."""
        return f"…{self.secret[-4:]}" if self.encrypted_secret else "(removed)"

    @property
    def is_live(self) -> bool:
        return self.removed is None
