"""The confirmation links mailed to Apps' admin e-mails (design §3): one row per link, which
the limit per address counts and the link's one use marks."""

from __future__ import annotations

from django.db import models

from .app import App


class EmailConfirmation(models.Model):
    """A link mailed once to `address`, the admin e-mail of `app` when it was mailed; opening it
    and confirming lets the App's notices go there (services/contacts.py). The link itself is
    signed (never stored): it names this row."""

    app = models.ForeignKey(
        App, verbose_name="App", on_delete=models.CASCADE, related_name="email_confirmations"
    )
    address = models.EmailField("address")
    # The address in lower case: what ADMIN_EMAIL_CONFIRMATIONS_PER_DAY counts, whatever the App.
    address_key = models.CharField("address, lower case", max_length=254, editable=False)
    created = models.DateTimeField("mailed", auto_now_add=True)
    confirmed = models.DateTimeField("confirmed", null=True, blank=True)

    class Meta:
        verbose_name = "admin e-mail confirmation"
        verbose_name_plural = "admin e-mail confirmations"
        indexes = [models.Index(fields=["address_key", "created"], name="email_confirmation_address")]

    def __str__(self) -> str:
        return f"confirmation of {self.address} for {self.app_id}"
