"""E-mail notices of App changes, and the confirmation links of admin e-mails (design §3).

A change's service writes its audit row (`services._rules._audit`, or `_audit_many` for a bulk
action), which calls `notify`/`notify_all` here in the same transaction:
- `letters.py` decides who gets what: the owning account's address every notice with every
  detail; the App's admin e-mail only once confirmed, without the actor's name and address;
  one letter per recipient per change, so a bulk action's is one digest;
- `outbox.py` writes the letters as a django-tasks task (database backend) in that
  transaction, which `manage.py db_worker` sends, deferring what the mail server cannot take;
- `wording.py` says what each notice says.
A confirmation link is a letter too (`ask_confirmation`), mailed once per request of it.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..models import App, AuditEvent, EmailConfirmation
from .letters import (
    CONFIRMATION_LIFETIME,
    Notice,
    app_address_mailed,
    confirmation_id,
    confirmation_letter,
    confirmation_token,
    letters_for,
    portal_url,
)
from .outbox import KEPT_AFTER_SENDING, MAX_ATTEMPTS, RETRY_AFTER, enqueue, purge_outbox, send_letters
from .wording import NOTICES, Wording


def notify(*, event: AuditEvent, app: App) -> None:
    """Write the letters of one App change to the outbox (in the change's transaction)."""
    notify_all([(event, app)])


def notify_all(changes: Iterable[tuple[AuditEvent, App]]) -> None:
    """Write the letters of several App changes (a bulk action) to the outbox: one digest per
    recipient."""
    enqueue(letters_for(changes))


def ask_confirmation(confirmation: EmailConfirmation) -> None:
    """Write the letter that mails a confirmation link to the outbox."""
    enqueue([confirmation_letter(confirmation)])


__all__ = [
    "CONFIRMATION_LIFETIME",
    "KEPT_AFTER_SENDING",
    "MAX_ATTEMPTS",
    "NOTICES",
    "RETRY_AFTER",
    "Notice",
    "Wording",
    "app_address_mailed",
    "ask_confirmation",
    "confirmation_id",
    "confirmation_token",
    "letters_for",
    "notify",
    "notify_all",
    "portal_url",
    "purge_outbox",
    "send_letters",
]
